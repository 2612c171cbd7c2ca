"""`python -m lab`: the same as the `lab` command."""
from .cli import main

raise SystemExit(main())
