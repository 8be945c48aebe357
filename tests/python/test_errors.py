"""What the rig raises: ExpectationError (the YAML failure line, and its parts as attributes),
TimeoutError, ScenarioError, RigProcessError.

References: failure lines written out by hand from the closed form of the plant (a 10 A resistive
load on each 230 V phase: 10 A, 2300 W), this file's own line numbers, and the failure lines that
`amprig run` prints for the same expectations in a YAML file."""
import inspect
import pathlib
import re
import subprocess
import textwrap

import pytest

import amprig

HERE = str(pathlib.Path(__file__).resolve())
CONFIG = {"seed": 9, "plant": {"loads": [{"name": "heater", "phases": ["L1", "L2", "L3"], "current_a": 10,
                                          "power_factor": 1.0}]}}


def line_here():
    return inspect.currentframe().f_back.f_lineno


@pytest.fixture
def rig():
    r = amprig.Rig(CONFIG)
    yield r
    r.close()


def test_the_error_classes():
    assert issubclass(amprig.ExpectationError, AssertionError)
    assert issubclass(amprig.TimeoutError, amprig.ExpectationError)
    assert issubclass(amprig.ScenarioError, ValueError)
    assert issubclass(amprig.RigProcessError, RuntimeError)
    assert amprig.ScenarioError is amprig._core.ScenarioError
    assert amprig.RigProcessError is amprig._core.RigProcessError


def test_expectation_error_has_the_yaml_line_and_its_parts(rig):
    rig.run(1.0)
    line = line_here() + 2
    with pytest.raises(amprig.ExpectationError) as e:
        rig.expect("plant.L1.current_a", value=20, tolerance_pct=1)
    err = e.value
    assert str(err) == (f"{HERE}:{line}: plant.L1.current_a at 1.000 s: "
                        "expected 20 ±1 % [19.8, 20.2], actual 10 (-50 %)")
    assert err.file == HERE and err.line == line
    assert err.where == f"{HERE}:{line}"
    assert err.signal == "plant.L1.current_a"
    assert err.expected == "20 ±1 % [19.8, 20.2]"
    assert err.actual == "10 (-50 %)"
    assert err.time_s == 1.0
    assert err.failures == [{"where": f"{HERE}:{line}", "signal": "plant.L1.current_a",
                             "expected": "20 ±1 % [19.8, 20.2]", "actual": "10 (-50 %)", "time_s": 1.0,
                             "message": str(err)}]


# (call, expected text after "file:line: ") for the plant of CONFIG at 1 s: 10 A, 230 V, 2300 W.
CASES = [
    (lambda r: r.expect("plant.L2.current_a", value=20, tolerance_abs=0.5),
     "plant.L2.current_a at 1.000 s: expected 20 ±0.5 [19.5, 20.5], actual 10 (-50 %)"),
    (lambda r: r.expect("plant.L3.current_a", min=11, max=16),
     "plant.L3.current_a at 1.000 s: expected in [11, 16], actual 10"),
    (lambda r: r.expect("plant.L3.current_a", min=11),
     "plant.L3.current_a at 1.000 s: expected in [11, +inf], actual 10"),
    (lambda r: r.expect("plant.L1.power_w", not_between=(1000, 3000)),
     "plant.L1.power_w at 1.000 s: expected not in (1000, 3000), actual 2300"),
    (lambda r: r.expect("plant.L1.voltage_v", value=240, tolerance_pct=2),
     "plant.L1.voltage_v at 1.000 s: expected 240 ±2 % [235.2, 244.8], actual 230 (-4.16667 %)"),
    (lambda r: r.expect("led.logo", "off"),
     "led.logo at 1.000 s: expected off, actual on"),
    (lambda r: r.expect("fuse.L1.tripped", True),
     "fuse.L1.tripped at 1.000 s: expected true, actual false"),
    (lambda r: r.expect("led.logo", contains="of"),
     "led.logo at 1.000 s: expected text containing 'of', actual on"),
    (lambda r: r.expect("plant.L1.current_a", value="plant.L1.voltage_v", tolerance_pct=1),
     "plant.L1.current_a at 1.000 s: expected plant.L1.voltage_v ±1 % (= 230) [227.7, 232.3], "
     "actual 10 (-95.6522 %)"),
]


@pytest.mark.parametrize("call, text", CASES, ids=[t.split(" at ")[0] + f"-{i}" for i, (_, t) in enumerate(CASES)])
def test_each_kind_of_expectation_says_what_it_expected(rig, call, text):
    rig.run(1.0)
    line = [l for l in inspect.getsourcelines(call)[0]][0]
    with pytest.raises(amprig.ExpectationError) as e:
        call(rig)
    err = e.value
    # The line is the lambda's own line in CASES, in this file.
    assert err.file == HERE
    assert (pathlib.Path(HERE).read_text().splitlines()[err.line - 1]).strip() == line.strip()
    assert str(err) == f"{HERE}:{err.line}: {text}"
    assert f"expected {err.expected}, actual {err.actual}" in text
    assert err.time_s == 1.0


def test_within_and_during_messages(rig):
    rig.run(2.0)
    line = line_here() + 2
    with pytest.raises(amprig.ExpectationError) as e:
        rig.expect("led.logo", "off", within=0.5)
    assert str(e.value) == f"{HERE}:{line}: led.logo nowhere in [2.000 s, 2.500 s]: expected off, actual on"
    assert e.value.time_s == 2.5 and rig.time_s == 2.5
    rig.run(0.5)
    line = line_here() + 2
    with pytest.raises(amprig.ExpectationError) as e:
        rig.expect("plant.L1.current_a", max=5, during=0.5)
    assert str(e.value) == (f"{HERE}:{line}: plant.L1.current_a at 3.000 s during [3.000 s, 3.500 s]: "
                            "expected in [-inf, 5], actual 10")
    # A during that fails part-way stops there: the load is raised at 3.2 s.
    rig["loads.heater.current_a"] = 4
    rig.run(0.2)
    rig["loads.heater.current_a"] = 6
    with pytest.raises(amprig.ExpectationError) as e:
        rig.expect("plant.L1.current_a", max=5, during=1.0)
    assert e.value.time_s == pytest.approx(3.2, abs=0.05) and rig.time_s == e.value.time_s
    assert e.value.actual == "6"


def test_timeout_error_is_an_expectation_error_with_the_callers_line(rig):
    rig.run(1.0)
    line = line_here() + 2
    with pytest.raises(amprig.TimeoutError) as e:
        rig.run_until(lambda r: r["led.logo"] == "off", timeout_s=0.25)
    err = e.value
    assert isinstance(err, amprig.ExpectationError) and isinstance(err, AssertionError)
    assert (err.file, err.line) == (HERE, line)
    assert str(err) == (f"{HERE}:{line}: run_until(<lambda>) still false at 1.250 s: "
                        "expected true within 0.25 s of 1.000 s")
    assert err.time_s == pytest.approx(1.25, abs=1e-9)

    def logo_off(r):
        return r["led.logo"] == "off"

    with pytest.raises(amprig.TimeoutError) as e:
        rig.run_until(logo_off, timeout_s=0.1)
    assert e.value.signal == "logo_off" and "run_until(logo_off)" in str(e.value)


# ---- the same expectation in YAML and in Python ---------------------------------------------

YAML = textwrap.dedent("""\
    scenario: same_words
    seed: 9
    base: {base}
    plant:
      loads:
        - {{ name: heater, phases: [L1, L2, L3], current_a: 10, power_factor: 1.0 }}
    steps:
      - at: 1s
        expect:
          plant.L1.current_a: {{ value: 20, tolerance_pct: 1 }}             # A
          plant.L2.current_a: {{ value: 20, tolerance_abs: 0.5 }}           # B
          plant.L3.current_a: {{ min: 11, max: 16 }}                        # C
          plant.L1.power_w: {{ not_between: [1000, 3000] }}                 # D
          led.logo: off                                                   # E
          fuse.L1.tripped: true                                           # F
          meter.L1.current_a: {{ value: plant.L2.power_w, tolerance_pct: 2 }} # G
          meter.L2.power_w: {{ max: 100 }}                                  # H
          led.voltage: {{ contains: red }}                                  # I
      - at: 2s
        within: 0.5s
        expect: {{ led.logo: off }}                                       # J
      - during: [3s, 3.5s]
        expect: {{ plant.L1.current_a: {{ max: 5 }} }}                      # K
    """)

PYTHON = {
    "A": lambda r: r.expect("plant.L1.current_a", value=20, tolerance_pct=1),
    "B": lambda r: r.expect("plant.L2.current_a", value=20, tolerance_abs=0.5),
    "C": lambda r: r.expect("plant.L3.current_a", min=11, max=16),
    "D": lambda r: r.expect("plant.L1.power_w", not_between=[1000, 3000]),
    "E": lambda r: r.expect("led.logo", "off"),
    "F": lambda r: r.expect("fuse.L1.tripped", True),
    "G": lambda r: r.expect("meter.L1.current_a", value="plant.L2.power_w", tolerance_pct=2),
    "H": lambda r: r.expect("meter.L2.power_w", max=100),
    "I": lambda r: r.expect("led.voltage", contains="red"),
    "J": lambda r: r.expect("led.logo", "off", within=0.5),
    "K": lambda r: r.expect("plant.L1.current_a", max=5, during=0.5),
}


def test_yaml_and_python_say_the_same(tmp_path, amprig_bin, repo_dir):
    path = tmp_path / "same_words.yaml"
    text = YAML.format(base=repo_dir / "scenarios/regression/base_ag63.yaml")
    path.write_text(text)
    line_of = {}
    for number, line in enumerate(text.splitlines(), start=1):
        m = re.search(r"# ([A-K])$", line)
        if m:
            line_of[number] = m.group(1)
    assert sorted(line_of.values()) == sorted(PYTHON)

    done = subprocess.run([str(amprig_bin), "run", str(path), "-j", "1"], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    from_yaml = {}
    for line in done.stdout.splitlines():
        m = re.fullmatch(rf"  {re.escape(str(path))}:(\d+): (.*)", line)
        if m:
            from_yaml[line_of[int(m.group(1))]] = m.group(2)
    assert sorted(from_yaml) == sorted(PYTHON), done.stdout

    from_python = {}
    with amprig.Rig(CONFIG) as rig:
        rig.run(1.0)
        for key in "ABCDEFGHI":
            with pytest.raises(amprig.ExpectationError) as e:
                PYTHON[key](rig)
            from_python[key] = e.value
        rig.run(1.0)
        with pytest.raises(amprig.ExpectationError) as e:
            PYTHON["J"](rig)
        from_python["J"] = e.value
        rig.run(3.0 - rig.time_s)
        with pytest.raises(amprig.ExpectationError) as e:
            PYTHON["K"](rig)
        from_python["K"] = e.value

    for key, err in from_python.items():
        assert str(err) == f"{err.where}: {from_yaml[key]}", key
        assert f"expected {err.expected}, actual {err.actual}" in from_yaml[key]
    # The closed form, for the plant's own values.
    assert from_yaml["A"] == "plant.L1.current_a at 1.000 s: expected 20 ±1 % [19.8, 20.2], actual 10 (-50 %)"
    assert from_yaml["D"] == "plant.L1.power_w at 1.000 s: expected not in (1000, 3000), actual 2300"
    assert from_yaml["K"] == ("plant.L1.current_a at 3.000 s during [3.000 s, 3.500 s]: "
                              "expected in [-inf, 5], actual 10")


def test_failures_of_a_yaml_file_raised_from_run_carry_the_yaml_line(tmp_path, repo_dir):
    path = tmp_path / "steps.yaml"
    text = YAML.format(base=repo_dir / "scenarios/regression/base_ag63.yaml")
    path.write_text(text)
    lines = text.splitlines()
    line_a = next(i for i, l in enumerate(lines, start=1) if l.endswith("# A"))
    with amprig.Rig.from_yaml(path) as rig:
        with pytest.raises(amprig.ExpectationError) as e:
            rig.run(1.5)
        err = e.value
        assert (err.file, err.line, err.signal, err.time_s) == (str(path), line_a, "plant.L1.current_a", 1.0)
        assert str(err) == (f"{path}:{line_a}: plant.L1.current_a at 1.000 s: "
                            "expected 20 ±1 % [19.8, 20.2], actual 10 (-50 %)")
        assert len(err.failures) == 9  # A to I, all at 1 s


def test_a_failed_exact_expectation_shows_a_different_actual_value(rig):
    rig.run(0.5)
    actual = rig["plant.L1.current_a"]
    assert actual != 10.0 and actual == pytest.approx(10.0, rel=1e-12)  # the precondition
    with pytest.raises(amprig.ExpectationError) as e:
        rig.expect("plant.L1.current_a", 10)
    assert e.value.expected == "10"
    assert e.value.actual != e.value.expected, str(e.value)
