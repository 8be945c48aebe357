"""`amprig bench`, run briefly: every figure of the suite is printed beside its target and written
to the JSON file, the rig and the plain loop end in the same state, and bad options are refused.
The figures themselves are measurements, not checked here (README: Performance)."""
import json
import subprocess


def run_bench(amprig_bin, *args):
    return subprocess.run([str(amprig_bin), "bench", *args], capture_output=True, text=True,
                          timeout=300)


def test_every_figure_is_printed_with_its_target_and_written_as_json(amprig_bin, repo_dir,
                                                                      tmp_path):
    out = tmp_path / "bench.json"
    sweep = repo_dir / "scenarios" / "sweeps" / "smoke.yaml"
    r = run_bench(amprig_bin, "--duration", "2s", "--repeat", "2", "--no-day", "--sweep",
                  str(sweep), "-j", "2", "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    text = r.stdout
    for line in ("runs per minute", "target >= 600 runs/min", "target >= 2000 x",
                 "rig / plain loop", "target >= 0.8", "same end state            yes",
                 "RTL ADC mode", "target >= 20 x"):
        assert line in text, f"{line!r} missing from:\n{text}"

    figures = json.loads(out.read_text())
    assert figures["repeat"] == 2
    assert figures["sweep"]["runs"] == 50 and figures["sweep"]["passed"] == 50
    assert figures["sweep"]["target"] == 600
    # The JSON holds the measured doubles (17 digits): the figures follow from them to rounding.
    per_min = 50 / figures["sweep"]["wall_s"] * 60
    assert abs(figures["sweep"]["runs_per_min"] - per_min) <= 1e-12 * per_min
    for key, target in (("reference_rig", 2000), ("plain_loop", 0.8), ("rtl_mode", 20)):
        f = figures[key]
        assert f["target"] == target
        assert f["simulated_s"] == 2
        assert len(f["wall_s_runs"]) == 2
        assert f["wall_s"] == min(f["wall_s_runs"])  # the same numbers, the same digits
        # The figure is the fastest run's; the range spans the slowest and the fastest.
        assert abs(f["real_time_factor"] - 2 / f["wall_s"]) <= 1e-12 * f["real_time_factor"]
        slowest, fastest = f["real_time_factor_range"]
        assert abs(slowest - 2 / max(f["wall_s_runs"])) <= 1e-12 * slowest
        assert fastest == f["real_time_factor"]
    assert figures["rtl_mode"]["modulator_clock_hz"] == 1024000
    plain = figures["plain_loop"]
    assert plain["same_end_state"] is True
    assert plain["end_state_values"] == 92
    ratio = figures["reference_rig"]["real_time_factor"] / plain["real_time_factor"]
    assert abs(plain["rig_over_plain"] - ratio) <= 1e-12 * ratio
    assert "solar_day" not in figures  # --no-day


def test_bad_options_are_refused_with_a_message(amprig_bin, tmp_path):
    r = run_bench(amprig_bin, "--sweep", str(tmp_path / "missing.yaml"))
    assert r.returncode != 0
    assert "missing.yaml: no such file" in r.stderr
    r = run_bench(amprig_bin, "--repeat", "0")
    assert r.returncode == 2 and "--repeat takes a positive number" in r.stderr
    r = run_bench(amprig_bin, "--duration", "0s")
    assert r.returncode == 2 and "--duration must be positive" in r.stderr
    r = run_bench(amprig_bin, "--fast")
    assert r.returncode == 2 and "unknown option --fast" in r.stderr


def test_an_unwritable_json_file_is_an_error_after_the_figures(amprig_bin, tmp_path):
    r = run_bench(amprig_bin, "--duration", "1s", "--repeat", "1", "--no-day", "--sweep", "none",
                  "--json", str(tmp_path / "no-such-folder" / "bench.json"))
    assert r.returncode == 2
    assert "real-time factor" in r.stdout  # the figures were printed before the write failed
    assert "cannot write" in r.stderr and "bench.json" in r.stderr
