"""How the `amprig` program runs a Python scenario file: through pytest, in its embedded
interpreter, with a collector that turns every test into a scenario result (id, outcome,
failures with file and line, simulated time, expectations checked).

A test passes only if it ran to its end and held. pytest.exit() or a KeyboardInterrupt in a test
stops the file: that test is an error, and each test after it is an error saying it did not run."""
import os
import shutil
import tempfile
import traceback

import pytest

import amprig


def _ignore(kind, payload):
    pass


class _Collector:
    def __init__(self, path, emit=_ignore):
        self.path = os.path.abspath(path)
        self.stem = os.path.splitext(os.path.basename(path))[0]
        self.results = []
        self.planned = []
        self.stopped = None  # why the file stopped early (pytest.exit, KeyboardInterrupt)
        self._emit = emit
        self._current = None

    def _id(self, nodeid):
        name = nodeid.split("::", 1)[1] if "::" in nodeid else ""
        return self.stem if name in ("", "scenario") else f"{self.stem}::{name}"

    def _result(self, nodeid):
        # "passed" only once the test has run to its end (pytest_runtest_logfinish).
        return {"id": self._id(nodeid), "file": self.path, "description": "", "outcome": None,
                "expectations": 0, "failures": [], "error": "", "output": "", "sim_s": 0.0,
                "wall_s": 0.0}

    def _finish(self, r):
        if r["outcome"] is None:
            r["outcome"] = "passed"
        self._emit("result", r)

    def pytest_collection_finish(self, session):
        self.planned = [self._id(item.nodeid) for item in session.items]
        self._emit("planned", self.planned)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid, location):
        self._current = self._result(nodeid)
        self._stats = dict(amprig.stats)
        self.results.append(self._current)
        self._emit("started", self._current["id"])

    def pytest_runtest_logfinish(self, nodeid, location):
        if self._current is not None:
            self._finish(self._current)
            self._current = None

    def pytest_keyboard_interrupt(self, excinfo):
        what = (f"pytest.exit({excinfo.value.msg!r})" if isinstance(excinfo.value, pytest.exit.Exception)
                else excinfo.typename)
        self.stopped = what + self._location(excinfo)

    def _location(self, excinfo):
        """ " at file:line", the innermost line of the scenario file in the traceback."""
        for frame in reversed(traceback.extract_tb(excinfo.tb)):
            if os.path.abspath(frame.filename) == self.path:
                return f" at {self.path}:{frame.lineno}"
        return ""

    def finish_run(self, code):
        """After pytest: the test it was in when it stopped, and the tests it never reached, are
        errors that say so."""
        cause = self.stopped or f"pytest stopped (exit code {int(code)})"
        current = self._current
        if current is not None:
            current["outcome"] = "error"
            current["error"] = f"{cause} stopped the file in this test" + (
                f"\n{current['error']}" if current["error"] else "")
            self._finish(current)
            self._current = None
        done = {r["id"] for r in self.results}
        for id_ in self.planned:
            if id_ not in done:
                r = self._result("")
                r["id"] = id_
                r["outcome"] = "error"
                r["error"] = f"not run: {cause}" + (f" in {current['id']}" if current else "")
                self.results.append(r)
                self._emit("result", r)
        if self.stopped and not self.results:
            r = self._result("")
            r["outcome"] = "error"
            r["error"] = f"{self.path}: {self.stopped} stopped the file while loading it"
            self.results.append(r)
            self._emit("result", r)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        r = self._current
        if r is None:
            return
        if item.function.__doc__ and not r["description"]:
            r["description"] = " ".join(item.function.__doc__.split())
        r["wall_s"] += report.duration
        if report.skipped and hasattr(report, "wasxfail"):
            # An expected failure that failed as expected: that is what was asserted.
            r["description"] = (r["description"] + " " if r["description"] else "") + f"(xfail: {report.wasxfail})"
        elif report.skipped:
            # A scenario that did not run is not a pass.
            r["outcome"] = "error"
            r["error"] = f"skipped: {report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr}"
        elif report.failed:
            exc = call.excinfo.value if call.excinfo else None
            if isinstance(exc, amprig.ExpectationError):
                r["outcome"] = "failed"
                for f in exc.failures:
                    r["failures"].append(dict(f))
            elif call.when == "call":
                r["outcome"] = "failed"
                r["failures"].append(self._python_failure(call.excinfo, report))
            else:
                # The rig could not be built (a bad configuration), or a fixture broke.
                r["outcome"] = "error"
                r["error"] += self._python_failure(call.excinfo, report)["message"]
            r["output"] += str(report.longrepr) + "\n"
        if call.when == "teardown":
            r["expectations"] = amprig.stats["expectations"] - self._stats["expectations"]
            r["sim_s"] = amprig.stats["sim_s"] - self._stats["sim_s"]

    def _python_failure(self, excinfo, report):
        """A Python exception: where it left the scenario file, what it was, and the traceback."""
        line = 0
        if excinfo is not None:
            for frame in reversed(traceback.extract_tb(excinfo.tb)):
                if os.path.abspath(frame.filename) == self.path:
                    line = frame.lineno
                    break
            head = f"{excinfo.typename}: {excinfo.value}"
            # From the scenario file down: pytest's own frames above it say nothing.
            tb = excinfo.tb
            while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != self.path:
                tb = tb.tb_next
            trace = "".join(traceback.format_exception(excinfo.type, excinfo.value, tb or excinfo.tb))
        else:
            head = str(report.longrepr).strip().splitlines()[-1]
            trace = str(report.longrepr)
        loc = f"{self.path}:{line}" if line else self.path
        indented = "\n".join("    " + t for t in trace.rstrip().splitlines())
        return {"where": loc, "signal": "", "expected": "", "actual": "", "time_s": 0.0,
                "message": f"{loc}: {head}\n{indented}"}

    def pytest_collectreport(self, report):
        if report.failed:
            r = self._result(report.nodeid)
            r["outcome"] = "error"
            r["error"] = f"{self.path}: cannot load the scenario file:\n{report.longrepr}"
            self.results.append(r)
            self._emit("result", r)
        elif report.skipped:
            # A file that skips itself (pytest.skip(..., allow_module_level=True)) checked nothing.
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            r = self._result(report.nodeid)
            r["outcome"] = "error"
            r["error"] = f"{self.path}: the file skipped itself: {reason}"
            self.results.append(r)
            self._emit("result", r)


def run_file(path, emit=_ignore):
    """Runs every test (and `scenario` function) of one file; returns their results as dicts, and
    hands each event to `emit(kind, payload)` as it happens: ("planned", [ids]) once collected,
    ("started", id) as a test starts, ("result", result) as each result is known."""
    collector = _Collector(path, emit)
    # A temporary folder of its own: pytest's shared /tmp/pytest-of-<user> is cleaned up by
    # whichever session starts next, and `amprig run` runs many files at once.
    basetemp = tempfile.mkdtemp(prefix="amprig-pytest-")
    try:
        code = pytest.main([path, "-p", "amprig.pytest_plugin", "-p", "no:cacheprovider", "-q",
                            "--no-header", "-o", "console_output_style=classic",
                            f"--basetemp={basetemp}"], plugins=[collector])
    finally:
        shutil.rmtree(basetemp, ignore_errors=True)
    collector.finish_run(code)
    if not collector.results:
        r = collector._result("")
        r["outcome"] = "error"
        r["error"] = (f"{path}: no scenario in it (define `def scenario(rig)` or test_* functions)"
                      if code == pytest.ExitCode.NO_TESTS_COLLECTED else f"{path}: pytest exit code {int(code)}")
        collector.results.append(r)
        emit("result", r)
    return collector.results
