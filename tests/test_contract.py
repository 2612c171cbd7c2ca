"""The `@lab` marker lines and end codes of docs/CONTRACT.md."""
import re
from pathlib import Path

from lab.contract import (
    EndCode,
    GuestState,
    Marker,
    MemCounts,
    parse_focus,
    parse_guest,
    parse_guest_end,
    parse_marker,
    parse_mem,
    summarize_log,
)

CONTRACT = Path(__file__).parents[1] / "docs" / "CONTRACT.md"


def test_parse_virt_line():
    mk = parse_marker("@lab virt backend=svm features=npt,nrips asids=8\r\n")
    assert mk == Marker("virt", {"backend": "svm", "features": "npt,nrips", "asids": "8"})


def test_parse_end_line():
    assert parse_marker("@lab end code=4 reason=guest-crash") == Marker(
        "end", {"code": "4", "reason": "guest-crash"})


def test_parse_novirt_quoted_msg_keeps_its_spaces():
    assert parse_marker('@lab novirt msg="two words"') == Marker("novirt", {"msg": "two words"})


def test_parse_plain_line_is_not_a_marker():
    assert parse_marker("hv: entering long mode") is None


def test_parse_marker_must_start_the_line():
    assert parse_marker("noise @lab end code=0 reason=pass") is None


def test_summarize_log_counts_only_the_first_end_line():
    log = "\n".join([
        "SeaBIOS garbage",
        "@lab boot name=reference",
        "hv: cpu is GenuineIntel",
        "@lab virt backend=vmx features=ept,vpid,unrestricted",
        "@lab end code=0 reason=pass",
        "@lab end code=2 reason=panic",
    ])
    s = summarize_log(log)
    assert (s.booted, s.name, s.backend) == (True, "reference", "vmx")
    assert s.features == ["ept", "vpid", "unrestricted"]
    assert (s.end_code, s.end_reason, s.ended) == (0, "pass", True)


def test_summarize_log_novirt_and_no_end():
    s = summarize_log('@lab boot name=x\n@lab novirt msg="no VMX or SVM"\n')
    assert s.novirt == "no VMX or SVM"
    assert not s.ended


def test_end_code_words():
    assert [c.word for c in EndCode] == [
        "pass", "fail", "panic", "novirt", "guest-crash", "watchdog", "config"]


def test_contract_code_table_matches_end_codes():
    section = CONTRACT.read_text().split("## 4.")[1].split("\n## ")[0]
    rows = re.findall(r"^\| (\d+) \| `([a-z-]+)` \|", section, flags=re.MULTILINE)
    assert rows, "no code table found in CONTRACT.md section 4"
    assert [(int(n), word) for n, word in rows] == [(c.value, c.word) for c in EndCode]


def test_summarize_log_reads_several_guests_their_ends_the_focus_and_memory():
    log = "\n".join([
        "@lab boot name=x",
        "@lab guest id=0 mem=8",
        "@lab guest id=1 mem=16",
        "@lab focus guest=1",
        "@lab focus guest=0",
        "@lab mem guest-pages=6144 host-pages=4000 shared=300 saved=2144 zero=1500",
        "@lab guest-end id=1 code=4 reason=guest-crash",
        "@lab guest-end id=0 code=0 reason=pass",
        "@lab end code=4 reason=guest-crash",
    ])
    s = summarize_log(log)
    assert s.guests == {0: GuestState(0, 8, 0, "pass"), 1: GuestState(1, 16, 4, "guest-crash")}
    assert s.focus == [1, 0]
    assert s.mem == MemCounts(6144, 4000, 300, 2144, 1500)
    assert s.end_code == 4


def test_a_mem_line_missing_a_count_is_not_read_as_counts():
    assert parse_mem(parse_marker("@lab mem guest-pages=10 host-pages=5 shared=1 saved=5")) \
        is None
    assert parse_mem(parse_marker("@lab exits total=5")) is None


def test_guest_markers_without_a_numeric_id_are_ignored():
    assert parse_guest(parse_marker("@lab guest id=x mem=8")) is None
    assert parse_guest_end(parse_marker("@lab guest-end code=0")) is None
    assert parse_focus(parse_marker("@lab focus guest=")) is None
    assert parse_guest_end(parse_marker("@lab guest-end id=2 code=5 reason=watchdog")) == (
        2, 5, "watchdog")


def test_mem_counts_that_contradict_each_other_are_named():
    assert MemCounts(100, 60, 10, 40, 20).problems() == []
    assert MemCounts(100, 60, 70, 30, 120).problems() == [
        "saved=30 is not guest-pages - host-pages (100 - 60)",
        "shared=70 host pages of only 60",
        "zero=120 of only 100 guest pages"]


def test_contract_section_10_names_the_markers_the_lab_parses():
    section = CONTRACT.read_text().split("## 10.")[1]
    for marker in ("@lab guest id=K mem=N", "@lab guest-end id=K code=N reason=WORD",
                   "@lab focus guest=K",
                   "@lab mem guest-pages=N host-pages=N shared=N saved=N zero=N"):
        assert marker in section, marker
