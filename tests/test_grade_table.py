"""The grade table: what it counts, and when it says the total is not the grade."""
from lab.grading import Grader, Outcome


def _grader(*outcomes: tuple[str, str, float, str]) -> Grader:
    g = Grader()
    for nodeid, outcome, points, message in outcomes:
        r = Outcome(nodeid, "m1", "Structure setup", points, outcome=outcome, message=message)
        r.earned = points if outcome == "passed" else 0.0
        g.results[nodeid] = r
    return g


def test_a_skipped_scenario_marks_the_total_incomplete_with_its_reason():
    lines = _grader(("a", "passed", 1.0, ""),
                    ("b", "skipped", 1.0, "bochs cannot run vmx here: bochs-bin is not "
                                          "installed (apt-get install bochs)"),
                    ("c", "not-gradable", 1.0, "no nesting")).table()
    # skipped counts in the possible points (not earned), not-gradable does not
    assert lines[1] == ("m1 Structure setup: builds, boots, enables      1.00     2.00  "
                        "1 passed, 1 skipped, 1 not-gradable")
    assert lines[-1] == ("INCOMPLETE: 1 scenarios skipped, so this total is not the grade; "
                         "bochs cannot run vmx here: bochs-bin is not installed "
                         "(apt-get install bochs)")


def test_not_gradable_alone_leaves_the_total_complete():
    lines = _grader(("a", "passed", 1.0, ""), ("c", "not-gradable", 1.0, "no nesting")).table()
    assert lines[-1].startswith("total") and not any("INCOMPLETE" in ln for ln in lines)
