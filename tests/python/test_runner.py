"""`amprig run` on generated Python scenario files (amprig/_runner.py in the program's embedded
interpreter): results, the summary, exit codes and JUnit.

References: the generated files themselves (which tests they hold, on which line each expectation
or exception is), the closed form of the plant they configure (a 10 A resistive load: 10 A), and an
XML parser for the JUnit file."""
import os
import re
import subprocess
import textwrap
import xml.etree.ElementTree as ET

HEATER = ('CONFIG = {"plant": {"loads": [{"name": "heater", "phases": ["L1", "L2", "L3"], '
          '"current_a": 10, "power_factor": 1.0}]}}\n')


def write(folder, name, text, heater=False):
    """A scenario file; with `heater`, its module CONFIG is the 10 A heater."""
    path = folder / name
    path.write_text((HEATER if heater else "") + textwrap.dedent(text))
    return path


def line_of(path, marker):
    """The line of `path` that holds `marker`."""
    hits = [i for i, t in enumerate(path.read_text().splitlines(), start=1) if marker in t]
    assert len(hits) == 1, marker
    return hits[0]


class Run:
    """One `amprig run`: exit code, output, the summary table's rows and the failure blocks."""

    def __init__(self, amprig_bin, cwd, *args):
        env = {k: v for k, v in os.environ.items() if k != "AMPRIG_REPORT_DIR"}
        done = subprocess.run([str(amprig_bin), "run", *map(str, args)], capture_output=True, text=True,
                              timeout=120, cwd=cwd, env=env)
        self.code, self.out, self.err = done.returncode, done.stdout, done.stderr
        lines = self.out.splitlines()
        dashes = [i for i, t in enumerate(lines) if t and set(t) == {"-"}]
        assert len(dashes) == 2, self.out + self.err
        self.rows = {}
        for t in lines[dashes[0] + 1:dashes[1]]:
            id_, result, checks, failed, sim, wall = t.split()
            self.rows[id_] = {"result": result, "checks": int(checks), "failed": int(failed),
                              "sim_s": float(sim)}
        # "FAIL id (file)" or "ERROR id (file)", then its lines up to the next one or the totals.
        self.blocks = {}
        current = None
        for t in lines[dashes[1] + 1:]:
            m = re.fullmatch(r"(FAIL|ERROR) (\S+) \((.*)\)", t)
            if m:
                current = m.group(2)
                self.blocks[current] = {"outcome": m.group(1), "file": m.group(3), "text": ""}
            elif re.match(r"\d+ passed, \d+ failed", t):
                current = None
            elif current:
                self.blocks[current]["text"] += t + "\n"

    def __repr__(self):
        return f"exit {self.code}\n{self.out}\n{self.err}"


def test_a_passing_file(tmp_path, amprig_bin):
    path = write(tmp_path, "scenario_ok.py", """
        def scenario(rig):
            '''Ten amperes on each phase.'''
            rig.run(1.5)
            rig.expect("plant.L1.current_a", value=10, tolerance_pct=0.1)
            rig.expect("plant.L1.power_w", value=2300, tolerance_pct=0.1)

        def test_more(rig):
            rig.run(0.5)
            rig.expect("led.logo", "on", within=1.0)
            assert rig["plant.L2.current_a"] > 9.99
        """, heater=True)
    run = Run(amprig_bin, tmp_path, path)
    assert run.code == 0, run
    assert run.rows == {
        "scenario_ok": {"result": "PASS", "checks": 2, "failed": 0, "sim_s": 1.5},
        "scenario_ok::test_more": {"result": "PASS", "checks": 1, "failed": 0, "sim_s": 0.5},
    }
    assert not run.blocks
    assert re.search(r"^2 passed, 0 failed; 2\.0 s simulated in ", run.out, re.M), run


def test_a_failing_expectation(tmp_path, amprig_bin):
    path = write(tmp_path, "test_fails.py", """
        def test_it(rig):
            rig.run(1.0)
            rig.expect("plant.L1.current_a", value=10, tolerance_pct=1)
            rig.expect("plant.L1.current_a", value=20, tolerance_pct=1)  # fails here
            rig.expect("led.logo", "on")  # never reached
        """, heater=True)
    run = Run(amprig_bin, tmp_path, path)
    assert run.code == 1, run
    assert run.rows["test_fails::test_it"] == {"result": "FAIL", "checks": 2, "failed": 1, "sim_s": 1.0}
    block = run.blocks["test_fails::test_it"]
    assert block["outcome"] == "FAIL" and block["file"] == str(path)
    line = line_of(path, "# fails here")
    assert block["text"].splitlines()[0] == (f"  {path}:{line}: plant.L1.current_a at 1.000 s: "
                                             "expected 20 ±1 % [19.8, 20.2], actual 10 (-50 %)")


def test_a_python_exception_fails_with_its_traceback(tmp_path, amprig_bin):
    path = write(tmp_path, "test_boom.py", """
        def helper(x):
            return x / 0  # divides by zero

        def test_boom(rig):
            rig.run(0.5)
            helper(rig["plant.L1.current_a"])  # calls the helper

        def test_assert(rig):
            rig.run(0.25)
            assert rig["plant.L1.current_a"] > 50  # plain assert
        """, heater=True)
    run = Run(amprig_bin, tmp_path, path)
    assert run.code == 1, run
    assert run.rows["test_boom::test_boom"]["result"] == "FAIL"
    assert run.rows["test_boom::test_boom"]["sim_s"] == 0.5
    text = run.blocks["test_boom::test_boom"]["text"]
    raised, called = line_of(path, "# divides by zero"), line_of(path, "# calls the helper")
    # Where it left the scenario file (the innermost frame in it), what it was, then the traceback.
    assert text.splitlines()[0] == f"  {path}:{raised}: ZeroDivisionError: float division by zero"
    assert f'File "{path}", line {called}, in test_boom' in text
    assert f'File "{path}", line {raised}, in helper' in text
    assert text.index(f"line {called}") < text.index(f"line {raised}")
    text = run.blocks["test_boom::test_assert"]["text"]
    line = line_of(path, "# plain assert")
    assert text.splitlines()[0].startswith(f"  {path}:{line}: AssertionError: assert ")
    assert f'File "{path}", line {line}, in test_assert' in text


def test_a_syntax_error_is_an_error_not_a_crash(tmp_path, amprig_bin):
    bad = write(tmp_path, "test_syntax.py", """
        def test_x(rig:
            pass
        """)
    good = write(tmp_path, "test_good.py", """
        def test_x(rig):
            rig.run(0.1)
        """, heater=True)
    run = Run(amprig_bin, tmp_path, bad, good)
    assert run.code == 1, run
    assert run.rows["test_syntax"]["result"] == "ERROR"
    assert run.rows["test_good::test_x"]["result"] == "PASS"
    block = run.blocks["test_syntax"]
    assert block["outcome"] == "ERROR" and block["file"] == str(bad)
    assert f"{bad}: cannot load the scenario file" in block["text"]
    assert "SyntaxError" in block["text"] and f'"{bad}", line 2' in block["text"]
    assert "crashed" not in run.out and "ended without a result" not in run.out


def test_a_bad_configuration_is_an_error(tmp_path, amprig_bin):
    path = write(tmp_path, "test_badcfg.py", """
        CONFIG = {"plant": {"lodas": []}}

        def test_x(rig):
            rig.run(0.1)
        """)
    empty = write(tmp_path, "scenario_empty.py", """
        X = 1
        """)
    run = Run(amprig_bin, tmp_path, path, empty)
    assert run.code == 1, run
    assert run.rows["test_badcfg::test_x"] == {"result": "ERROR", "checks": 0, "failed": 0, "sim_s": 0.0}
    first = run.blocks["test_badcfg::test_x"]["text"].splitlines()[0]
    assert re.fullmatch(rf"  {re.escape(str(path))}: ScenarioError: {re.escape(str(path))}:\d+: "
                        r"key 'plant\.lodas': unknown key.*", first), first
    assert run.rows["scenario_empty"]["result"] == "ERROR"
    assert f"{empty}: no scenario in it" in run.blocks["scenario_empty"]["text"]


def test_yaml_and_python_in_one_run_with_junit(tmp_path, amprig_bin, repo_dir):
    py = write(tmp_path, "test_mixed.py", """
        def test_pass(rig, report_dir):
            rig.run(0.5)
            rig.expect("plant.L1.current_a", value=10, tolerance_pct=0.1)
            (report_dir / "note.txt").write_text(str(report_dir))

        def test_fail(rig):
            rig.run(0.5)
            rig.expect("plant.L3.current_a", max=5)  # fails

        def test_raise(rig):
            raise RuntimeError("not today")  # raises
        """, heater=True)
    yaml = write(tmp_path, "plain.yaml", f"""
        scenario: plain_yaml
        base: {repo_dir / "scenarios/regression/base_ag63.yaml"}
        plant:
          loads:
            - {{ name: heater, phases: [L1], current_a: 10, power_factor: 1.0 }}
        steps:
          - at: 1s
            expect:
              plant.L1.current_a: {{ value: 10, tolerance_pct: 0.1 }}
        """)
    junit = tmp_path / "out" / "junit.xml"
    report = tmp_path / "reports" / "run.md"
    run = Run(amprig_bin, tmp_path, py, yaml, "--junit", junit, "--report", report)
    assert run.code == 1, run
    # Python scenarios leave their files beside the report.
    assert (report.parent / "note.txt").read_text() == str(report.parent)
    assert "test_mixed::test_fail" in report.read_text()
    assert {k: v["result"] for k, v in run.rows.items()} == {
        "test_mixed::test_pass": "PASS", "test_mixed::test_fail": "FAIL", "test_mixed::test_raise": "FAIL",
        "plain_yaml": "PASS"}
    assert run.rows["plain_yaml"]["sim_s"] == 1.0 and run.rows["plain_yaml"]["checks"] == 1
    assert f"JUnit: {junit}" in run.out

    suite = ET.parse(junit).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["test_mixed::test_pass", "test_mixed::test_fail",
                                               "test_mixed::test_raise", "plain_yaml"]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "0")
    by_name = {c.get("name"): c for c in cases}
    assert by_name["test_mixed::test_pass"].find("failure") is None
    assert by_name["plain_yaml"].find("failure") is None and by_name["plain_yaml"].get("file") == str(yaml)
    failure = by_name["test_mixed::test_fail"].find("failure")
    line = line_of(py, "# fails")
    assert failure.get("message") == (f"{py}:{line}: plant.L3.current_a at 0.500 s: expected in [-inf, 5], "
                                      "actual 10")
    failure = by_name["test_mixed::test_raise"].find("failure")
    line = line_of(py, "# raises")
    assert failure.get("message").startswith(f"{py}:{line}: RuntimeError: not today")
    assert "Traceback" in failure.text
    for c in cases[:3]:
        assert c.get("file") == str(py)


def test_an_expected_failure_is_not_an_error(tmp_path, amprig_bin, build_dir):
    path = write(tmp_path, "test_known.py", """
        import pytest

        @pytest.mark.xfail(reason="known firmware bug")
        def test_known_bug(rig):
            rig.run(0.1)
            assert rig["led.logo"] == "off"

        def test_fine(rig):
            rig.run(0.1)
        """)
    # pytest's own verdict on the same file, with the same plugin.
    env = dict(os.environ, PYTHONPATH=str(build_dir / "python"))
    by_pytest = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "amprig.pytest_plugin",
                                "-p", "no:cacheprovider", str(path)], capture_output=True, text=True,
                               cwd=tmp_path, env=env, timeout=60)
    assert by_pytest.returncode == 0 and "1 passed, 1 xfailed" in by_pytest.stdout, by_pytest.stdout
    run = Run(amprig_bin, tmp_path, path)
    assert run.rows["test_known::test_fine"]["result"] == "PASS"
    assert run.rows["test_known::test_known_bug"]["result"] == "PASS", run
    assert run.code == 0, run
