"""The Rig: a scenario's plant, firmware and balancer in a process of its own."""
import os
import sys

from ._load import _core
from .errors import ExpectationError, TimeoutError
from .trace import Trace, _unknown

# Counters for reports: expectations checked and simulated seconds, by every rig in this process.
stats = {"expectations": 0, "sim_s": 0.0}


def _caller(depth=2):
    """The file and line of the scenario code that called into this module."""
    frame = sys._getframe(depth)
    here = os.path.dirname(os.path.abspath(__file__))
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here:
        frame = frame.f_back
    if frame is None:
        return "<python>", 0
    return frame.f_code.co_filename, frame.f_lineno


class Rig:
    """A rig built from the same configuration the YAML scenarios use.

    ``Rig(dict)`` takes the keys of a scenario file (device, plant, balancer, network, seed, base,
    steps...); a ``base`` path is relative to the Python file that builds the rig. Steps in the
    configuration play as time runs, and a failed one raises ExpectationError from run()."""

    def __init__(self, config=None, *, _process=None, _where=None):
        if _process is None:
            file, line = _where or _caller()
            base_dir = os.path.dirname(os.path.abspath(file)) if os.path.exists(file) else os.getcwd()
            _process = _core.RigProcess.open_config({} if config is None else config, file, line, base_dir)
        self._process = _process
        self._signals = None
        self._time_s = 0.0

    @classmethod
    def from_yaml(cls, path):
        """A rig from a scenario file (its `base:` chain merged)."""
        return cls(_process=_core.RigProcess.open_yaml(os.fspath(path)))

    # -- time --------------------------------------------------------------------------------
    def run(self, seconds):
        """Advances simulated time by `seconds`."""
        if seconds < 0:
            raise ValueError(f"run() takes a non-negative number of seconds, not {seconds}")
        before = self._time_s
        failures = self._process.run(float(seconds))
        self._time_s = self._now()
        stats["sim_s"] += self._time_s - before
        if failures:
            raise ExpectationError(failures[0], failures[1:])
        return self

    @property
    def time_s(self):
        """Simulated time, in seconds (the rig keeps whole nanoseconds)."""
        return self._time_s

    def _now(self):
        return round(self._process.time_s(), 9)

    # -- signals -----------------------------------------------------------------------------
    def __getitem__(self, name):
        return self._process.get(name)

    def __setitem__(self, name, value):
        self._process.set(name, value)

    def _info(self):
        if self._signals is None:
            self._signals = {s["name"]: s for s in self._process.signals()}
        return self._signals

    def signals(self):
        """Every signal name, sorted."""
        return sorted(self._info())

    def faults(self):
        """The names of the fault-injection signals."""
        return sorted(n for n, s in self._info().items() if s["fault"])

    def describe(self, name):
        """A signal's type, unit, allowed values, whether it is settable, and what it is."""
        info = self._info()
        if name not in info:
            raise KeyError(_unknown(name, info))
        return dict(info[name])

    # -- traces ------------------------------------------------------------------------------
    def trace(self, names, period_s=0.01, vcd=None):
        """Starts sampling `names` every `period_s` from now; returns the Trace. With `vcd`, the
        samples are written to that VCD file as well."""
        if isinstance(names, str):
            names = [names]
        trace_id = self._process.start_trace(list(names), float(period_s), os.fspath(vcd) if vcd else "")
        return Trace(self, trace_id, names, period_s, vcd)

    # -- expectations ------------------------------------------------------------------------
    def expect(self, name, exact=None, *, within=None, during=None, **spec):
        """Asserts what a YAML `expect:` entry asserts, with its keys: ``expect(name, "green")``,
        ``expect(name, value=12, tolerance_pct=2)`` (or ``tolerance_abs``; `value` may name
        another signal), ``expect(name, min=6, max=16)``, ``expect(name, not_between=(0, 6))``,
        ``expect(name, contains="text")``. Now, or with ``within=seconds`` (runs until it first
        holds) or ``during=seconds`` (runs, and it must hold at every check). Raises
        ExpectationError with the YAML message; returns the rig."""
        if (exact is None) == (not spec):
            raise ValueError("expect() takes an exact value, or the keys value/tolerance_pct/"
                             "tolerance_abs/min/max/not_between/contains")
        if within is not None and during is not None:
            raise ValueError("expect() takes within or during, not both")
        if exact is not None:
            spec = exact
        elif "not_between" in spec:
            spec = dict(spec, not_between=list(spec["not_between"]))
        kind, window = ("within", within) if within is not None else \
                       ("during", during) if during is not None else ("at", 0.0)
        file, line = _caller()
        stats["expectations"] += 1
        before = self._time_s
        failure = self._process.check(name, spec, kind, float(window), file, line)
        self._time_s = self._now()
        stats["sim_s"] += self._time_s - before
        if failure is not None:
            raise ExpectationError(failure)
        return self

    def run_until(self, condition, timeout_s, poll_s=0.01):
        """Runs until `condition(rig)` is true, checking every `poll_s`; returns the simulated
        time it became true. Raises TimeoutError after `timeout_s`."""
        if not callable(condition):
            raise ValueError("run_until() takes a function of the rig, e.g. lambda rig: rig['led.current'] == 'green'")
        if poll_s <= 0:
            raise ValueError("poll_s must be positive")
        start = self._time_s
        end = start + timeout_s
        while True:
            if condition(self):
                return self._time_s
            if self._time_s >= end - 1e-12:
                break
            self.run(min(poll_s, end - self._time_s))
        file, line = _caller()
        name = getattr(condition, "__name__", "condition")
        message = (f"{file}:{line}: run_until({name}) still false at {self._time_s:.3f} s: "
                   f"expected true within {timeout_s:g} s of {start:.3f} s")
        raise TimeoutError({"where": f"{file}:{line}", "signal": name, "expected": f"true within {timeout_s:g} s",
                            "actual": "false", "time_s": self._time_s, "message": message})

    # -- lifetime ----------------------------------------------------------------------------
    def close(self):
        """Ends the rig's process (also done when the rig is garbage-collected)."""
        self._process.close()

    @property
    def closed(self):
        return self._process.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "closed" if self.closed else f"at {self._time_s:.3f} s"
        return f"<amprig.Rig {state}>"
