"""The `@lab` marker lines and end codes of docs/CONTRACT.md."""
import re
from pathlib import Path

from lab.contract import EndCode, Marker, parse_marker, summarize_log

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
