"""The class table of `lab class` from given results: totals, grades, the files, the merge."""
import csv
import json
from datetime import UTC, datetime

import pytest

from lab.classtable import (
    FAILED,
    GRADED,
    NOT_DUE,
    MilestoneResult,
    complete,
    merge,
    score,
    table,
    write,
    write_team,
)
from lab.course import load_course
from lab.errors import ConfigError

NOW = datetime(2026, 11, 1, tzinfo=UTC)
COURSE = """\
course: os-test
scale: [[14, 1], [8, 2], [4, 3]]
milestones:
  m1: {deadline: 2026-10-01T12:00}
  m2: {deadline: 2027-01-01T12:00, points: 20}
teams:
  - {name: ref, repo: teams/ref, members: [Ann, Bob]}
  - {name: broken, repo: teams/broken, members: [Cem, Dan, Eli], bonus: 2}
  - {name: nobuild, repo: teams/nobuild, members: [Fay], bonus: 4.5}
"""


@pytest.fixture
def course(tmp_path):
    f = tmp_path / "course.yaml"
    f.write_text(COURSE)
    return load_course(f)


def results(m1: MilestoneResult) -> dict[str, MilestoneResult]:
    return {"m1": m1, "m2": MilestoneResult(NOT_DUE, possible=20)}


REF = MilestoneResult(GRADED, 4.6, 5, "a" * 40, "2026-10-01T11:00:00+00:00", report="ref/m1")
BROKEN = MilestoneResult(GRADED, 1.0, 5, "b" * 40, "2026-09-30T10:00:00+00:00",
                         "6 failed; boots: no boot marker", "broken/m1")
NOBUILD = MilestoneResult(FAILED, 0.0, 5, "c" * 40, "2026-09-29T10:00:00+00:00",
                          "build failed: the team build `exit 1` failed with status 1",
                          "nobuild/m1")


def rows(course):
    return [score(course, t, results(r)) for t, r in zip(course.teams, (REF, BROKEN, NOBUILD))]


def test_total_is_milestones_plus_size_and_staff_bonus_and_grade_follows_the_scale(course):
    ref, broken, nobuild = rows(course)
    assert (ref.size_bonus, ref.bonus, ref.total, ref.grade) == (10, 0, 14.6, 1)
    assert (broken.size_bonus, broken.bonus, broken.total, broken.grade) == (5, 2, 8, 2)
    assert (nobuild.size_bonus, nobuild.bonus, nobuild.total, nobuild.grade) == (0, 4.5, 4.5, 3)


def test_table_shows_points_commits_reasons_and_what_is_not_due(course):
    lines = table(course, rows(course), NOW)
    assert lines[1].split() == ["team", "m1/5", "m2/20", "size", "staff", "total", "grade"]
    assert lines[2].split() == ["ref", "4.60", "not", "due", "10", "0", "14.60", "1"]
    assert lines[4].split() == ["nobuild", "0.00", "not", "due", "0", "4.5", "4.50", "3"]
    assert "  ref     m1   4.60/5    aaaaaaa 2026-10-01T11:00 graded" in lines
    assert any(line.startswith("  nobuild m1   0.00/5    ccccccc") and line.endswith(
        "failed: build failed: the team build `exit 1` failed with status 1") for line in lines)
    assert "not due yet: m2 (graded from 2027-01-01 12:00 UTC); the grades are provisional" in lines
    assert lines[-1].startswith("totals are not capped")


def test_files_hold_the_table_and_the_page_links_each_report(course, tmp_path):
    out = tmp_path / "out"
    (out / "broken" / "m1" / "bundles").mkdir(parents=True)
    write(course, rows(course), out, NOW)
    with open(out / "class.csv") as f:
        got = list(csv.DictReader(f))
    assert [(r["team"], r["m1"], r["m1_commit"][:7], r["m2_status"], r["total"], r["grade"])
            for r in got] == [("ref", "4.60", "aaaaaaa", "not due", "14.60", "1"),
                              ("broken", "1.00", "bbbbbbb", "not due", "8.00", "2"),
                              ("nobuild", "0.00", "ccccccc", "not due", "4.50", "3")]
    assert got[1]["members"] == "Cem; Dan; Eli"
    data = json.loads((out / "class.json").read_text())
    assert data["milestones"]["m1"]["due"] and not data["milestones"]["m2"]["due"]
    assert [t["grade"] for t in data["teams"]] == [1, 2, 3]
    page = (out / "class.html").read_text()
    for link in ("ref/m1/grade.html", "broken/m1/bundles/", "nobuild/m1/grade.log"):
        assert f'href="{link}"' in page
    assert 'href="ref/m1/bundles/"' not in page  # no bundles there: no dead link
    assert "build failed: the team build `exit 1` failed with status 1" in page


def test_merge_of_team_files_rescores_from_the_course_and_fixes_links(course, tmp_path):
    ci = tmp_path / "artifacts"
    for row, job in zip(rows(course), ("job1", "job2", "job3")):
        write_team(course, row, ci / job, NOW)
    out = tmp_path / "out"
    found = merge(course, [str(ci)], out)
    assert list(found) == ["ref", "broken", "nobuild"]
    assert found["ref"]["m1"] == MilestoneResult(
        GRADED, 4.6, 5, "a" * 40, "2026-10-01T11:00:00+00:00",
        report="../artifacts/job1/ref/m1")
    course.teams[0].bonus = 3  # the staff's bonus, given after CI graded
    assert score(course, course.teams[0], found["ref"]).total == 17.6


def test_merge_takes_files_and_globs_and_marks_a_team_without_result(course, tmp_path):
    ref, broken, _ = rows(course)
    a = write_team(course, ref, tmp_path / "a", NOW)
    b = write_team(course, broken, tmp_path / "b", NOW)
    found = merge(course, [str(a), str(tmp_path / "b" / "team-*.json")], tmp_path)
    assert set(found) == {"ref", "broken"} and b.is_file()
    res = complete(course, found.get("nobuild", {}), NOW)
    assert res["m1"].status == FAILED and res["m2"].status == NOT_DUE


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(course="other"), "a result of course 'other', not 'os-test'"),
    (lambda d: d["teams"][0].update(team="ghost"), "team 'ghost' is not in"),
    (lambda d: d.pop("teams"), "not a team result of `lab class`"),
])
def test_merge_refuses_a_file_of_another_course_or_team(course, tmp_path, edit, message):
    f = write_team(course, rows(course)[0], tmp_path, NOW)
    data = json.loads(f.read_text())
    edit(data)
    f.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=message):
        merge(course, [str(f)], tmp_path)


def test_merge_refuses_two_results_for_one_team_and_an_empty_folder(course, tmp_path):
    a = write_team(course, rows(course)[0], tmp_path / "a", NOW)
    b = write_team(course, rows(course)[0], tmp_path / "b", NOW)
    with pytest.raises(ConfigError, match=f"{b}: a second result for team 'ref' \\(first: {a}\\)"):
        merge(course, [str(tmp_path)], tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no team-\\*.json below this folder"):
        merge(course, [str(tmp_path / "empty")], tmp_path)
