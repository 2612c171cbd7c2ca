"""lab.machine.stop: run.json's `stop` words are the enum's, and the README lists each."""
import json

from lab.build import project_root
from lab.machine.stop import Stop


def test_each_stop_is_written_as_its_word_and_documented():
    readme = (project_root() / "README.md").read_text()
    for stop in Stop:
        assert json.dumps({"stop": stop}) == f'{{"stop": "{stop.value}"}}'
        assert f"`{stop.value}`" in readme, f"README does not name the stop {stop.value}"
