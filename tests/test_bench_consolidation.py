"""`lab bench consolidation`'s arithmetic and reporting: no emulator."""
from types import SimpleNamespace

from lab import bench, bench_consolidation, cli
from lab.bench_consolidation import Settled, derive, goal_lines, guest_pages, table
from lab.contract import MemCounts


def _counts(host: int, guest: int = 2016) -> MemCounts:
    return MemCounts(guest_pages=guest, host_pages=host, shared=2, saved=guest - host, zero=9)


def test_guest_pages_leave_out_each_guests_vga_window():
    assert guest_pages([8]) == 2016  # what features_common.PAGES_PER_SWEB says
    assert guest_pages([8, 8, 8, 8]) == 4 * 2016
    assert guest_pages([]) == 0


def test_settled_is_true_at_the_second_of_two_equal_readings_in_a_row():
    s = Settled()
    readings = [_counts(300), _counts(200), _counts(150), _counts(150)]
    assert [s(c) for c in readings] == [False, False, False, True]
    assert s.readings == 4
    first = Settled()
    assert first(_counts(150)) is False  # one reading alone never settles


def _figures(t1: int, t4: int, h1: int | None = None, h4: int | None = None) -> dict:
    f = {"plain_n1_prompt_ms": t1, "plain_n4_prompt_ms": t4,
         "dedup_n1_prompt_ms": t1, "dedup_n4_prompt_ms": t4}
    if h1 is not None:
        f.update(dedup_n1_host_pages=h1, dedup_n4_host_pages=h4)
    return f


def test_derive_gives_four_over_one_in_per_mille_and_skips_what_is_missing():
    assert derive(_figures(3000, 12300, 136, 160)) == {
        "plain_time_ratio_4_1_permille": 4100, "dedup_time_ratio_4_1_permille": 4100,
        "dedup_host_pages_ratio_4_1_permille": 1176}
    assert derive({"plain_n1_prompt_ms": 3000}) == {}
    assert derive({"plain_n1_prompt_ms": 0, "plain_n4_prompt_ms": 5}) == {}  # no division by 0


def test_goals_are_judged_at_their_limits_and_a_missed_one_is_named():
    met = derive(_figures(1000, 4400, 1000, 1500))
    assert goal_lines(met) == [
        "time(4)/time(1) without dedup = 4.40 (goal <= 4.4): met",
        "time(4)/time(1) with dedup = 4.40 (goal <= 4.4): met",
        "host_pages(4)/host_pages(1) with dedup = 1.50 (goal <= 1.5): met"]
    assert bench.missed_goals({"qemu-tcg-svm": met}) == []
    missed = derive(_figures(1000, 4401, 1000, 1501))
    assert [ln.endswith("NOT met") for ln in goal_lines(missed)] == [True, True, True]
    assert bench.missed_goals({"qemu-tcg-svm": missed}) == [
        "qemu-tcg-svm plain_time_ratio_4_1_permille = 4401, goal <= 4400",
        "qemu-tcg-svm dedup_time_ratio_4_1_permille = 4401, goal <= 4400",
        "qemu-tcg-svm dedup_host_pages_ratio_4_1_permille = 1501, goal <= 1500"]
    assert goal_lines({})[2] == ("host_pages(4)/host_pages(1) with dedup: not measured "
                                 "(goal <= 1.5)")


def test_table_has_a_row_per_case_and_a_dash_for_counts_not_printed():
    figures = {"plain_n1_prompt_ms": 2902, "plain_n1_guest_pages": 2016,
               "dedup_n4_prompt_ms": 20500, "dedup_n4_guest_pages": 8064,
               "dedup_n4_host_pages": 170, "dedup_n4_shared": 120, "dedup_n4_zero": 3400}
    rows = table("qemu-tcg-svm", figures)
    assert len(rows) == 3
    assert rows[1].split() == ["no", "dedup", "1", "2.90", "2016", "-", "-", "-"]
    assert rows[2].split() == ["dedup", "4", "20.50", "8064", "170", "120", "3400"]


def test_lab_bench_consolidation_writes_results_prints_goals_and_exits_1_on_a_missed_one(
        tmp_path, monkeypatch, capsys):
    (tmp_path / "sweb").mkdir()
    figures = iter([_figures(1000, 4000, 100, 120), _figures(1000, 5000, 100, 120)])

    def fake(out, sweb, platforms, scale, say, only):
        assert (sweb, only) == (tmp_path / "sweb", ["qemu-tcg-svm"])
        f = next(figures)
        return {"qemu-tcg-svm": {**f, **derive(f)}}
    monkeypatch.setattr(cli, "build", lambda quiet: SimpleNamespace(build=tmp_path / "build"))
    monkeypatch.setattr(cli, "detect", lambda: [])
    monkeypatch.setattr(cli, "project_root", lambda: tmp_path)
    monkeypatch.setattr(bench_consolidation, "consolidation", fake)
    argv = ["bench", "consolidation", "--sweb", str(tmp_path / "sweb"),
            "--target", "qemu-tcg-svm"]
    assert cli.cmd_bench(cli.parser().parse_args([*argv, "--save"])) == 0
    baseline = tmp_path / "bench" / "consolidation-baseline.json"
    assert bench.load(baseline)["qemu-tcg-svm"]["plain_time_ratio_4_1_permille"] == 4000
    assert cli.cmd_bench(cli.parser().parse_args(argv)) == 1  # 5.0x: the time goal missed
    out = capsys.readouterr().out
    assert "qemu-tcg-svm plain_time_ratio_4_1_permille: 4000 -> 5000 (+25.0%)" in out
    assert "qemu-tcg-svm time(4)/time(1) without dedup = 5.00 (goal <= 4.4): NOT met" in out
    assert "goal missed: qemu-tcg-svm plain_time_ratio_4_1_permille = 5000, goal <= 4400" in out
    latest = bench.load(tmp_path / "build" / "bench" / "consolidation.json")
    assert latest["qemu-tcg-svm"]["plain_n4_prompt_ms"] == 5000


def test_targets_default_to_qemu_tcg_and_an_unknown_or_unrunnable_one_is_one_line():
    import pytest

    from lab.errors import LabError

    with pytest.raises(LabError, match="unknown target bochs-svm .known: qemu-tcg-svm, "
                                       "bochs-vmx"):
        bench_consolidation.consolidation(None, None, [], 1.0, print, ["bochs-svm"])
    with pytest.raises(LabError, match="cannot run qemu-tcg-svm "):
        bench_consolidation.consolidation(None, None, [], 1.0, print, None)
