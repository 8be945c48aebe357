"""Hostile uses of the Python API (amprig.Rig): configurations that contain themselves or nest
without end, arguments of the wrong type, times outside the simulator's range, one rig shared by
threads, a rig inherited by a forked child, and `amprig run` on files whose tests take their
process down. Each case asserts its exact outcome: the exception's type and text, the values
afterwards, and that no process is left behind.

The build under test comes from $AMPRIG_BUILD_DIR, with PYTHONPATH=<build>/python:
    AMPRIG_BUILD_DIR=build PYTHONPATH=build/python /usr/bin/python3 -m pytest -q tests/robustness/test_python_api.py
"""
import gc
import math
import multiprocessing
import os
import pathlib
import re
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import amprig
from amprig._load import _core

HERE = os.path.abspath(__file__)
MAX_NS = _core.max_sim_time_ns
MAX_TEXT = _core.max_sim_time_text
MAX_DEPTH = _core.max_config_depth
# pybind11's own words for a call it could not match: never what a user of the package sees.
PYBIND_TEXT = ("incompatible function arguments", "Invoked with")

# Eight resistive loads, one per phase in turn: a load of I A on a phase adds I A to it.
LOADS = {"plant": {"loads": [{"name": f"h{i}", "phases": [f"L{i % 3 + 1}"], "current_a": 1 + i,
                              "power_factor": 1.0} for i in range(8)]}}


def alive(pid):
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def line_of(marker):
    hits = [i for i, t in enumerate(pathlib.Path(HERE).read_text().splitlines(), 1) if marker in t]
    assert len(hits) == 2, marker  # the marked line, and the call of line_of
    return hits[0]


def build(config):
    return amprig.Rig(config)  # <- builds


def no_pybind_text(error):
    text = str(error.value)
    assert not any(t in text for t in PYBIND_TEXT), text


@pytest.fixture
def rig(process_gone):
    with amprig.Rig(LOADS) as r:
        yield r
    assert process_gone(r._process.pid)


# ---- configurations that contain themselves or nest without end -----------------------------

def test_a_dict_that_contains_itself_is_a_scenario_error():
    config = {"seed": 1}
    config["plant"] = config
    with pytest.raises(amprig.ScenarioError) as e:
        build(config)
    assert str(e.value) == (f"{HERE}:{line_of('# <- builds')}: key 'plant': the configuration contains "
                            "itself: this dict is the whole configuration again")


def test_a_list_that_contains_itself_is_a_scenario_error():
    loads = []
    loads.append(loads)
    with pytest.raises(amprig.ScenarioError) as e:
        build({"plant": {"loads": loads}})
    assert str(e.value).endswith(
        "key 'plant.loads[0]': the configuration contains itself: this list is 'plant.loads' again")


def test_a_dict_reached_twice_without_a_cycle_is_not_a_cycle():
    # The same load dict in two places is a repetition, not a loop: the rig builds.
    load = {"name": "h", "phases": ["L1"], "current_a": 5, "power_factor": 1.0}
    other = dict(load, name="g", phases=["L2"])
    phases = ["L3"]
    with build({"plant": {"loads": [load, other, dict(load, name="k", phases=phases)]}}) as r:
        r.run(0.1)
        assert r["plant.L1.current_a"] == pytest.approx(5, rel=1e-9)
        assert r["plant.L3.current_a"] == pytest.approx(5, rel=1e-9)


@pytest.mark.parametrize("kind", ["dict", "list"])
def test_a_configuration_nested_a_hundred_thousand_deep_is_a_scenario_error(kind):
    deep = {}
    for _ in range(100_000):
        deep = {"a": deep} if kind == "dict" else [deep]
    config = {"plant": deep}
    with pytest.raises(amprig.ScenarioError) as e:
        build(config)
    # The container that passes the limit is the (MAX_DEPTH + 1)th, counting the top one.
    path = "plant" + (".a" * (MAX_DEPTH - 1) if kind == "dict" else "[0]" * (MAX_DEPTH - 1))
    assert str(e.value).endswith(
        f"key '{path}': the configuration nests deeper than {MAX_DEPTH} levels of dicts and lists")


def test_a_configuration_at_the_depth_limit_is_converted_and_decoded():
    deep = {}
    for _ in range(MAX_DEPTH - 2):
        deep = {"a": deep}
    with pytest.raises(amprig.ScenarioError) as e:
        build({"plant": deep})
    # Past the converter: the scenario's decoder names the key it does not know.
    assert "nests deeper" not in str(e.value)
    assert "key 'plant.a'" in str(e.value)


def test_a_cyclic_expectation_spec_is_a_scenario_error(rig):
    spec = []
    spec.append(spec)
    with pytest.raises(amprig.ScenarioError) as e:
        rig.expect("plant.L1.current_a", not_between=spec)  # <- expects
    # expect() copies not_between into a list of its own: the loop starts one level down.
    assert str(e.value) == (f"{HERE}:{line_of('# <- expects')}: key "
                            "'expect.plant.L1.current_a.not_between[0][0]': the configuration contains "
                            "itself: this list is 'expect.plant.L1.current_a.not_between[0]' again")
    assert rig.time_s == 0.0 and rig["plant.L1.current_a"] == pytest.approx(1 + 4 + 7, rel=1e-9)


def test_an_integer_beyond_a_double_is_a_scenario_error():
    with pytest.raises(amprig.ScenarioError) as e:
        build({"seed": 10 ** 5000})
    assert str(e.value).endswith("key 'seed': the number is too large (beyond a double's range)")


@pytest.mark.parametrize("value, text", [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf")])
def test_a_non_finite_number_in_a_configuration_is_a_scenario_error(value, text):
    config = {"plant": {"loads": [{"name": "h", "phases": ["L1"], "current_a": value}]}}
    with pytest.raises(amprig.ScenarioError) as e:
        build(config)
    assert str(e.value).endswith(f"key 'plant.loads[0].current_a': expected a finite number, not {text}")


def test_a_set_in_a_configuration_is_a_scenario_error():
    with pytest.raises(amprig.ScenarioError) as e:
        build({"plant": {"loads": [{"name": "h", "phases": {"L1"}, "current_a": 1}]}})
    assert str(e.value).endswith(
        "key 'plant.loads[0].phases': expected a dict, list, string, number or bool, not set")


# ---- arguments of the wrong type ------------------------------------------------------------

@pytest.mark.parametrize("config, text", [
    (42, "int 42"),
    ("scenario.yaml", "str 'scenario.yaml'"),
    ([("seed", 1)], "list [('seed', 1)]"),
])
def test_rig_takes_a_dict(config, text):
    with pytest.raises(TypeError) as e:
        amprig.Rig(config)
    assert str(e.value) == ("Rig() takes config as a dict of a scenario file's keys (or None), not "
                            f"{text}; a scenario file is Rig.from_yaml(path)")


def test_from_yaml_takes_a_path():
    with pytest.raises(TypeError) as e:
        amprig.Rig.from_yaml(42)
    assert str(e.value) == "Rig.from_yaml() takes path as a str or path, not int 42"
    with pytest.raises(TypeError) as e:
        amprig.Rig.from_yaml(b"scenario.yaml")
    assert str(e.value) == "Rig.from_yaml() takes path as a str or path, not bytes b'scenario.yaml'"


@pytest.mark.parametrize("seconds, text", [
    ("2", "str '2'"), (None, "NoneType None"), (True, "bool True"), (np.bool_(True), "bool_ True"),
    ([1.0], "list [1.0]"), (1j, "complex 1j"),
])
def test_run_takes_a_number_of_seconds(rig, seconds, text):
    with pytest.raises(TypeError) as e:
        rig.run(seconds)
    assert str(e.value) == f"run()'s seconds must be a number of seconds, not {text}"
    no_pybind_text(e)
    assert rig.time_s == 0.0


def test_run_takes_numpy_numbers(rig):
    rig.run(np.float32(0.25))
    rig.run(np.int64(1))
    assert rig.time_s == pytest.approx(1.25, abs=1e-9)


@pytest.mark.parametrize("call, text", [
    (lambda r: r[3], "rig[...] takes a signal name (a str), not int 3"),
    (lambda r: r[b"led.current"], "rig[...] takes a signal name (a str), not bytes b'led.current'"),
    (lambda r: r.__setitem__(3, 1.0), "rig[...] = value takes a signal name (a str), not int 3"),
    (lambda r: r.describe(None), "describe() takes a signal name (a str), not NoneType None"),
    (lambda r: r.expect(7, "green"), "expect() takes a signal name (a str), not int 7"),
    (lambda r: r.trace(5), "trace() takes names as a signal name or a list of them, not int 5"),
    (lambda r: r.trace(["plant.L1.current_a", 3]), "trace()'s names takes a signal name (a str), not int 3"),
    (lambda r: r.trace("plant.L1.current_a", period_s="1ms"),
     "trace()'s period_s must be a number of seconds, not str '1ms'"),
    (lambda r: r.trace("plant.L1.current_a", vcd=3), "trace() takes vcd as a file path (or None), not int 3"),
    (lambda r: r.expect("led.current", "green", within="1s"),
     "expect()'s within must be a number of seconds, not str '1s'"),
    (lambda r: r.expect("led.current", "green", during=[1]),
     "expect()'s during must be a number of seconds, not list [1]"),
    (lambda r: r.run_until("led.current == 'green'", 1.0),
     "run_until() takes condition as a function of the rig, e.g. lambda rig: rig['led.current'] == "
     "'green', not str \"led.current == 'green'\""),
    (lambda r: r.run_until(lambda rig: True, timeout_s="5"),
     "run_until()'s timeout_s must be a number of seconds, not str '5'"),
    (lambda r: r.run_until(lambda rig: True, 1.0, poll_s=None),
     "run_until()'s poll_s must be a number of seconds, not NoneType None"),
])
def test_wrong_argument_types_are_type_errors_naming_the_argument(rig, call, text):
    with pytest.raises(TypeError) as e:
        call(rig)
    assert str(e.value) == text
    no_pybind_text(e)
    assert rig.time_s == 0.0


def test_run_until_with_an_object_timeout_is_a_type_error(rig):
    with pytest.raises(TypeError) as e:
        rig.run_until(lambda r: True, timeout_s=object())
    assert re.fullmatch(r"run_until\(\)'s timeout_s must be a number of seconds, not object "
                        r"<object object at 0x[0-9a-f]+>", str(e.value)), str(e.value)
    # A misspelt keyword is Python's own TypeError, naming it.
    with pytest.raises(TypeError, match=r"got an unexpected keyword argument 'timeout'"):
        rig.run_until(lambda r: True, timeout=object())


# ---- times outside the simulator's range ----------------------------------------------------

def range_text(what, value):
    return f"{what} must be a non-negative number of seconds, at most {MAX_TEXT}, not {value}"


@pytest.mark.parametrize("seconds, text", [
    (math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf"), (-1e-9, "-1e-09"), (-0.5, "-0.5"),
    ((MAX_NS + 1000) / 1e9, f"{(MAX_NS + 1000) / 1e9:.10g}"), (1e10, "1e+10"), (1e300, "1e+300"),
])
def test_run_refuses_times_outside_the_simulators_range(rig, seconds, text):
    with pytest.raises(ValueError) as e:
        rig.run(seconds)
    assert str(e.value) == range_text("run()'s seconds", text)
    assert rig.time_s == 0.0
    rig.run(0.1)  # and the rig goes on
    assert rig.time_s == pytest.approx(0.1, abs=1e-12)


def test_the_limit_is_the_kernels_from_scenario_h():
    source = (pathlib.Path(__file__).resolve().parents[2] / "harness/scenario/scenario.h").read_text()
    declared = re.search(r"constexpr SimTimeNs kMaxSimTimeNs = ([0-9']+);", source).group(1)
    assert MAX_NS == int(declared.replace("'", ""))
    seconds, fraction = re.fullmatch(r"(\d+)\.(\d{9}) s \(about \d+ days\)", MAX_TEXT).groups()
    assert int(seconds) * 10 ** 9 + int(fraction) == MAX_NS


def test_a_run_that_would_end_beyond_the_range_is_refused_before_it_starts(rig):
    rig.run(0.5)
    with pytest.raises(ValueError) as e:
        rig.run(MAX_NS / 1e9)
    assert str(e.value) == (f"a run of {MAX_NS / 1e9:.10g} s from 0.5 s would end beyond the "
                            f"simulator's latest time, {MAX_TEXT}")
    assert rig.time_s == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("timeout_s, text", [(math.nan, "nan"), (math.inf, "inf"), (-1.0, "-1")])
def test_run_until_refuses_a_timeout_outside_the_range(rig, timeout_s, text):
    calls = []
    with pytest.raises(ValueError) as e:
        rig.run_until(lambda r: calls.append(1) or False, timeout_s)
    assert str(e.value) == range_text("run_until()'s timeout_s", text)
    assert calls == [] and rig.time_s == 0.0


@pytest.mark.parametrize("poll_s, text", [
    (0.0, "run_until()'s poll_s must be at least 1 ns, not 0 s"),
    (1e-12, "run_until()'s poll_s must be at least 1 ns, not 1e-12 s"),
    (math.nan, range_text("run_until()'s poll_s", "nan")),
    (-0.01, range_text("run_until()'s poll_s", "-0.01")),
])
def test_run_until_refuses_a_poll_that_would_never_advance(rig, poll_s, text):
    with pytest.raises(ValueError) as e:
        rig.run_until(lambda r: False, 1.0, poll_s=poll_s)
    assert str(e.value) == text
    assert rig.time_s == 0.0


def test_run_until_with_a_timeout_below_a_nanosecond_times_out_at_once(rig):
    rig.run(0.1)
    started = time.monotonic()
    with pytest.raises(amprig.TimeoutError) as e:
        rig.run_until(lambda r: False, 4e-10, poll_s=1e-9)
    assert time.monotonic() - started < 5
    assert e.value.time_s == pytest.approx(0.1, abs=1e-12)


def test_run_until_whose_timeout_would_pass_the_range_is_refused(rig):
    rig.run(0.25)
    with pytest.raises(ValueError) as e:
        rig.run_until(lambda r: False, MAX_NS / 1e9)
    assert str(e.value) == (f"run_until()'s timeout_s of {MAX_NS / 1e9:.10g} s from 0.25 s would end "
                            f"beyond the simulator's latest time, {MAX_TEXT}")


@pytest.mark.parametrize("key", ["within", "during"])
@pytest.mark.parametrize("window, text", [(math.nan, "nan"), (math.inf, "inf"), (-2.0, "-2")])
def test_expect_windows_outside_the_range_are_refused(rig, key, window, text):
    before = amprig.stats["expectations"]
    with pytest.raises(ValueError) as e:
        rig.expect("led.current", "green", **{key: window})
    assert str(e.value) == range_text(f"expect()'s {key}", text)
    assert rig.time_s == 0.0 and amprig.stats["expectations"] == before


@pytest.mark.parametrize("period_s, text", [(math.nan, "nan"), (math.inf, "inf"), (-0.01, "-0.01")])
def test_trace_periods_outside_the_range_are_refused(rig, period_s, text):
    with pytest.raises(ValueError) as e:
        rig.trace("plant.L1.current_a", period_s=period_s)
    assert str(e.value) == range_text("trace()'s period_s", text)


def test_the_binding_core_refuses_bad_times_too(rig):
    # Below the package: the process object checks the same range.
    with pytest.raises(ValueError) as e:
        rig._process.run(math.nan)
    assert str(e.value) == range_text("run()'s seconds", "nan")
    with pytest.raises(ValueError) as e:
        rig._process.check("led.current", "green", "within", math.inf, HERE, 1)
    assert str(e.value) == range_text("the window", "inf")


def test_run_refuses_an_integer_beyond_a_double(rig):
    with pytest.raises(ValueError) as e:
        rig.run(10 ** 400)
    assert str(e.value) == (f"run()'s seconds must be a number of seconds, at most {MAX_TEXT}, "
                            f"not an integer beyond a double's range")
    assert rig.time_s == 0.0


def test_setting_an_integer_beyond_a_double_is_a_value_error(rig):
    with pytest.raises(ValueError) as e:
        rig["loads.h0.current_a"] = 10 ** 400
    assert str(e.value) == "loads.h0.current_a takes a number, not an integer beyond a double's range"
    assert rig["loads.h0.current_a"] == 1


def test_a_signal_name_with_a_nul_is_refused_whole(rig):
    with pytest.raises(ValueError) as e:
        rig["plant.L1\0.current_a"]
    assert str(e.value) == "rig[...] takes a signal name without NUL characters, not 'plant.L1\\x00.current_a'"


# ---- one rig, many threads ------------------------------------------------------------------

THREADS = 8
ROUNDS = 25


def thread_work(rig, i, log):
    """Thread i's sequence: writes of its own load, reads back, reads of a constant signal, a
    refused read, and runs. What it saw goes in log[i]."""
    seen = []
    for k in range(ROUNDS):
        current = 1.0 + i + k / 100
        rig[f"loads.h{i}.current_a"] = current
        seen.append(("own", rig[f"loads.h{i}.current_a"]))
        seen.append(("mains", rig["mains.voltage_v"]))
        seen.append(("text", rig["led.current"] in ("green", "red", "off", "amber", "blue")))
        try:
            rig[f"loads.h{i}.no_such_signal"]
        except KeyError as error:
            seen.append(("missing", str(error)))
        rig.run(0.01)
        seen.append(("phase", rig.describe(f"loads.h{i}.current_a")["unit"]))
    log[i] = seen


def final_state(rig):
    return {n: rig[n] for n in ("plant.L1.current_a", "plant.L2.current_a", "plant.L3.current_a")}


def test_eight_threads_on_one_rig_see_what_one_thread_sees():
    # The reference: the same work, one thread after another, on a rig of its own.
    reference = {}
    with amprig.Rig(LOADS) as alone:
        for i in range(THREADS):
            thread_work(alone, i, reference)
        reference_final = final_state(alone)
        reference_time = alone.time_s
    shared = {}
    with amprig.Rig(LOADS) as rig:
        threads = [threading.Thread(target=thread_work, args=(rig, i, shared)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads), "a thread is stuck: a deadlock"
        assert sorted(shared) == list(range(THREADS)), "a thread died: see its exception above"
        for i in range(THREADS):
            assert shared[i] == reference[i], f"thread {i}"
        # Every run happened once and whole: the time is their sum, in whole nanoseconds.
        assert rig.time_s == pytest.approx(THREADS * ROUNDS * 0.01, abs=1e-9)
        assert rig.time_s == pytest.approx(reference_time, abs=1e-9)
        assert final_state(rig) == pytest.approx(reference_final, rel=1e-9)
        # And the rig answers one thread as before.
        assert rig["loads.h3.current_a"] == pytest.approx(1.0 + 3 + (ROUNDS - 1) / 100, rel=1e-12)


def wait_until_busy(rig):
    """Returns once another thread holds the rig's lock (is in a call)."""
    deadline = time.monotonic() + 30
    while rig._lock.acquire(blocking=False):
        rig._lock.release()
        assert time.monotonic() < deadline, "the other thread never started its call"
        time.sleep(0.001)


def test_a_thread_waiting_for_a_busy_rig_does_not_hold_the_gil():
    with amprig.Rig(LOADS) as rig:
        state = {}

        def long_run():
            state["run_started"] = time.monotonic()
            rig.run(400.0)
            state["run_ended"] = time.monotonic()

        def reader():
            wait_until_busy(rig)
            state["read_started"] = time.monotonic()
            state["value"] = rig["plant.L1.current_a"]  # waits for the run
            state["read_ended"] = time.monotonic()

        threads = [threading.Thread(target=long_run), threading.Thread(target=reader)]
        for t in threads:
            t.start()
        ticks = []
        while any(t.is_alive() for t in threads):
            ticks.append(time.monotonic())
            time.sleep(0.001)
        for t in threads:
            t.join()
        # The read came after the run: one request at a time.
        assert state["read_ended"] >= state["run_ended"]
        assert state["value"] == pytest.approx(1 + 4 + 7, rel=1e-9)
        # While the reader waited, this thread kept running Python.
        waiting = [t for t in ticks if state["read_started"] < t < state["run_ended"]]
        span = state["run_ended"] - state["read_started"]
        assert span > 0.1, "the run must be long enough to tell"
        assert waiting and waiting[-1] - waiting[0] > 0.8 * span


def test_closing_a_rig_from_another_thread_during_a_run_waits_for_the_run(process_gone):
    with amprig.Rig(LOADS) as rig:
        pid = rig._process.pid
        t = threading.Thread(target=rig.run, args=(100.0,))
        t.start()
        wait_until_busy(rig)
        rig.close()
        t.join(60)
        assert not t.is_alive()
        assert rig.closed and process_gone(pid)
        assert rig.time_s == pytest.approx(100.0, abs=1e-9)


# ---- a rig inherited by a forked child ------------------------------------------------------

def foreign_text(parent, child):
    return (f"this rig belongs to process {parent}; process {child} is a fork of it (os.fork, "
            "multiprocessing) and cannot use it: build a rig of its own there")


def test_a_forked_child_cannot_use_its_parents_rig_and_the_parent_goes_on(tmp_path):
    with amprig.Rig(LOADS) as rig:
        rig.run(0.2)
        parent = os.getpid()
        report = tmp_path / "child.txt"
        child = os.fork()
        if child == 0:
            lines = []
            for name, call in [("run", lambda: rig.run(1.0)), ("get", lambda: rig["plant.L1.current_a"]),
                               ("set", lambda: rig.__setitem__("loads.h0.current_a", 9.0)),
                               ("signals", rig.signals)]:
                try:
                    call()
                    lines.append(f"{name}: no error")
                except amprig.RigProcessError as error:
                    lines.append(f"{name}: {error}")
                except BaseException as error:  # noqa: B036 - anything else is the finding
                    lines.append(f"{name}: {type(error).__name__}: {error}")
            # Dropping the child's copy must leave the parent's rig running.
            rig.close()
            lines.append(f"closed: {rig.closed}")
            report.write_text("\n".join(lines))
            os._exit(0)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        expected = foreign_text(parent, child)
        assert report.read_text().splitlines() == [
            f"run: {expected}", f"get: {expected}", f"set: {expected}", f"signals: {expected}",
            "closed: True"]
        # The parent's rig is untouched: same time, still running, still answering.
        assert not rig.closed and alive(rig._process.pid)
        assert rig.time_s == pytest.approx(0.2, abs=1e-12)
        rig.run(0.3)
        assert rig._process.time_s() == pytest.approx(0.5, abs=1e-12)
        assert rig["plant.L1.current_a"] == pytest.approx(1 + 4 + 7, rel=1e-9)


def test_a_forked_child_that_exits_normally_leaves_the_parents_rig_running():
    with amprig.Rig(LOADS) as rig:
        child = os.fork()
        if child == 0:
            # The child's copy is collected: its destructor runs here, in the child.
            del rig
            gc.collect()
            os._exit(0)
        os.waitpid(child, 0)
        rig.run(0.1)
        assert rig["plant.L2.current_a"] == pytest.approx(2 + 5 + 8, rel=1e-9)


def _use_inherited(rig, queue):
    try:
        rig.run(0.1)
        queue.put("no error")
    except Exception as error:
        queue.put(f"{type(error).__name__}: {error}")


def test_multiprocessing_with_fork_cannot_use_the_parents_rig():
    ctx = multiprocessing.get_context("fork")
    with amprig.Rig(LOADS) as rig:
        queue = ctx.Queue()
        worker = ctx.Process(target=_use_inherited, args=(rig, queue))
        worker.start()
        got = queue.get(timeout=60)
        worker.join(60)
        assert got == "RigProcessError: " + foreign_text(os.getpid(), worker.pid)
        assert worker.exitcode == 0
        rig.run(0.1)
        assert rig.time_s == pytest.approx(0.1, abs=1e-12)


def test_a_fork_while_another_thread_holds_the_rig_does_not_deadlock_the_child(tmp_path):
    with amprig.Rig(LOADS) as rig:
        t = threading.Thread(target=rig.run, args=(200.0,))
        t.start()
        wait_until_busy(rig)
        report = tmp_path / "child.txt"
        child = os.fork()
        if child == 0:
            try:
                rig["plant.L1.current_a"]
                report.write_text("no error")
            except amprig.RigProcessError as error:
                report.write_text(str(error))
            os._exit(0)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(child, os.WNOHANG)
            if pid:
                break
            time.sleep(0.01)
        else:
            os.kill(child, 9)
            os.waitpid(child, 0)
            pytest.fail("the child waited on its copy of the parent's lock")
        assert report.read_text() == foreign_text(os.getpid(), child)
        t.join(60)
        assert rig.time_s == pytest.approx(200.0, abs=1e-9)


# ---- `amprig run` on files whose tests take their process down ------------------------------

def amprig_run(build_dir, folder, text, *args, timeout=120):
    path = folder / "test_hostile.py"
    path.write_text(textwrap.dedent(text))
    env = {k: v for k, v in os.environ.items() if k != "AMPRIG_REPORT_DIR"}
    done = subprocess.run([str(build_dir / "bin" / "amprig"), "run", *args, str(path)], cwd=folder,
                          capture_output=True, text=True, timeout=timeout, env=env)
    return done, path


def pids_in(path):
    return [int(p) for p in path.read_text().split()]


@pytest.mark.parametrize("ending, outcome", [
    ("time.sleep(600)", "timed out after 2 s in this test"),
    ("import ctypes; ctypes.string_at(0)", "crashed: Segmentation fault in this test"),
    ("os._exit(7)", "the file's process ended (exit code 7) in this test"),
])
def test_processes_a_test_started_end_with_it(build_dir, tmp_path, ending, outcome):
    # A rig's process and a subprocess, each busy, then the test's process ends (or hangs).
    done, path = amprig_run(build_dir, tmp_path, f"""
        import os, subprocess, time
        import amprig

        def test_leaves_processes(rig):
            other = amprig.Rig()
            sleeper = subprocess.Popen(["sleep", "600"])
            with open("pids.txt", "w") as f:
                f.write(f"{{rig._process.pid}} {{other._process.pid}} {{sleeper.pid}}")
            {ending}
        """, "--timeout", "2s")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"ERROR test_hostile::test_leaves_processes ({path})" in done.stdout
    assert outcome in done.stdout
    pids = pids_in(tmp_path / "pids.txt")
    assert len(pids) == 3
    deadline = time.monotonic() + 5
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids), [p for p in pids if alive(p)]


def test_processes_left_by_a_passing_test_end_with_the_file(build_dir, tmp_path):
    done, _ = amprig_run(build_dir, tmp_path, """
        import subprocess
        import amprig

        def test_forgets_to_close():
            rig = amprig.Rig()
            globals()["kept"] = rig
            sleeper = subprocess.Popen(["sleep", "600"])
            with open("pids.txt", "w") as f:
                f.write(f"{rig._process.pid} {sleeper.pid}")
            rig.run(0.1)
        """)
    assert done.returncode == 0, done.stdout + done.stderr
    pids = pids_in(tmp_path / "pids.txt")
    deadline = time.monotonic() + 5
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids)


def test_a_test_left_running_in_a_thread_does_not_hold_the_file(build_dir, tmp_path):
    started = time.monotonic()
    done, _ = amprig_run(build_dir, tmp_path, """
        import threading, time

        def test_starts_a_thread():
            threading.Thread(target=time.sleep, args=(600,)).start()
        """)
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - started < 60
