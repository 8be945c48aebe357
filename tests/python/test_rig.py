"""amprig.Rig: building from YAML and from a dict, reading and setting signals, steps, run_until,
determinism, and rigs as processes.

References: closed-form plant values of the configuration (phasor sums of the loads on a 230 V
phase, computed with numpy), the architecture document's signal and fault names, PyYAML's reading
of the same scenario text, the test file's own line numbers, and /proc and waitpid."""
import inspect
import pathlib
import re
import textwrap
import time

import numpy as np
import pytest
import yaml

import amprig

HERE = str(pathlib.Path(__file__).resolve())
V = 230.0

# An oven (8 A, resistive) on L1 and a pump (4 A per phase, power factor 0.8 lagging) on all three.
LOADS = {"plant": {"loads": [
    {"name": "oven", "phases": ["L1"], "current_a": 8, "power_factor": 1.0},
    {"name": "pump", "phases": ["L1", "L2", "L3"], "current_a": 4, "power_factor": 0.8},
]}}


def line_here():
    """The line of the caller."""
    return inspect.currentframe().f_back.f_lineno


def phasor(current_a, power_factor, leading=False):
    """A load's current phasor relative to its phase voltage."""
    phi = np.arccos(power_factor)
    return current_a * np.exp(1j * (phi if leading else -phi))


# ---- building -------------------------------------------------------------------------------

SCENARIO_TEXT = textwrap.dedent("""\
    scenario: from-both-sides
    seed: 11
    base: {base}
    device:
      variant: ag63
      fuse_a: 32
    plant:
      loads:
        - {{ name: oven, phases: [L1], current_a: 8, power_factor: 1.0 }}
        - {{ name: pump, phases: [L1, L2, L3], current_a: 4, power_factor: 0.8 }}
      solar: {{ power_w: 1500, phases: [L2] }}
    steps:
      - at: 0.7s
        set: {{ loads.oven.current_a: 11, ct2.reversed: true }}
    """)


def all_values(rig):
    return {name: rig[name] for name in rig.signals()}


def test_from_yaml_and_the_same_dict_give_the_same_rig(tmp_path, repo_dir):
    text = SCENARIO_TEXT.format(base=repo_dir / "scenarios/regression/base_ag63.yaml")
    path = tmp_path / "both.yaml"
    path.write_text(text)
    config = yaml.safe_load(text)  # PyYAML's reading, not the rig's
    with amprig.Rig.from_yaml(path) as a, amprig.Rig(config) as b:
        assert a.signals() == b.signals()
        assert a.faults() == b.faults()
        for _ in range(3):
            a.run(0.5)
            b.run(0.5)
            assert a.time_s == b.time_s
            va, vb = all_values(a), all_values(b)
            assert va == vb, [n for n in va if va[n] != vb[n]]
        # Both played the step at 0.7 s and took the settings from the file.
        assert a["loads.oven.current_a"] == 11 and a["ct2.reversed"] is True
        assert a["settings.fuse_a"] == 32


def test_a_dict_base_is_relative_to_the_python_file():
    # tests/python/test_rig.py -> ../../scenarios/regression/base_ag63.yaml
    rig = amprig.Rig({"base": "../../scenarios/regression/base_ag63.yaml", **LOADS})
    try:
        rig.run(0.3)
        assert rig["plant.L2.current_a"] == pytest.approx(4, rel=1e-9)
    finally:
        rig.close()


def test_values_come_back_as_float_bool_and_str():
    with amprig.Rig(LOADS) as rig:
        rig.run(1.0)
        assert type(rig["plant.L1.current_a"]) is float
        assert type(rig["meter.L1.current_a"]) is float
        assert type(rig["fuse.L1.tripped"]) is bool
        assert type(rig["ct2.reversed"]) is bool
        assert type(rig["led.current"]) is str
        assert type(rig["ct1.phase"]) is str and rig["ct1.phase"] == "L1"
        assert type(rig.time_s) is float


def test_plant_values_are_the_phasor_sums_of_the_loads():
    with amprig.Rig(LOADS) as rig:
        rig.run(1.0)
        l1 = phasor(8, 1.0) + phasor(4, 0.8)
        l2 = phasor(4, 0.8)
        assert rig["plant.L1.voltage_v"] == pytest.approx(V, rel=1e-9)
        assert rig["plant.L1.current_a"] == pytest.approx(abs(l1), rel=1e-9)  # sqrt(11.2^2 + 2.4^2)
        assert rig["plant.L1.power_w"] == pytest.approx(V * l1.real, rel=1e-9)  # 2576 W
        assert rig["plant.L2.current_a"] == pytest.approx(abs(l2), rel=1e-9)
        assert rig["plant.L2.power_w"] == pytest.approx(V * l2.real, rel=1e-9)  # 736 W
        # The class-2 meter measures the same within 2 %.
        assert rig["meter.L1.current_a"] == pytest.approx(abs(l1), rel=0.02)
        assert rig["meter.L1.power_w"] == pytest.approx(V * l1.real, rel=0.02)
        # Setting a load changes the plant.
        rig["loads.oven.current_a"] = 2.5
        rig.run(0.2)
        l1 = phasor(2.5, 1.0) + phasor(4, 0.8)
        assert rig["plant.L1.current_a"] == pytest.approx(abs(l1), rel=1e-9)
        rig["loads.pump.power_factor"] = 0.6
        rig.run(0.2)
        l1 = phasor(2.5, 1.0) + phasor(4, 0.6)
        assert rig["plant.L1.current_a"] == pytest.approx(abs(l1), rel=1e-9)
        assert rig["plant.L3.power_w"] == pytest.approx(V * 4 * 0.6, rel=1e-9)


# ---- names and values -----------------------------------------------------------------------

def test_unknown_names_are_key_errors_with_close_matches():
    with amprig.Rig(LOADS) as rig:
        with pytest.raises(KeyError) as e:
            rig["plant.L1.curent_a"]
        assert "plant.L1.curent_a" in str(e.value) and "did you mean plant.L1.current_a" in str(e.value)
        with pytest.raises(KeyError, match="loads.oven.current_a"):
            rig["loads.ovn.current_a"] = 3
        with pytest.raises(KeyError, match="led.current"):
            rig.describe("led.curent")
        with pytest.raises(KeyError, match="ct2.reversed"):
            rig.trace(["ct2.reversd"])
        with pytest.raises(KeyError, match="meter.frequency_hz"):
            rig.expect("meter.frequency_hx", value=50, tolerance_abs=0.1)
        # Nothing close: no suggestion.
        with pytest.raises(KeyError) as e:
            rig["zzzz"]
        assert "did you mean" not in str(e.value)


def test_out_of_range_values_are_value_errors_naming_the_range():
    with amprig.Rig(LOADS) as rig:
        with pytest.raises(ValueError) as e:
            rig["loads.oven.current_a"] = -3
        m = re.fullmatch(r"loads\.oven\.current_a takes values in \[(\S+), (\S+)\] A, not -3", str(e.value))
        assert m, str(e.value)
        low, high = float(m.group(1)), float(m.group(2))
        assert low == 0, "an RMS current is never negative"
        # The bounds given are the bounds applied.
        rig["loads.oven.current_a"] = low
        rig["loads.oven.current_a"] = high
        with pytest.raises(ValueError, match=r"takes values in \["):
            rig["loads.oven.current_a"] = high * 1.001
        with pytest.raises(ValueError, match=r"mains\.voltage_v takes values in \["):
            rig["mains.voltage_v"] = -230
        with pytest.raises(ValueError, match="takes a number"):
            rig["loads.oven.current_a"] = float("nan")


def test_values_of_the_wrong_type_are_value_errors_saying_what_is_allowed():
    with amprig.Rig(LOADS) as rig:
        cases = [
            ("loads.oven.current_a", "lots", "loads.oven.current_a takes a number in A, not 'lots'"),
            ("loads.oven.current_a", True, "loads.oven.current_a takes a number, not True"),
            ("ct2.reversed", "maybe", "ct2.reversed takes true or false, not 'maybe'"),
            ("ct1.phase", "L4", "ct1.phase takes one of L1|L2|L3, not 'L4'"),
            ("device.power", "standby", "device.power takes one of on|off, not 'standby'"),
            ("ct1.phase", None, "ct1.phase takes a number, a bool or a string, not NoneType"),
            ("ct1.phase", ["L2"], "ct1.phase takes a number, a bool or a string, not list"),
        ]
        for name, value, message in cases:
            with pytest.raises(ValueError) as e:
                rig[name] = value
            assert str(e.value) == message
        # Nothing was changed by the rejected values.
        assert rig["loads.oven.current_a"] == 8 and rig["ct1.phase"] == "L1" and rig["ct2.reversed"] is False


def test_read_only_signals_are_value_errors():
    with amprig.Rig(LOADS) as rig:
        for name in ("plant.L1.current_a", "meter.L1.power_w", "led.current", "fuse.L1.tripped"):
            with pytest.raises(ValueError, match=rf"^{re.escape(name)} is read-only"):
                rig[name] = rig[name]


# numpy scalars (np.int64, np.float32, np.bool_: np.arange() values, elements of a trace array) are
# numbers and bools like Python's own.


def test_numpy_scalars_can_be_set():
    with amprig.Rig(LOADS) as rig:
        rig["loads.oven.current_a"] = np.int64(5)
        assert rig["loads.oven.current_a"] == 5.0
        rig["loads.oven.current_a"] = np.float32(6.5)
        assert rig["loads.oven.current_a"] == 6.5
        rig["ct2.reversed"] = np.bool_(True)
        assert rig["ct2.reversed"] is True


def test_numpy_scalars_in_a_configuration():
    with amprig.Rig({"plant": {"loads": [{"name": "h", "phases": ["L1"], "current_a": np.int64(8)}]}}) as rig:
        rig.run(0.2)
        assert rig["plant.L1.current_a"] == pytest.approx(8, rel=1e-9)


def test_numpy_scalars_in_an_expectation():
    with amprig.Rig(LOADS) as rig:
        rig.run(0.2)
        rig.expect("plant.L2.current_a", value=np.int64(4), tolerance_pct=1)


def test_signals_and_faults_list_the_namespace():
    config = dict(LOADS)
    config["plant"] = dict(LOADS["plant"], chargers=[{"id": "CH1", "car": {"phases": 3, "max_current_a": 16}}],
                           solar={"power_w": 1000, "phases": ["L1"]})
    with amprig.Rig(config) as rig:
        names = rig.signals()
        assert names == sorted(names) and len(set(names)) == len(names)
        # The architecture document's table, for this configuration.
        table = [f"meter.{p}.{q}" for p in ("L1", "L2", "L3") for q in (
            "voltage_v", "current_a", "power_w", "reactive_var", "apparent_va", "power_factor",
            "energy_import_wh", "energy_export_wh")]
        table += [f"plant.{p}.{q}" for p in ("L1", "L2", "L3") for q in ("voltage_v", "current_a", "power_w")]
        table += ["meter.frequency_hz", "meter.total.power_w", "led.logo", "led.comm", "led.voltage",
                  "led.current", "status.current_reason", "fuse.L1.tripped", "fuse.L1.load_pct",
                  "charger.CH1.setpoint_a", "charger.CH1.current_a", "charger.CH1.online",
                  "charger.CH1.charging", "balancer.device_online", "loads.oven.current_a",
                  "loads.pump.current_a", "solar.power_w", "mains.frequency_hz"]
        missing = [n for n in table if n not in names]
        assert not missing
        faults = rig.faults()
        assert faults == sorted(faults) and set(faults) <= set(names)
        for fault in ("ct2.reversed", "ct1.phase", "ct3.connected", "cartridge.present", "mains.L2.lost",
                      "adc.offset_lsb", "network.device_link.down", "charger.CH1.link_lost"):
            assert fault in faults
        for not_a_fault in ("loads.oven.current_a", "plant.L1.current_a", "led.current", "solar.power_w"):
            assert not_a_fault not in faults
        for fault in faults:
            d = rig.describe(fault)
            assert d["fault"] is True and d["settable"] is True
        d = rig.describe("led.comm")
        assert d["kind"] == "choice" and set(d["choices"]) == {"green", "blue", "off"} and not d["settable"]


def test_a_dict_with_a_bad_key_is_a_scenario_error_naming_file_line_and_key():
    line = line_here() + 2
    with pytest.raises(amprig.ScenarioError) as e:
        amprig.Rig({
            "device": {"variant": "ag63"},
            "plant": {"lodas": []},
        })
    assert str(e.value).startswith(f"{HERE}:{line}: key 'plant.lodas': unknown key")
    assert "loads" in str(e.value), "the allowed keys are listed"
    line = line_here() + 2
    with pytest.raises(amprig.ScenarioError) as e:
        amprig.Rig({"plant": {"loads": [{"name": "x", "phases": ["L1"], "current_a": 4},
                                        {"name": "y", "phases": ["L4"], "current_a": 4}]}})
    assert str(e.value).startswith(f"{HERE}:{line}: key 'plant.loads[1].phases")
    line = line_here() + 2
    with pytest.raises(amprig.ScenarioError) as e:
        amprig.Rig({"device": {"variant": "ag64"}})
    assert str(e.value).startswith(f"{HERE}:{line}: key 'device.variant'")
    assert issubclass(amprig.ScenarioError, ValueError)


def test_a_yaml_file_with_a_bad_key_is_a_scenario_error_naming_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("scenario: bad\nplant:\n  mains: { voltage_v: 230 }\n  lodas: []\n")
    with pytest.raises(amprig.ScenarioError, match=rf"^{re.escape(str(path))}:4: key 'plant\.lodas'"):
        amprig.Rig.from_yaml(path)


# ---- steps, expectations, run_until ---------------------------------------------------------

STEPS_YAML = textwrap.dedent("""\
    scenario: steps
    base: {base}
    plant:
      loads:
        - {{ name: heater, phases: [L1, L2, L3], current_a: 10, power_factor: 1.0 }}
    steps:
      - at: 1s
        set: {{ loads.heater.current_a: 12 }}
      - at: 1.5s
        expect:
          plant.L1.current_a: {{ value: 12, tolerance_pct: 0.1 }}
      - at: 2s
        expect:
          plant.L1.current_a: {{ value: 99, tolerance_pct: 1 }}   # fails
          plant.L2.current_a: {{ max: 5 }}                       # fails
      - at: 3s
        expect:
          plant.L3.power_w: {{ value: 1, tolerance_abs: 1 }}       # fails
    """)


def test_yaml_steps_play_as_time_runs_and_failures_raise_from_run(tmp_path, repo_dir):
    path = tmp_path / "steps.yaml"
    text = STEPS_YAML.format(base=repo_dir / "scenarios/regression/base_ag63.yaml")
    path.write_text(text)
    lines = text.splitlines()
    line_of = {key: next(i + 1 for i, t in enumerate(lines) if t.strip().startswith(key) and "fails" in t)
               for key in ("plant.L1.current_a", "plant.L2.current_a", "plant.L3.power_w")}
    with amprig.Rig.from_yaml(path) as rig:
        rig.run(0.9)
        assert rig["loads.heater.current_a"] == 10
        assert rig["plant.L1.current_a"] == pytest.approx(10, rel=1e-9)
        rig.run(0.2)
        assert rig["loads.heater.current_a"] == 12, "the step at 1 s was played"
        assert rig["plant.L1.current_a"] == pytest.approx(12, rel=1e-9)
        rig.run(0.85)  # to 1.95 s: the expectation at 1.5 s holds
        with pytest.raises(amprig.ExpectationError) as e:
            rig.run(0.5)  # to 2.45 s
        assert rig.time_s == pytest.approx(2.45, abs=1e-9), "run() ran its whole span"
        err = e.value
        assert isinstance(err, AssertionError)
        assert (err.file, err.line, err.signal, err.time_s) == (str(path), line_of["plant.L1.current_a"],
                                                                "plant.L1.current_a", 2.0)
        assert err.actual == "12 (-87.8788 %)"  # (12 - 99) / 99
        assert [f["signal"] for f in err.failures] == ["plant.L1.current_a", "plant.L2.current_a"]
        assert err.failures[1]["where"] == f"{path}:{line_of['plant.L2.current_a']}"
        assert err.failures[1]["actual"] == "12"
        rig.run(0.5)  # to 2.95 s: nothing new failed, the old failures are not raised again
        with pytest.raises(amprig.ExpectationError) as e:
            rig.run(0.1)
        assert e.value.line == line_of["plant.L3.power_w"] and e.value.time_s == 3.0
        assert e.value.actual == f"{V * 12:g} (+{(V * 12 - 1) * 100:g} %)"  # 2760 (+275900 %)


def test_steps_in_a_dict_play_too():
    rig = amprig.Rig({**LOADS, "steps": [
        {"at": "0.5s", "set": {"loads.oven.current_a": 1}},
        {"at": "1s", "expect": {"led.logo": "off"}},
    ]})
    line = line_here() - 4
    with rig:
        rig.run(0.6)
        assert rig["loads.oven.current_a"] == 1
        with pytest.raises(amprig.ExpectationError) as e:
            rig.run(1.0)
        assert (e.value.file, e.value.line, e.value.expected, e.value.actual) == (HERE, line, "off", "on")


def test_run_until_returns_the_first_poll_at_which_it_holds():
    config = {**LOADS, "steps": [{"at": "0.3s", "set": {"loads.oven.current_a": 30}}]}
    with amprig.Rig(config) as rig, amprig.Rig(config) as twin:
        rig.run(0.1)
        def big(r):
            return r["plant.L1.current_a"] > 20
        t = rig.run_until(big, timeout_s=1.0, poll_s=0.01)
        assert t == rig.time_s and big(rig)
        assert 0.3 - 1e-9 <= t <= 0.3 + 0.05
        k = round((t - 0.1) / 0.01)
        assert t == pytest.approx(0.1 + 0.01 * k, abs=1e-9), "on the poll grid"
        # One poll earlier it did not hold (a twin stepped to that instant).
        twin.run(t - 0.01)
        assert not big(twin)
        twin.run(0.01)
        assert big(twin)
        # Already true: returns at once.
        assert rig.run_until(big, timeout_s=1.0) == t


def test_run_until_raises_timeout_error_at_the_timeout():
    with amprig.Rig(LOADS) as rig:
        rig.run(0.5)
        line = line_here() + 2
        with pytest.raises(amprig.TimeoutError) as e:
            rig.run_until(lambda r: r["plant.L1.current_a"] > 100, timeout_s=0.3, poll_s=0.05)
        assert rig.time_s == pytest.approx(0.8, abs=1e-9)
        err = e.value
        assert isinstance(err, amprig.ExpectationError)
        assert (err.file, err.line) == (HERE, line)
        assert err.time_s == pytest.approx(0.8, abs=1e-9)
        assert "within 0.3 s of 0.500 s" in str(err)
        with pytest.raises(TypeError, match=r"^run_until\(\) takes condition as a function of the rig"):
            rig.run_until("plant.L1.current_a > 100", timeout_s=1)


def test_a_signal_handler_interrupts_a_long_run():
    import signal

    class Interrupted(Exception):
        pass

    def on_alarm(signum, frame):
        raise Interrupted()

    with amprig.Rig(LOADS) as rig:
        previous = signal.signal(signal.SIGALRM, on_alarm)
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.1)
            started = time.monotonic()
            with pytest.raises(Interrupted):
                rig.run(3000.0)  # about 1.5 s of wall time
            waited = time.monotonic() - started
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        # The handler's exception comes at once, not at the end of the run; the rig, whose reply
        # nobody waits for any more, is closed rather than left out of step.
        assert waited < 0.5, f"the run went on for {waited:.2f} s after the signal"
        assert rig.closed
        with pytest.raises(amprig.RigProcessError, match="closed"):
            rig.run(1.0)


# ---- determinism ----------------------------------------------------------------------------

def test_same_config_and_seed_give_identical_values():
    config = {**LOADS, "seed": 5}
    with amprig.Rig(config) as a, amprig.Rig(config) as b, amprig.Rig({**config, "seed": 6}) as c:
        for rig in (a, b, c):
            rig.run(0.7)
            rig["ct3.reversed"] = True
            rig.run(1.3)
        va, vb, vc = all_values(a), all_values(b), all_values(c)
        assert va == vb
        # The comparison is not vacuous: the ADC noise follows the seed.
        noisy = [n for n in va if n.startswith("meter.") and isinstance(va[n], float)]
        assert any(va[n] != vc[n] for n in noisy)


def test_a_run_split_in_pieces_ends_where_one_run_does():
    with amprig.Rig({**LOADS, "seed": 3}) as a, amprig.Rig({**LOADS, "seed": 3}) as b:
        a.run(2.0)
        for _ in range(8):
            b.run(0.25)
        assert a.time_s == pytest.approx(b.time_s, abs=1e-12)
        assert all_values(a) == all_values(b)


# ---- rigs are processes ---------------------------------------------------------------------

def test_fifty_rigs_one_after_another(process_gone):
    pids = []
    for i in range(50):
        current = 1 + i * 0.5
        with amprig.Rig({"plant": {"loads": [{"name": "h", "phases": ["L2"], "current_a": current}]}}) as rig:
            rig.run(0.1)
            assert rig["plant.L2.current_a"] == pytest.approx(current, rel=1e-9)
            pids.append(rig._process.pid)
        assert rig.closed
    assert len(set(pids)) == 50
    assert all(process_gone(p) for p in pids)


def test_eight_rigs_side_by_side(process_gone):
    rigs = [amprig.Rig({"plant": {"loads": [{"name": "h", "phases": ["L1"], "current_a": i + 1}]}})
            for i in range(8)]
    pids = [r._process.pid for r in rigs]
    assert len(set(pids)) == 8
    assert all(pathlib.Path(f"/proc/{p}").exists() for p in pids)
    for step in range(3):  # interleaved
        for i, r in enumerate(rigs):
            if step == 1:
                r["loads.h.current_a"] = 10 + i
            r.run(0.1 * (i + 1))
    for i, r in enumerate(rigs):
        assert r.time_s == pytest.approx(0.3 * (i + 1), abs=1e-9)
        assert r["plant.L1.current_a"] == pytest.approx(10 + i, rel=1e-9)
    # Closing one leaves the others running.
    rigs[3].close()
    assert process_gone(pids[3])
    for i, r in enumerate(rigs):
        if i != 3:
            r.run(0.1)
            assert r["plant.L1.current_a"] == pytest.approx(10 + i, rel=1e-9)
    for r in rigs:
        r.close()
    assert all(process_gone(p) for p in pids)


def test_repr_and_context_manager(process_gone):
    with amprig.Rig() as rig:
        rig.run(0.25)
        assert repr(rig) == "<amprig.Rig at 0.250 s>"
        pid = rig._process.pid
    assert repr(rig) == "<amprig.Rig closed>" and rig.closed
    assert process_gone(pid)
    with pytest.raises(amprig.RigProcessError, match="closed"):
        rig.run(0.1)


def test_run_takes_non_negative_seconds():
    with amprig.Rig() as rig:
        with pytest.raises(ValueError, match="non-negative"):
            rig.run(-0.1)
        assert rig.time_s == 0.0
