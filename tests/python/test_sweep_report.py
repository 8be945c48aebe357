"""amprig.sweep_report: the HTML report of a fault sweep, read in headless Chromium.

References: the results file's JSON lines read here with the json module (counts, failures, fault
windows, which run is which), the sweep files in tests/python/data/ and the base scenarios they
name (read with PyYAML: the fuse rating, which bases have chargers), `amprig replay` run on each
command the page shows, and a rig built here from `amprig sweep --emit` and traced directly."""
import collections
import json
import os
import pathlib
import shlex
import subprocess
import sys

import numpy as np
import pytest
import yaml

import amprig
from amprig import sweep_report

DATA = pathlib.Path(__file__).resolve().parent / "data"
FAILING = "tests/python/data/sweep_report_failing.yaml"   # relative to the source tree
CRASHING = "tests/python/data/sweep_report_crash.yaml"
CT1_RUN = "balanced_230v_10a_pf1~ct1.connected=false@4s+2s"


def run_sweep(amprig_bin, repo_dir, sweep_file, results, hooks=False):
    env = dict(os.environ)
    env.pop("AMPRIG_TEST_HOOKS", None)
    if hooks:
        env["AMPRIG_TEST_HOOKS"] = "1"
    done = subprocess.run([str(amprig_bin), "sweep", sweep_file, "--results", str(results), "-j", "2"],
                          cwd=repo_dir, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr  # it fails on purpose
    return results


def last_records(path):
    """The last record of each id, in the order the ids first appear (json module only)."""
    records = collections.OrderedDict()
    for line in pathlib.Path(path).read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            records[record["id"]] = record
    return list(records.values())


def counts(records, key):
    table = collections.defaultdict(lambda: [0, 0, 0, 0])
    for r in records:
        for k in key(r):
            row = table[k]
            row[0] += 1
            row[1 + ("passed", "failed", "error").index(r["outcome"])] += 1
    return dict(table)


def base_has_chargers(repo_dir, record):
    """Whether the run's base (or its base: chain) puts chargers in the plant."""
    path = (repo_dir / record["sweep_file"]).parent / record["base"]
    while True:
        tree = yaml.safe_load(path.read_text())
        if "chargers" in (tree.get("plant") or {}):
            return True
        if "base" not in tree:
            return False
        path = path.parent / tree["base"]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("sweep_report")


@pytest.fixture(scope="module")
def failing(amprig_bin, repo_dir, work):
    """(results file, its records): the failing sweep, run here."""
    results = run_sweep(amprig_bin, repo_dir, FAILING, work / "failing.jsonl")
    return results, last_records(results)


@pytest.fixture(scope="module")
def failing_page(failing, amprig_bin, work):
    results, _ = failing
    return sweep_report.write_report(results, work / "html", program=str(amprig_bin))


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Not the sanitizer runtime the sanitize build preloads into Python.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS")}
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver", env=env), options=options)
    yield driver
    driver.quit()


def load(browser, page):
    from selenium.webdriver.common.by import By

    browser.get(page.resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    return lambda css, root=browser: root.find_elements(By.CSS_SELECTOR, css)


def table_rows(find, table_id):
    rows = {}
    for tr in find(f"#{table_id} tbody tr"):
        cells = [td.text for td in find("td", tr)]
        rows[cells[0]] = ([int(c) for c in cells[1:]], "bad" in (tr.get_attribute("class") or ""))
    return rows


def test_summary_and_tables_equal_the_results(failing, failing_page, browser, work, repo_dir):
    results, records = failing
    # The sweep fails as designed: the open CT, and both three-car runs' recovery.
    assert [r["outcome"] for r in records].count("failed") == 3
    find = load(browser, failing_page)
    outcomes = collections.Counter(r["outcome"] for r in records)
    for element_id, expected in (("runs", len(records)), ("passed", outcomes["passed"]),
                                 ("failed", outcomes["failed"]), ("errors", outcomes["error"])):
        assert find(f"#{element_id}")[0].text == str(expected), element_id
    assert find("#results-file")[0].text == str(results)

    by_fault = counts(records, lambda r: sorted({f["name"] for f in r["faults"]}) or ["(no fault)"])
    by_base = counts(records, lambda r: [pathlib.PurePath(r["base"]).stem])
    for table_id, expected in (("by-fault", by_fault), ("by-base", by_base)):
        shown = table_rows(find, table_id)
        assert {k: v[0] for k, v in shown.items()} == expected
        assert {k for k, v in shown.items() if v[1]} == {k for k, v in expected.items() if v[2] + v[3]}

    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    shot = work / "failing.png"
    assert browser.save_screenshot(str(shot))
    import matplotlib.image
    pixels = matplotlib.image.imread(str(shot))
    assert pixels.shape[0] > 500 and pixels.shape[1] > 500 and pixels.var() > 0


def test_each_failed_run_shows_its_failures_replay_and_plots(failing, failing_page, browser,
                                                             amprig_bin, repo_dir):
    results, records = failing
    find = load(browser, failing_page)
    bad = [r for r in records if r["outcome"] == "failed"] + [r for r in records if r["outcome"] == "error"]
    sections = find("section.run")
    assert [s.get_attribute("data-run-id") for s in sections] == [r["id"] for r in bad]
    for section, record in zip(sections, bad):
        replay = find("pre.replay", section)[0].text
        assert replay == shlex.join([str(amprig_bin), "replay", str(results), record["id"]])
        messages = [li.text for li in find("ul.failures li", section)]
        assert messages == [f["message"] for f in record["failures"]] and messages
        assert find(".seed", section)[0].text == str(record["seed"])
        images = find("img", section)
        assert len(images) == (4 if base_has_chargers(repo_dir, record) else 3), record["id"]
        for img in images:
            natural = browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", img)
            assert natural[0] > 0 and natural[1] > 0
            assert [int(img.get_attribute("width")), int(img.get_attribute("height"))] == natural
            assert img.get_attribute("alt")
        assert not find("p.note", section)  # re-simulated, and it failed as recorded

        # The command, as shown, replays the run to the recorded outcome.
        done = subprocess.run(shlex.split(replay), capture_output=True, text=True, timeout=60, cwd="/")
        assert done.returncode == 1
        assert f"FAIL {record['id']} " in done.stdout and "same result as recorded" in done.stdout
        assert record["failures"][0]["message"] in done.stdout


def test_plotted_traces_equal_a_direct_trace(failing, amprig_bin, repo_dir, tmp_path):
    _, records = failing
    record = next(r for r in records if r["id"] == CT1_RUN)
    traces = sweep_report.failure_traces(record, str(amprig_bin))

    # The reference: the emitted scenario, traced here. The plots span the run: 12 s, whose fault
    # (4 s to 6 s) and failure (4.21 s) lie within the margin of either end.
    emitted = subprocess.run([str(amprig_bin), "sweep", FAILING, "--emit", CT1_RUN], cwd=repo_dir,
                             capture_output=True, text=True, timeout=60, check=True).stdout
    (tmp_path / "run.yaml").write_text(emitted)
    with amprig.Rig.from_yaml(tmp_path / "run.yaml") as rig:
        plant = rig.trace(["plant.L1.current_a", "plant.L2.current_a"], sweep_report.PLANT_PERIOD_S)
        meter = rig.trace(["meter.L1.current_a", "led.current"], sweep_report.FAST_PERIOD_S)
        with pytest.raises(amprig.ExpectationError) as failed:
            rig.run(round(record["sim_s"], 9))
        plant.arrays(), meter.arrays()  # read before the rig closes
    assert str(failed.value).split(": ", 1)[1] == record["failures"][0]["message"].split(": ", 1)[1]
    assert np.array_equal(traces["plant_time_s"], plant.time_s)
    assert np.array_equal(traces["plant.L1.current_a"], plant["plant.L1.current_a"])
    assert np.array_equal(traces["time_s"], meter.time_s)
    assert np.array_equal(traces["meter.L1.current_a"], meter["meter.L1.current_a"])
    assert np.array_equal(traces["led.current"], meter["led.current"])
    # The 10 A heater's true current is 10 A throughout (an open CT changes only the reading),
    # and the meter reads about nothing while the CT is open.
    assert np.allclose(traces["plant.L1.current_a"], 10, rtol=1e-6)
    t = traces["time_s"]
    assert np.all(traces["meter.L1.current_a"][(t > 4.3) & (t < 6.0)] < 0.05)
    assert np.allclose(traces["meter.L1.current_a"][(t > 7) & (t <= 12)], 10, rtol=0.02)

    # What the figure draws is those arrays, with the record's fault window and failure time.
    fault, failure = record["faults"][0], record["failures"][0]
    assert traces["fault_windows"].tolist() == [[fault["at_s"], fault["at_s"] + fault["duration_s"]]]
    figures = dict((kind, fig) for kind, _, fig in sweep_report.failure_figures(traces))
    assert sorted(figures) == ["currents", "leds", "measured"]  # no chargers in this plant
    ax = figures["currents"].axes[0]
    lines = {line.get_gid(): line for line in ax.get_lines()}
    assert np.array_equal(lines["plant.L1.current_a"].get_xdata(), plant.time_s)
    assert np.array_equal(lines["plant.L1.current_a"].get_ydata(), plant["plant.L1.current_a"])
    assert np.array_equal(lines["plant.L2.current_a"].get_ydata(), plant["plant.L2.current_a"])
    fuse_a = yaml.safe_load((repo_dir / "scenarios/regression/base_ag63.yaml").read_text())["device"]["fuse_a"]
    rating = [line for line in ax.get_lines() if line.get_label().startswith("fuse rating")]
    assert len(rating) == 1 and list(rating[0].get_ydata()) == [fuse_a, fuse_a]
    for fig in figures.values():
        for axes in fig.axes:
            spans = [p for p in axes.patches if (p.get_gid() or "").startswith("fault")]
            assert len(spans) == 1
            xs = spans[0].get_xy()[:, 0]
            assert (xs.min(), xs.max()) == (fault["at_s"], fault["at_s"] + fault["duration_s"])
            marks = [line for line in axes.get_lines() if (line.get_gid() or "").startswith("failure")]
            assert [list(m.get_xdata()) for m in marks] == [[failure["time_s"]] * 2]


def test_crashed_run_is_an_error_without_plots(amprig_bin, repo_dir, work, browser, monkeypatch):
    results = run_sweep(amprig_bin, repo_dir, CRASHING, work / "crash.jsonl", hooks=True)
    records = last_records(results)
    crashed = [r for r in records if r["outcome"] == "error"]
    failed = {pathlib.PurePath(r["base"]).stem: r for r in records if r["outcome"] == "failed"}
    assert [r["faults"][0]["name"] for r in crashed] == ["rig.test_crash"]
    assert sorted(failed) == ["balanced_230v_10a_pf1", "sweep_report_hooked_base"]
    # Without the test hooks here, the base that sets rig.test_hang has no rig: its failed run
    # gets a note instead of plots, the other failed run its plots.
    monkeypatch.delenv("AMPRIG_TEST_HOOKS", raising=False)
    page = sweep_report.write_report(results, work / "crash-html", program=str(amprig_bin))
    find = load(browser, page)
    outcomes = collections.Counter(r["outcome"] for r in records)
    assert [find(f"#{i}")[0].text for i in ("runs", "passed", "failed", "errors")] == \
        [str(len(records)), str(outcomes["passed"]), str(outcomes["failed"]), str(outcomes["error"])]
    sections = find("section.run")
    assert [s.get_attribute("data-run-id") for s in sections][-1] == crashed[0]["id"]  # errors last
    sections = {s.get_attribute("data-run-id"): s for s in sections}
    error = sections[crashed[0]["id"]]
    assert "error" in error.get_attribute("class").split()
    assert find("pre.error-text", error)[0].text == crashed[0]["error"] == "crashed: Segmentation fault"
    assert not find("img", error) and not find("ul.failures", error)
    assert "No plots: the run ended in an error (crashed: Segmentation fault)" in find("p.note", error)[0].text
    hooked = sections[failed["sweep_report_hooked_base"]["id"]]
    assert not find("img", hooked)
    note = find("p.note", hooked)[0].text
    assert "No plots: the run's rig cannot be built" in note and "rig.test_hang" in note
    plain = sections[failed["balanced_230v_10a_pf1"]["id"]]
    assert len(find("img", plain)) == 3 and not find("p.note", plain)
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_command_line_last_record_wins_and_max_plotted(failing, amprig_bin, work, capsys):
    results, records = failing
    # The first failed run recorded again as passed: that later record counts.
    lines = pathlib.Path(results).read_text().splitlines()
    first_failed = next(r for r in records if r["outcome"] == "failed")
    again = dict(first_failed, outcome="passed", failures=[], failed=0)
    path = work / "again.jsonl"
    path.write_text("\n".join(lines + [json.dumps(again)]) + "\n")
    out = work / "again-html"
    code = sweep_report.main([str(path), "--out", str(out), "--max-plotted", "1",
                              "--program", str(amprig_bin)])
    assert code == 0
    assert capsys.readouterr().out == f"HTML report: {out / 'index.html'}\n"
    text = (out / "index.html").read_text()
    expected = collections.Counter(r["outcome"] for r in last_records(path))
    assert expected["failed"] == 2
    assert f'id="failed">{expected["failed"]}<' in text and f'id="passed">{expected["passed"]}<' in text
    assert f'data-run-id="{first_failed["id"]}"' not in text
    # Plots for the first failed run only; the second says why it has none.
    assert len(list(out.glob("run001-*.png"))) >= 3 and not list(out.glob("run002-*.png"))
    assert "No plots: only the first 1 failed runs are plotted" in text


def test_bad_input(work, capsys):
    missing = work / "no-such.jsonl"
    assert sweep_report.main([str(missing), "--out", str(work / "x")]) == 2
    err = capsys.readouterr().err
    assert f"cannot read {missing}" in err and "Traceback" not in err

    # A device or a pipe is refused rather than read for ever (/dev/zero) or waited on.
    zero = work / "zero.jsonl"
    zero.symlink_to("/dev/zero")
    assert sweep_report.main([str(zero), "--out", str(work / "x")]) == 2
    assert capsys.readouterr().err == f"amprig: {zero} is a device, not a results file (a regular file)\n"
    pipe = work / "pipe.jsonl"
    os.mkfifo(pipe)
    assert sweep_report.main([str(pipe), "--out", str(work / "x")]) == 2
    assert capsys.readouterr().err == f"amprig: {pipe} is a named pipe, not a results file (a regular file)\n"

    # A damaged line amid intact records is skipped with a warning naming file and line; the
    # page counts the intact runs and says which lines it left out.
    bad = work / "bad.jsonl"
    good = json.dumps({"id": "a", "outcome": "passed", "faults": [], "failures": [], "base": "b.yaml"})
    other = json.dumps({"id": "c", "outcome": "passed", "faults": [], "failures": [], "base": "b.yaml"})
    bad.write_text(good + "\n" + '{"id": "b", "outcome": "passed", "faults": [}\n' + other + "\n")
    assert sweep_report.main([str(bad), "--out", str(work / "x")]) == 0
    err = capsys.readouterr().err
    assert err == (f"amprig: warning: {bad}:2: not JSON: Expecting value (column 45) (skipped)\n")
    text = (work / "x" / "index.html").read_text()
    assert 'id="runs">2<' in text and 'id="passed">2<' in text
    assert f"1 damaged line(s) skipped, their runs not counted: {bad}:2: not JSON" in text

    bad.write_text(good + "\n" + other + "\n" + json.dumps({"id": "d", "outcome": "maybe"}) + "\n")
    assert sweep_report.main([str(bad), "--out", str(work / "y")]) == 0
    assert capsys.readouterr().err == (f"amprig: warning: {bad}:3: unknown outcome 'maybe' (passed, "
                                       "failed or error) (skipped)\n")
    assert 'id="runs">2<' in (work / "y" / "index.html").read_text()

    # Beyond kMaxDamagedWarnings lines, a count of the rest.
    bad.write_text(good + "\n" + "garbage\n" * 12)
    assert sweep_report.main([str(bad), "--out", str(work / "z")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == sweep_report.MAX_DAMAGED_WARNINGS + 1
    assert err[0].startswith(f"amprig: warning: {bad}:2: not JSON")
    assert err[-1] == "amprig: warning: and 2 more lines that are not a run's record (skipped)"

    # Not one line a record: not a results file at all (another file given by mistake).
    bad.write_text("scenario: x\nsteps: []\n")
    assert sweep_report.main([str(bad), "--out", str(work / "w")]) == 2
    err = capsys.readouterr().err
    assert err == (f"amprig: {bad} is not a sweep's results file: not one of its 2 lines is a run's "
                   f"record ({bad}:1: not JSON: Expecting value (column 1))\n")
    assert not (work / "w").exists()

    # The same through the module's command line: exit code 2 and one line, no traceback.
    done = subprocess.run([sys.executable, "-m", "amprig.sweep_report", str(missing), "--out",
                           str(work / "x")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr

    empty = work / "empty.jsonl"
    empty.write_text("")
    page = sweep_report.write_report(empty, work / "empty-html")
    text = page.read_text()
    assert 'id="no-runs"' in text and 'id="runs">0<' in text and "<img" not in text


def test_the_program_writes_the_report(failing, amprig_bin, repo_dir, work):
    """`amprig report RESULTS --html DIR` and `amprig sweep FILE --html DIR` run this module with
    the program's own build (AMPRIG_PROGRAM: the replay commands name that program)."""
    results, records = failing
    out = work / "program-html"
    done = subprocess.run([str(amprig_bin), "report", str(results), "--html", str(out),
                           "--max-plotted", "1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"HTML report: {out / 'index.html'}"
    text = (out / "index.html").read_text()
    failed = [r for r in records if r["outcome"] == "failed"]
    assert f'id="failed">{len(failed)}<' in text
    assert shlex.quote(str(amprig_bin)) + " replay" in text
    assert len(list(out.glob("run001-*.png"))) >= 3

    bad = subprocess.run([str(amprig_bin), "report", str(work / "none.jsonl"), "--html", str(out)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "cannot read" in bad.stderr and "Traceback" not in bad.stderr
    usage = subprocess.run([str(amprig_bin), "report", str(results)], capture_output=True,
                           text=True, timeout=60)
    assert usage.returncode == 2 and "report takes a results file and --html DIR" in usage.stderr

    # After a sweep: the page of the sweep's own results file, and the sweep's exit code.
    swept = work / "swept-html"
    done = subprocess.run([str(amprig_bin), "sweep", FAILING, "--results", str(work / "swept.jsonl"),
                           "--html", str(swept)], cwd=repo_dir, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 1, done.stdout + done.stderr  # the sweep fails on purpose
    assert f"HTML report: {swept / 'index.html'}" in done.stdout
    assert f'id="failed">{len(failed)}<' in (swept / "index.html").read_text()
