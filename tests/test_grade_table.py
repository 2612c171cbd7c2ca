"""The grade table: what it counts, over which possible points, and when it is not the grade."""
from lab.grading import Grader, Outcome
from lab.platforms import Platform, Support

OK, INSTALL, NEVER = Support(True, "runs"), Support(False, "not installed", True), \
    Support(False, "no nesting")


def _platforms(vmx_on_bochs: Support = OK) -> list[Platform]:
    return [Platform("qemu-kvm", "kvm", {"vmx": NEVER, "svm": NEVER}),
            Platform("qemu-tcg", "tcg", {"vmx": NEVER, "svm": OK}),
            Platform("bochs", "bochs", {"vmx": vmx_on_bochs, "svm": OK})]


def _grader(*outcomes: tuple[str, str, float, str], platforms=None) -> Grader:
    g = Grader(platforms=platforms or _platforms())
    g.milestones_with_scenarios = {"m1", "m2", "m3", "m4"}
    for nodeid, outcome, points, message in outcomes:
        r = Outcome(nodeid, "m1", "Structure setup", points, outcome=outcome, message=message,
                    counted=not nodeid.startswith("extra"))
        r.earned = points if outcome == "passed" else 0.0
        g.results[nodeid] = r
    return g


def test_the_possible_points_are_the_courses_whatever_ran():
    lines = _grader(("a", "passed", 1.0, ""), ("b", "failed", 2.0, "")).table()
    assert lines[0] == "graded: vmx on bochs, svm on qemu-tcg"
    assert lines[2] == ("m1 Structure setup: builds, boots, enables      1.00     5.00  "
                        "1 passed, 1 failed")
    # m2 to m4 have scenarios that this run did not run; m5 and m6 have none yet and count 0
    assert lines[3] == ("m5 Feature proof of concept in the booted g     0.00    10.00  "
                        "no scenarios in this run")
    assert lines[5] == f"{'total':<44}    1.00    45.00"
    assert lines[6] == "PARTIAL: m2, m3, m4 not run, so not in this total"


def test_cases_on_other_platforms_are_shown_apart_and_never_counted():
    lines = _grader(("a", "passed", 1.0, ""), ("extra-b", "failed", 0.0, "")).table()
    assert lines[2].endswith("1.00     5.00  1 passed")
    assert "also run on other platforms, not counted: 1 failed" in lines


def test_a_skipped_scenario_marks_the_total_incomplete_with_its_reason():
    lines = _grader(("a", "passed", 1.0, ""),
                    ("b", "skipped", 1.0, "bochs cannot run vmx here: bochs-bin is not "
                                          "installed (apt-get install bochs)")).table()
    assert lines[-1] == ("INCOMPLETE: 1 scenarios skipped, so this total is not the grade; "
                         "bochs cannot run vmx here: bochs-bin is not installed "
                         "(apt-get install bochs)")


def test_a_skipped_case_of_a_group_without_points_leaves_the_total_complete():
    g = _grader(("a", "passed", 1.0, ""))
    g.results["k"] = Outcome("k", "conformance", "kvm-unit-tests", 0.0, outcome="skipped",
                             message="no kvm-unit-tests given")
    assert not any(ln.startswith("INCOMPLETE") for ln in g.table())


def test_a_backend_no_platform_here_runs_is_said_plainly_not_a_smaller_total():
    g = _grader(("a", "passed", 1.0, ""), platforms=_platforms(vmx_on_bochs=NEVER))
    lines = g.table()
    assert lines[0] == "graded: vmx on nothing here, svm on qemu-tcg"
    assert lines[-1].startswith("NOT A GRADE: no platform here can run vmx (qemu-kvm: no "
                                "nesting; qemu-tcg: no nesting; bochs: no nesting)")
    assert g.as_json()["not_a_grade"] == [lines[-1]]


def test_a_platform_lacking_only_software_still_grades_its_backend():
    g = _grader(("a", "passed", 1.0, ""), platforms=_platforms(vmx_on_bochs=INSTALL))
    assert g.grading_platforms()["vmx"] == ("bochs", "not installed")
    assert not any(ln.startswith("NOT A GRADE") for ln in g.table())


def test_an_expected_failure_is_a_failure_for_points_not_a_skip():
    from types import SimpleNamespace

    from lab.grading import classify

    xfailed = SimpleNamespace(skipped=True, passed=False, wasxfail="flaky on qemu-tcg/svm",
                              longrepr=("f", 1, "Skipped: flaky"))
    assert classify(xfailed, None) == ("failed",
                                       "failed, a known flaky case (flaky on qemu-tcg/svm)")
    not_yet = SimpleNamespace(skipped=True, passed=False, wasxfail="not yet: no PKS",
                              longrepr=("f", 1, "Skipped: no PKS"))
    assert classify(not_yet, None) == ("failed", "failed, as expected (not yet: no PKS)")
    skipped = SimpleNamespace(skipped=True, passed=False, longrepr=("f", 1, "Skipped: no SWEB"))
    assert classify(skipped, None) == ("skipped", "no SWEB")


def test_a_group_outside_the_points_is_shown_on_its_own_line_and_never_in_the_total():
    g = _grader(("a", "passed", 1.0, ""))
    g.results["h"] = Outcome("h", "robustness", "hostile", 0.0, outcome="failed")
    lines = g.table()
    assert f"{'total':<44}    1.00    45.00" in lines
    assert ("robustness (A guest cannot crash or hang the hypervisor, no points): 1 failed"
            in lines)


def test_a_group_scenario_cannot_carry_points():
    import pytest

    from lab.grading import scenario
    with pytest.raises(ValueError, match="no points"):
        scenario("robustness", 1)
    with pytest.raises(ValueError, match="unknown milestone"):
        scenario("m7", 1)


def _feature_grader(choice, *rows, not_chosen=(), seen=None, all_features=False):
    """A grader after a run: rows are (nodeid, milestone, feature, outcome, points)."""
    g = Grader(platforms=_platforms(), feature=choice, all_features=all_features)
    g.milestones_with_scenarios = {"m1", "m2", "m3", "m4", "m5", "m6"}
    g.features_seen = seen or {"consolidation": "catalogue", "dedup": "catalogue"}
    g.not_chosen = set(not_chosen)
    for nodeid, milestone, feature, outcome, points in rows:
        r = Outcome(nodeid, milestone, nodeid, points, outcome=outcome, feature=feature,
                    team_written=choice.team_written and feature == choice.name)
        r.earned = points if outcome == "passed" else 0.0
        g.results[nodeid] = r
    return g


def test_the_total_counts_the_chosen_feature_and_shows_the_other_apart():
    from lab.features import Choice

    g = _feature_grader(Choice("consolidation"),
                        ("c5", "m5", "consolidation", "passed", 6.0),
                        ("c6", "m6", "consolidation", "failed", 30.0),
                        ("d5", "m5", "dedup", "passed", 10.0), all_features=True)
    lines = g.table()
    assert ("m5 Feature proof of concept in the booted g     6.00    10.00  "
            "consolidation: 1 passed") in lines
    assert f"{'total':<44}    6.00    40.00" in lines
    assert lines[lines.index("features (m5 + m6; the total counts consolidation):") + 1:][:2] \
        == ["  consolidation    m5 6.00/10.00 1 passed; m6 0.00/30.00 1 failed (counted)",
            "  dedup            m5 10.00/10.00 1 passed; m6 0.00/30.00 not run (not counted)"]
    report = g.as_json()
    assert report["feature"] == "consolidation"
    assert [s["counted"] for s in report["scenarios"]] == [True, True, False]


def test_a_team_is_graded_on_its_feature_and_the_others_are_not_chosen():
    from lab.features import Choice

    g = _feature_grader(Choice("dedup"), ("d5", "m5", "dedup", "passed", 10.0),
                        seen={"dedup": "catalogue"})  # as the controller of xdist sees it
    lines = g.table()
    assert "  consolidation    not chosen, not run" in lines
    assert "  dedup            m5 10.00/10.00 1 passed; m6 0.00/0.00" not in lines
    assert g.totals()["m5"]["earned"] == 10.0
    assert g.as_json()["features"]["consolidation"] == {
        "state": "not chosen", "team_written": False, "milestones": {}}


def test_a_team_written_feature_counts_and_is_marked_for_the_staff(tmp_path):
    from lab.features import Choice

    choice = Choice("snapshots", tmp_path / "snap.py")
    g = _feature_grader(choice, ("s5", "m5", "snapshots", "passed", 10.0),
                        ("s6", "m6", "snapshots", "passed", 30.0),
                        not_chosen=["consolidation", "dedup"],
                        seen={"consolidation": "catalogue", "dedup": "catalogue",
                              "snapshots": "team-written"})
    lines = g.table()
    assert f"{'total':<44}   40.00    40.00" in lines
    assert ("  snapshots        m5 10.00/10.00 1 passed; m6 30.00/30.00 1 passed (counted, "
            "team-written: for the staff to review)") in lines
    assert f"  snapshots scenarios: {tmp_path / 'snap.py'}" in lines
    assert g.as_json()["features"]["snapshots"]["team_written"] is True


def test_a_reference_expected_failure_says_so_and_earns_nothing(monkeypatch):
    from types import SimpleNamespace

    from lab import features
    from lab.grading import classify

    # what features.REFERENCE_LACKS holds for a feature the reference does not offer yet
    # (empty today: the reference passes both catalogue features)
    reason = "reference: not implemented yet"
    monkeypatch.setitem(features.REFERENCE_LACKS, "dedup", reason)
    xfailed = SimpleNamespace(skipped=True, passed=False, wasxfail=reason,
                              longrepr=("f", 1, "Skipped"))
    assert classify(xfailed, None) == ("failed", f"failed, as expected ({reason})")


def test_a_feature_scenario_names_its_feature_and_only_it_does():
    import pytest

    from lab.grading import scenario
    with pytest.raises(ValueError, match="names its feature"):
        scenario("m5", 1)
    with pytest.raises(ValueError, match="names its feature"):
        scenario("m2", 1, feature="dedup")


def test_the_time_lines_sum_each_milestone_and_name_the_slowest():
    g = _grader(("a", "passed", 1.0, ""), ("b", "failed", 2.0, ""), ("c", "passed", 1.0, ""))
    g.results["a"].seconds, g.results["b"].seconds = 12.25, 30.0
    g.results["c"].milestone, g.results["c"].seconds = "robustness", 4.0
    assert g.time_lines(slowest=2) == [
        "time (scenario seconds, all workers): 46 s; m1 42 s, robustness 4 s",
        "  slow:   30.0 s  b",
        "  slow:   12.2 s  a"]
    assert _grader(("a", "passed", 1.0, "")).time_lines() == []  # nothing timed
