"""The course file of `lab class`: defaults, and one-line errors that name the file and line."""
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lab.course import DEFAULT_SCALE, load_course
from lab.errors import ConfigError

GOOD = """\
course: cloud-os-2026
grace_hours: 48
milestones:
  m1: {deadline: 2026-10-20T23:59}
  m4: {deadline: "2026-12-01T12:00:00+01:00", points: 40}
teams:
  - name: alpha
    repo: ../teams/alpha
    members: [Ann, Bob, Cem, Dan]
    bonus: 5
  - {name: beta, repo: "https://git.example.org/beta.git", members: [Eve, Fay]}
"""


def course_file(tmp_path, text):
    f = tmp_path / "course" / "course.yaml"
    f.parent.mkdir(exist_ok=True)
    f.write_text(text)
    return f


def test_course_file_with_defaults_for_what_it_leaves_out(tmp_path):
    c = load_course(course_file(tmp_path, GOOD))
    assert c.name == "cloud-os-2026"
    assert c.grace == timedelta(hours=48) and c.timeout_minutes == 60
    assert c.scale == DEFAULT_SCALE and c.team_size_bonus == {3: 5, 2: 10}
    m1, m4 = c.milestones.values()
    assert m1.deadline == datetime(2026, 10, 20, 23, 59, tzinfo=UTC) and m1.points == 5
    assert m4.deadline == datetime(2026, 12, 1, 12, tzinfo=timezone(timedelta(hours=1)))
    assert m4.points == 40
    assert c.cutoff(m1) == datetime(2026, 10, 22, 23, 59, tzinfo=UTC)
    alpha, beta = c.teams
    assert alpha.repo == str(tmp_path / "teams" / "alpha")  # relative to the course file
    assert (alpha.bonus, alpha.line, c.size_bonus(alpha)) == (5, 7, 0)
    assert beta.repo == "https://git.example.org/beta.git"
    assert (beta.bonus, c.size_bonus(beta)) == (0, 10)


@pytest.mark.parametrize("total, grade", [(100, 1), (87.5, 1), (87.49, 2), (75, 2),
                                          (62.5, 3), (50, 4), (49.99, 5), (-3, 5), (130, 1)])
def test_default_scale_gives_each_total_its_grade(tmp_path, total, grade):
    assert load_course(course_file(tmp_path, GOOD)).grade(total) == grade


def test_scale_and_team_size_bonus_can_be_the_courses_own(tmp_path):
    text = GOOD.replace("grace_hours: 48\n", "scale: [[90, 1.0], [80, 1.3]]\n"
                        "team_size_bonus: {4: 2}\ntimeout_minutes: 5\n")
    c = load_course(course_file(tmp_path, text))
    assert c.scale == ((90, 1.0), (80, 1.3)) and c.grade(85) == 1.3 and c.grade(79) == 5
    assert [c.size_bonus(t) for t in c.teams] == [2, 0]
    assert c.timeout_minutes == 5 and c.grace == timedelta(0)


@pytest.mark.parametrize("change, line, message", [
    (("grace_hours: 48", "grace_hours: 48\ngrace: 2"), 3,
     "unknown key 'grace' in the course file"),
    (("{deadline: 2026-10-20T23:59}", "{deadline: 2026-10-20T23:59, late: 1}"), 4,
     "unknown key 'late' in milestone m1 \\(known: deadline, points\\)"),
    (("    bonus: 5", "    bonus: 5\n    mail: a@b"), 11,
     "unknown key 'mail' in a team \\(known: name, repo, members, bonus\\)"),
    (("{deadline: 2026-10-20T23:59}", "{points: 3}"), 4, "milestone m1 needs a deadline"),
    (("2026-10-20T23:59", "next tuesday"), 4,
     "the deadline of m1 'next tuesday' is not an ISO date-time"),
    (("2026-10-20T23:59", "2026-10-20"), 4,
     "the deadline of m1 '2026-10-20' needs a time of day"),
    (("  m4:", "  m7:"), 5, "unknown milestone 'm7' \\(known: m1, m2, m3, m4, m5, m6\\)"),
    (("name: beta", "name: alpha"), 11,
     "two teams are named 'alpha' \\(the other at line 7\\)"),
    (("name: beta", "name: be/ta"), 11, "team name 'be/ta' may hold only"),
    (("members: [Eve, Fay]", "members: []"), 11, "the members of team beta must be a list"),
    (("  m4:", "  m1:"), 5, "'m1' given twice in milestones \\(first at line 4\\)"),
    (("grace_hours: 48", "grace_hours: -1"), 2, "grace_hours must be a number of at least 0"),
    (("grace_hours: 48", "scale: [[50, 4], [75, 2]]"), 2,
     "scale must be a list of \\[lowest total, grade\\] pairs, highest first \\(75 follows 50\\)"),
    (("grace_hours: 48", "team_size_bonus: {two: 10}"), 2,
     "team_size_bonus maps a member count to points; 'two' is not a member count"),
    (("    repo: ../teams/alpha\n", ""), 7, "a team needs 'repo'"),
    (("m1: {deadline: 2026-10-20T23:59}", "m1: {deadline: [1"), 5, "expected ',' or ']'"),
])
def test_bad_course_file_is_one_line_naming_file_and_line(tmp_path, change, line, message):
    old, new = change
    assert old in GOOD
    f = course_file(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError, match=f"^{f}:{line}: {message}") as e:
        load_course(f)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("text, message", [
    ("", "empty course file"),
    ("course: x\nteams: []\n", ":1: the course file needs 'milestones'"),
    ("- 1\n", ":1: the course file must be a mapping"),
])
def test_course_file_without_its_parts_is_refused(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_course(course_file(tmp_path, text))


def test_missing_course_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="course file .*/nowhere.yaml does not exist"):
        load_course(tmp_path / "nowhere.yaml")
