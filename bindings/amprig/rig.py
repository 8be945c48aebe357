"""The Rig: a scenario's plant, firmware and balancer in a process of its own.

A Rig may be shared by threads: its calls take the rig's lock, one at a time, and wait for the
rig's process without holding the GIL. It belongs to the process that built it: in a forked child
(os.fork, multiprocessing's fork) every call raises RigProcessError."""
import numbers
import os
import sys
import threading

from ._load import _core
from .errors import ExpectationError, RigProcessError, TimeoutError
from .trace import Trace, _unknown

# Counters for reports: expectations checked and simulated seconds, by every rig in this process.
stats = {"expectations": 0, "sim_s": 0.0}


def _shown(value):
    """A value of the wrong type, for a message: its type and the start of its repr."""
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _seconds(value, what, least_ns=0):
    """`value` as seconds (float): a real number, not a bool, in the simulator's range; at least
    `least_ns` nanoseconds. TypeError or ValueError naming `what` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number of seconds, not {_shown(value)}")
    try:
        seconds = float(value)
    except OverflowError:
        raise ValueError(f"{what} must be a number of seconds, at most {_core.max_sim_time_text}, "
                         f"not an integer beyond a double's range") from None
    problem = _core.duration_problem(seconds, what)
    if problem:
        raise ValueError(problem)
    if seconds * 1e9 < least_ns:
        raise ValueError(f"{what} must be at least {least_ns} ns, not {seconds:.10g} s")
    return seconds


def _signal_name(name, what):
    if not isinstance(name, str):
        raise TypeError(f"{what} takes a signal name (a str), not {_shown(name)}")
    if "\0" in name:
        # The name would be cut there on its way to the rig and in messages.
        raise ValueError(f"{what} takes a signal name without NUL characters, not {name!r}")
    return name


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
            if config is not None and not isinstance(config, dict):
                raise TypeError("Rig() takes config as a dict of a scenario file's keys (or None), not "
                                f"{_shown(config)}; a scenario file is Rig.from_yaml(path)")
            file, line = _where or _caller()
            base_dir = os.path.dirname(os.path.abspath(file)) if os.path.exists(file) else os.getcwd()
            _process = _core.RigProcess.open_config({} if config is None else config, file, line, base_dir)
        self._process = _process
        self._lock = threading.RLock()
        self._signals = None
        self._time_s = 0.0

    @classmethod
    def from_yaml(cls, path):
        """A rig from a scenario file (its `base:` chain merged)."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"Rig.from_yaml() takes path as a str or path, not {_shown(path)}")
        path = os.fspath(path)
        if not isinstance(path, str):
            raise TypeError(f"Rig.from_yaml() takes path as a str or path, not {_shown(path)}")
        return cls(_process=_core.RigProcess.open_yaml(path))

    def _locked(self):
        """The rig's lock, once it is sure this process may use the rig: a forked child's copy of
        the lock may have been taken by a thread that does not exist there."""
        self._process.check_owner()
        return self._lock

    # -- time --------------------------------------------------------------------------------
    def run(self, seconds):
        """Advances simulated time by `seconds`."""
        seconds = _seconds(seconds, "run()'s seconds")
        with self._locked():
            before = self._time_s
            try:
                failures = self._process.run(seconds)
            finally:
                if not self._process.closed:
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
        name = _signal_name(name, "rig[...]")
        with self._locked():
            return self._process.get(name)

    def __setitem__(self, name, value):
        name = _signal_name(name, "rig[...] = value")
        with self._locked():
            self._process.set(name, value)

    def _info(self):
        with self._locked():
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
        name = _signal_name(name, "describe()")
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
        try:
            names = list(names)
        except TypeError:
            raise TypeError(f"trace() takes names as a signal name or a list of them, not {_shown(names)}") from None
        for name in names:
            _signal_name(name, "trace()'s names")
        period_s = _seconds(period_s, "trace()'s period_s")
        if vcd is not None and not isinstance(vcd, (str, os.PathLike)):
            raise TypeError(f"trace() takes vcd as a file path (or None), not {_shown(vcd)}")
        with self._locked():
            trace_id = self._process.start_trace(names, period_s, os.fspath(vcd) if vcd else "")
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
        name = _signal_name(name, "expect()")
        if within is not None and during is not None:
            raise ValueError("expect() takes within or during, not both")
        if within is not None:
            within = _seconds(within, "expect()'s within")
        if during is not None:
            during = _seconds(during, "expect()'s during")
        if exact is not None:
            spec = exact
        elif "not_between" in spec:
            spec = dict(spec, not_between=list(spec["not_between"]))
        kind, window = ("within", within) if within is not None else \
                       ("during", during) if during is not None else ("at", 0.0)
        file, line = _caller()
        with self._locked():
            stats["expectations"] += 1
            before = self._time_s
            try:
                failure = self._process.check(name, spec, kind, window, file, line)
            finally:
                if not self._process.closed:
                    self._time_s = self._now()
                stats["sim_s"] += self._time_s - before
        if failure is not None:
            raise ExpectationError(failure)
        return self

    def run_until(self, condition, timeout_s, poll_s=0.01):
        """Runs until `condition(rig)` is true, checking every `poll_s`; returns the simulated
        time it became true. Raises TimeoutError after `timeout_s`."""
        if not callable(condition):
            raise TypeError("run_until() takes condition as a function of the rig, e.g. "
                            f"lambda rig: rig['led.current'] == 'green', not {_shown(condition)}")
        timeout_s = _seconds(timeout_s, "run_until()'s timeout_s")
        # Whole nanoseconds, as the rig keeps time: a poll shorter than one would never advance.
        poll_ns = round(_seconds(poll_s, "run_until()'s poll_s", least_ns=1) * 1e9)
        start = self._time_s
        problem = _core.end_problem(start, timeout_s, "run_until()'s timeout_s")
        if problem:
            raise ValueError(problem)
        end_ns = round(start * 1e9) + round(timeout_s * 1e9)
        while True:
            if condition(self):
                return self._time_s
            now_ns = round(self._time_s * 1e9)
            if now_ns >= end_ns:
                break
            self.run(min(poll_ns, end_ns - now_ns) / 1e9)
        file, line = _caller()
        name = getattr(condition, "__name__", "condition")
        message = (f"{file}:{line}: run_until({name}) still false at {self._time_s:.3f} s: "
                   f"expected true within {timeout_s:g} s of {start:.3f} s")
        raise TimeoutError({"where": f"{file}:{line}", "signal": name, "expected": f"true within {timeout_s:g} s",
                            "actual": "false", "time_s": self._time_s, "message": message})

    # -- lifetime ----------------------------------------------------------------------------
    def close(self):
        """Ends the rig's process (also done when the rig is garbage-collected). In a forked
        child, only drops the child's copy of its socket: the rig is the parent's."""
        try:
            lock = self._locked()
        except RigProcessError:
            self._process.close()
            return
        with lock:
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
