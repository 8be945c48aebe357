"""The binding core, amprig._core.RigProcess, used directly: a rig in a child process of its own.

References are closed forms of the configuration (a resistive load of I amperes on a 230 V phase
carries I A and 230*I W), the architecture document's signal table, and the operating system
(/proc, waitpid, strsignal)."""
import gc
import os
import pathlib
import signal
import threading
import time

import numpy as np
import pytest

from amprig import _core

HERE = str(pathlib.Path(__file__).resolve())
V = 230.0  # the default ag63 mains: 230 V line-to-neutral


def heater(current_a, phases=("L1", "L2", "L3")):
    return {"plant": {"loads": [{"name": "heater", "phases": list(phases), "current_a": current_a,
                                 "power_factor": 1.0}]}}


def open_rig(config, line=1):
    return _core.RigProcess.open_config(config, HERE, line, os.path.dirname(HERE))


@pytest.fixture
def proc():
    p = open_rig(heater(10))
    yield p
    p.close()


def test_a_rig_is_a_child_process_of_its_own(proc):
    assert isinstance(proc.pid, int) and proc.pid > 0 and proc.pid != os.getpid()
    stat = pathlib.Path(f"/proc/{proc.pid}/stat").read_text()
    assert int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid()
    assert proc.closed is False


def test_run_advances_simulated_time(proc):
    assert proc.time_s() == 0.0
    assert proc.run(0.25) == []
    assert proc.time_s() == pytest.approx(0.25, abs=1e-12)
    proc.run(0.0)
    assert proc.time_s() == pytest.approx(0.25, abs=1e-12)
    proc.run(1.5)
    assert proc.time_s() == pytest.approx(1.75, abs=1e-12)


def test_get_gives_the_plant_of_the_configuration(proc):
    proc.run(0.5)
    current = proc.get("plant.L1.current_a")
    assert type(current) is float
    assert current == pytest.approx(10.0, rel=1e-9)
    assert proc.get("plant.L1.voltage_v") == pytest.approx(V, rel=1e-9)
    assert proc.get("plant.L1.power_w") == pytest.approx(V * 10.0, rel=1e-9)
    assert type(proc.get("fuse.L1.tripped")) is bool and proc.get("fuse.L1.tripped") is False
    assert type(proc.get("led.logo")) is str and proc.get("led.logo") == "on"


def test_set_then_run_changes_the_plant(proc):
    proc.run(0.2)
    proc.set("loads.heater.current_a", 12.5)
    assert proc.get("loads.heater.current_a") == 12.5
    proc.run(0.2)
    for phase in ("L1", "L2", "L3"):
        assert proc.get(f"plant.{phase}.current_a") == pytest.approx(12.5, rel=1e-9)
        assert proc.get(f"plant.{phase}.power_w") == pytest.approx(V * 12.5, rel=1e-9)
    proc.set("ct2.reversed", True)
    assert proc.get("ct2.reversed") is True
    proc.set("ct1.phase", "L3")
    assert proc.get("ct1.phase") == "L3"
    proc.set("mains.L2.lost", True)
    proc.run(0.2)
    assert proc.get("plant.L2.voltage_v") == pytest.approx(0.0, abs=1e-9)
    assert proc.get("plant.L2.current_a") == pytest.approx(0.0, abs=1e-9)  # a resistor: no V, no I
    assert proc.get("plant.L1.voltage_v") == pytest.approx(V, rel=1e-9)


def test_signals_describe_the_namespace(proc):
    got = proc.signals()
    assert isinstance(got, list) and got
    keys = {"name", "type", "kind", "unit", "choices", "settable", "fault", "description"}
    for s in got:
        assert set(s) == keys
        assert s["kind"] in ("number", "bool", "choice", "text")
    by_name = {s["name"]: s for s in got}
    assert len(by_name) == len(got), "signal names are unique"
    # The architecture document's table.
    current = by_name["plant.L1.current_a"]
    assert (current["kind"], current["unit"], current["settable"], current["fault"]) == ("number", "A", False, False)
    assert by_name["meter.L1.voltage_v"]["unit"] == "V"
    assert by_name["meter.L1.power_w"]["unit"] == "W"
    assert by_name["meter.L1.energy_import_wh"]["unit"] == "Wh"
    assert by_name["meter.frequency_hz"]["unit"] == "Hz"
    assert set(by_name["led.logo"]["choices"]) == {"on", "off"}
    assert set(by_name["led.comm"]["choices"]) == {"green", "blue", "off"}
    assert set(by_name["led.current"]["choices"]) == {"green", "red", "off"}
    assert set(by_name["status.current_reason"]["choices"]) == {"ok", "wrong_sequence", "low_current",
                                                                 "not_connected"}
    assert by_name["led.current"]["kind"] == "choice" and not by_name["led.current"]["settable"]
    reversed_ = by_name["ct2.reversed"]
    assert (reversed_["kind"], reversed_["settable"], reversed_["fault"]) == ("bool", True, True)
    load = by_name["loads.heater.current_a"]
    assert (load["kind"], load["unit"], load["settable"], load["fault"]) == ("number", "A", True, False)


def test_trace_samples_at_the_period(proc):
    proc.run(0.1)
    tid = proc.start_trace(["plant.L1.current_a", "fuse.L1.tripped", "led.logo"], 0.01, "")
    assert isinstance(tid, int)
    proc.run(0.1)
    t = proc.trace(tid)
    assert t["names"] == ["plant.L1.current_a", "fuse.L1.tripped", "led.logo"]
    assert isinstance(t["time_s"], np.ndarray) and t["time_s"].dtype == np.float64
    assert len(t["time_s"]) == 11  # 0.1 s, 0.11 s, ... 0.2 s
    np.testing.assert_allclose(t["time_s"], 0.1 + 0.01 * np.arange(11), rtol=0, atol=1e-12)
    np.testing.assert_allclose(t["values"]["plant.L1.current_a"], np.full(11, 10.0), rtol=1e-9)
    assert t["values"]["fuse.L1.tripped"].dtype == np.bool_
    assert not t["values"]["fuse.L1.tripped"].any()
    assert list(t["values"]["led.logo"]) == ["on"] * 11
    proc.stop_trace(tid)
    proc.run(0.1)
    assert len(proc.trace(tid)["time_s"]) == 11, "no samples after stop_trace"


def test_check_holds_or_gives_the_failure(proc):
    proc.run(1.0)
    assert proc.check("plant.L1.current_a", {"value": 10, "tolerance_pct": 0.1}, "at", 0.0, HERE, 7) is None
    assert proc.check("led.logo", "on", "at", 0.0, HERE, 8) is None
    f = proc.check("plant.L1.current_a", {"value": 20, "tolerance_pct": 1}, "at", 0.0, "/x/y.py", 42)
    assert f == {
        "where": "/x/y.py:42",
        "signal": "plant.L1.current_a",
        "expected": "20 ±1 % [19.8, 20.2]",
        "actual": "10 (-50 %)",
        "time_s": 1.0,
        "message": "/x/y.py:42: plant.L1.current_a at 1.000 s: expected 20 ±1 % [19.8, 20.2], "
                   "actual 10 (-50 %)",
    }
    assert proc.time_s() == 1.0, "an 'at' check does not run time"
    # within: runs until it holds or the window ends; during: runs and stops at the first failure.
    f = proc.check("led.logo", "off", "within", 0.5, "/x/y.py", 43)
    assert f["message"] == "/x/y.py:43: led.logo nowhere in [1.000 s, 1.500 s]: expected off, actual on"
    assert proc.time_s() == pytest.approx(1.5, abs=1e-12)
    assert proc.check("plant.L1.current_a", {"min": 9, "max": 11}, "during", 0.5, HERE, 9) is None
    assert proc.time_s() == pytest.approx(2.0, abs=1e-12)


def test_run_returns_the_failures_of_the_configurations_steps():
    config = dict(heater(10), steps=[{"at": "0.5s", "expect": {"plant.L1.current_a": {"value": 99, "tolerance_pct": 1}}}])
    p = open_rig(config, line=77)
    try:
        assert p.run(0.4) == []
        failures = p.run(0.2)
        assert len(failures) == 1
        assert failures[0]["where"] == f"{HERE}:77"
        assert failures[0]["signal"] == "plant.L1.current_a"
        assert failures[0]["time_s"] == 0.5
        assert failures[0]["actual"] == "10 (-89.899 %)"  # (10 - 99) / 99
        assert p.run(0.5) == [], "a failure is reported once"
    finally:
        p.close()


# ---- errors ---------------------------------------------------------------------------------

def test_unknown_names_are_key_errors(proc):
    with pytest.raises(KeyError, match=r"no signal named 'plant\.L1\.curent_a'.*plant\.L1\.current_a"):
        proc.get("plant.L1.curent_a")
    with pytest.raises(KeyError, match="loads.heater.current_a"):
        proc.set("loads.heatr.current_a", 3.0)
    with pytest.raises(KeyError, match="led.current"):
        proc.start_trace(["led.curent"], 0.01, "")
    with pytest.raises(KeyError, match="led.current"):
        proc.check("led.curent", "green", "at", 0.0, HERE, 1)


def test_bad_values_are_value_errors(proc):
    with pytest.raises(ValueError, match="read-only"):
        proc.set("plant.L1.current_a", 3.0)
    with pytest.raises(ValueError, match=r"loads\.heater\.current_a takes values in \[0, "):
        proc.set("loads.heater.current_a", -1.0)
    with pytest.raises(ValueError, match="takes a number"):
        proc.set("loads.heater.current_a", True)
    with pytest.raises(ValueError, match="true or false"):
        proc.set("ct2.reversed", "maybe")
    with pytest.raises(ValueError, match=r"one of L1\|L2\|L3"):
        proc.set("ct1.phase", "L4")
    with pytest.raises(ValueError, match="NoneType"):
        proc.set("ct1.phase", None)
    with pytest.raises(ValueError):
        proc.run(-1.0)
    with pytest.raises(ValueError, match="at, within or during"):
        proc.check("led.logo", "on", "sometimes", 0.0, HERE, 1)
    with pytest.raises(ValueError, match="at least 1 us"):
        proc.start_trace(["led.logo"], 1e-9, "")
    with pytest.raises(ValueError, match="no such trace"):
        proc.trace(12345)
    # None of these touched the rig.
    assert proc.get("loads.heater.current_a") == 10.0
    assert proc.get("ct2.reversed") is False and proc.get("ct1.phase") == "L1"


def test_malformed_configurations_are_scenario_errors(tmp_path):
    assert issubclass(_core.ScenarioError, ValueError)
    with pytest.raises(_core.ScenarioError, match=rf"^{HERE}:31: key 'plant\.lodas': unknown key"):
        open_rig({"plant": {"lodas": []}}, line=31)
    with pytest.raises(_core.ScenarioError, match=r"key 'plant\.loads\[0\]\.current_a'"):
        open_rig({"plant": {"loads": [{"name": "x", "phases": ["L1"], "current_a": "lots"}]}})
    with pytest.raises(_core.ScenarioError, match="must be a dict"):
        open_rig([1, 2])
    with pytest.raises(_core.ScenarioError, match="no such file"):
        _core.RigProcess.open_yaml(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: bad\ndevice:\n  variant: ag64\n")
    with pytest.raises(_core.ScenarioError, match=rf"{bad}:3: key 'device\.variant'"):
        _core.RigProcess.open_yaml(str(bad))


def test_an_expectation_that_does_not_fit_its_signal_is_a_scenario_error(proc):
    with pytest.raises(_core.ScenarioError, match=r"/x\.py:5: key 'expect\.led\.current'.*numeric"):
        proc.check("led.current", {"min": 1}, "at", 0.0, "/x.py", 5)
    with pytest.raises(_core.ScenarioError, match=r"key 'expect\.led\.current\.bogus'"):
        proc.check("led.current", {"bogus": 1}, "at", 0.0, "/x.py", 5)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGUSR1])
def test_a_killed_rig_process_is_a_rig_process_error_naming_the_signal(sig, process_gone):
    assert issubclass(_core.RigProcessError, RuntimeError)
    p = open_rig(heater(10))
    p.run(0.1)
    pid = p.pid
    os.kill(pid, sig)
    with pytest.raises(_core.RigProcessError, match=f"died: {signal.strsignal(sig)}$"):
        p.run(0.1)
    assert p.closed
    assert process_gone(pid)
    with pytest.raises(_core.RigProcessError, match="closed"):
        p.get("led.logo")
    p.close()  # still fine


def test_a_rig_killed_before_any_call(process_gone):
    p = open_rig(heater(10))
    pid = p.pid
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(_core.RigProcessError, match="Killed"):
        p.get("led.logo")
    assert process_gone(pid)


def test_close_ends_the_process_and_later_calls_fail(process_gone):
    p = open_rig(heater(10))
    pid = p.pid
    p.run(0.1)
    p.close()
    assert p.closed
    assert process_gone(pid)
    p.close()  # idempotent
    for call in (lambda: p.run(0.1), lambda: p.time_s(), lambda: p.get("led.logo"),
                 lambda: p.set("ct2.reversed", True), lambda: p.signals()):
        with pytest.raises(_core.RigProcessError, match="the rig is closed"):
            call()


def test_dropping_the_last_reference_ends_the_process(process_gone):
    p = open_rig(heater(10))
    pid = p.pid
    del p
    gc.collect()
    assert process_gone(pid)


def test_runs_release_the_gil():
    # While one thread is in a long run, another Python thread keeps running: the span in which
    # the main thread saw the run in progress covers most of the run's wall time.
    rig = open_rig(heater(4))
    state = {"in_run": False}
    seen = []

    def work():
        state["started"] = time.perf_counter()
        state["in_run"] = True
        rig.run(300.0)
        state["in_run"] = False
        state["ended"] = time.perf_counter()

    t = threading.Thread(target=work)
    t.start()
    while t.is_alive():
        if state["in_run"]:
            seen.append(time.perf_counter())
    t.join()
    assert rig.time_s() == pytest.approx(300.0, abs=1e-9)
    run_wall = state["ended"] - state["started"]
    assert run_wall > 0.05, "the run must be long enough to tell"
    assert seen and seen[-1] - seen[0] > 0.8 * run_wall
    rig.close()


def test_rigs_run_from_two_threads_at_once():
    rigs = [open_rig(heater(4)), open_rig(heater(7))]
    out = {}

    def work(i):
        rigs[i].run(2.0)
        out[i] = rigs[i].get("plant.L1.current_a")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert out[0] == pytest.approx(4, rel=1e-9) and out[1] == pytest.approx(7, rel=1e-9)
    for r in rigs:
        r.close()


def test_a_rig_built_in_a_thread_outlives_the_thread():
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("rig", open_rig(heater(5))))
    t.start()
    t.join(30)
    time.sleep(0.2)
    p = box["rig"]
    try:
        p.run(0.2)
        assert p.get("plant.L1.current_a") == pytest.approx(5, rel=1e-9)
    finally:
        p.close()


def test_a_rig_process_holds_none_of_the_callers_files():
    import select
    read_end, write_end = os.pipe()
    p = open_rig(heater(1))
    try:
        inode = os.fstat(write_end).st_ino
        held = [os.readlink(f"/proc/{p.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{p.pid}/fd")]
        os.close(write_end)
        # The only writer is gone: the pipe reads as ended at once.
        readable, _, _ = select.select([read_end], [], [], 1.0)
        assert readable and os.read(read_end, 1) == b""
        assert f"pipe:[{inode}]" not in held
    finally:
        os.close(read_end)
        p.close()
