"""The lab's pytest plugin (options, fixtures, the grader) for scenarios/ and tests/."""
pytest_plugins = ["lab.pytest_plugin"]
