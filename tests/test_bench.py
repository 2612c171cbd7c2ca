from lab.bench import Change, compare, load, parse_bench, save


def test_parse_bench_reads_only_whole_bench_lines():
    console = "hello\nBENCH cpuid_cycles=812\nBENCH pio_cycles=1290\nnot BENCH x=1\nBENCH y=z\n"
    assert parse_bench(console) == {"cpuid_cycles": 812, "pio_cycles": 1290}


def test_compare_gives_each_figure_against_its_targets_baseline():
    changes = compare({"bochs-vmx": {"cpuid_cycles": 800}},
                      {"bochs-vmx": {"cpuid_cycles": 880, "pio_cycles": 5}})
    assert changes == [Change("bochs-vmx cpuid_cycles", 800, 880),
                       Change("bochs-vmx pio_cycles", None, 5)]
    assert changes[0].describe() == "bochs-vmx cpuid_cycles: 800 -> 880 (+10.0%)"
    assert changes[1].describe() == "bochs-vmx pio_cycles: 5 (new)"


def test_save_then_load_round_trips_and_a_missing_baseline_is_empty(tmp_path):
    path = tmp_path / "b" / "base.json"
    assert load(path) == {}
    save(path, {"qemu-tcg-svm": {"cpuid_cycles": 3}})
    assert load(path) == {"qemu-tcg-svm": {"cpuid_cycles": 3}}


def test_missed_goals_name_each_target_and_figure_and_ignore_absent_ones():
    from lab.bench import missed_goals

    results = {"bochs-vmx": {"sweb_boot_ratio_permille": 1278, "disk_read_ratio_permille": 956},
               "qemu-tcg-svm": {"sweb_boot_ratio_permille": 2639,
                                "disk_write_ratio_permille": 499}}
    assert missed_goals(results) == [
        "qemu-tcg-svm sweb_boot_ratio_permille = 2639, goal <= 1300",
        "qemu-tcg-svm disk_write_ratio_permille = 499, goal >= 500"]
    assert missed_goals({"bochs-svm": {"boot_ratio_permille": 1300}}) == []


def test_lab_bench_save_makes_the_figures_the_baseline_the_next_run_compares_with(
        tmp_path, monkeypatch, capsys):
    from types import SimpleNamespace

    from lab import benchmarks, cli

    figures = iter([{"bochs-vmx": {"cpuid_cycles": 150}}, {"bochs-vmx": {"cpuid_cycles": 165}}])
    monkeypatch.setattr(cli, "build", lambda quiet: SimpleNamespace(build=tmp_path / "build"))
    monkeypatch.setattr(cli, "detect", lambda: [])
    monkeypatch.setattr(cli, "project_root", lambda: tmp_path)
    monkeypatch.setattr(benchmarks, "exitcost", lambda *a: next(figures))
    args = cli.parser().parse_args(["bench", "--save"])
    assert cli.cmd_bench(args) == 0
    baseline = tmp_path / "bench" / "exitcost-baseline.json"
    assert load(baseline) == {"bochs-vmx": {"cpuid_cycles": 150}}
    # without --save: 10% more instructions than the baseline fails the run
    assert cli.cmd_bench(cli.parser().parse_args(["bench"])) == 1
    out = capsys.readouterr().out
    assert ("cost grew: bochs-vmx cpuid_cycles: 150 -> 165 (+10.0%): more than 5% over the "
            "baseline") in out
    assert load(baseline) == {"bochs-vmx": {"cpuid_cycles": 150}}  # kept as it was
    assert load(tmp_path / "build" / "bench" / "exitcost.json") == {
        "bochs-vmx": {"cpuid_cycles": 165}}


def test_an_exact_cost_may_grow_5_percent_and_timings_any_amount():
    from lab.bench import grown

    changes = compare({"bochs-svm": {"cpuid_cycles": 200, "pio_cycles": 300},
                       "qemu-tcg-svm": {"cpuid_cycles": 30000}},
                      {"bochs-svm": {"cpuid_cycles": 210, "pio_cycles": 316},
                       "qemu-tcg-svm": {"cpuid_cycles": 60000}})
    assert grown(changes) == [
        "bochs-svm pio_cycles: 300 -> 316 (+5.3%): more than 5% over the baseline"]


def test_the_exit_budget_is_judged_where_figures_are_exact():
    from lab.bench import missed_goals

    assert missed_goals({"bochs-vmx": {"cpuid_cycles": 201, "pio_cycles": 300},
                         "qemu-tcg-svm": {"cpuid_cycles": 58000, "pio_cycles": 57000}}) == [
        "bochs-vmx cpuid_cycles = 201, goal <= 200"]


def test_linux_boot_is_judged_against_its_1_5x_goal():
    from lab.bench import missed_goals
    assert missed_goals({"qemu-tcg-svm": {"linux_boot_ratio_permille": 1501}}) == [
        "qemu-tcg-svm linux_boot_ratio_permille = 1501, goal <= 1500"]
    assert missed_goals({"qemu-tcg-svm": {"linux_boot_ratio_permille": 1500}}) == []


def test_the_bochs_linux_figure_is_the_kernels_clock_at_init_in_tsc_cycles():
    from lab.bench_linux import guest_cycles
    log = ("[    0.000000] Command line: console=ttyS0 tsc_early_khz=49999\n"
           "[   12.036430] Run /init as init process\n")
    assert guest_cycles(log) == 12036430 * 49999 // 1000
    assert guest_cycles(log.splitlines()[1]) is None, "no rate: no figure"
    assert guest_cycles(log.splitlines()[0]) is None, "no /init line: no figure"


def test_the_bochs_ratio_spans_the_serial_console_to_init_in_both_boots():
    from lab.bench_linux import serial_to_init_cycles
    log = ("[    0.000000] Command line: console=ttyS0 tsc_early_khz=50000\n"
           "[    7.101212] printk: console [ttyS0] enabled\n"
           "[   17.193091] Run /init as init process\n")
    assert serial_to_init_cycles(log) == (17193091 - 7101212) * 50
    lines = log.splitlines()
    assert serial_to_init_cycles("\n".join([lines[0], lines[2]])) is None, "no start: none"
    assert serial_to_init_cycles("\n".join(lines[:2])) is None, "no end: none"
