"""How the `amprig` program runs a Python scenario file: through pytest, in its embedded
interpreter, with a collector that turns every test into a scenario result (id, outcome,
failures with file and line, simulated time, expectations checked)."""
import os
import shutil
import tempfile
import traceback

import pytest

import amprig


class _Collector:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.stem = os.path.splitext(os.path.basename(path))[0]
        self.results = []
        self._current = None

    def _result(self, nodeid):
        name = nodeid.split("::", 1)[1] if "::" in nodeid else ""
        return {"id": self.stem if name in ("", "scenario") else f"{self.stem}::{name}",
                "file": self.path, "description": "", "outcome": "passed", "expectations": 0,
                "failures": [], "error": "", "output": "", "sim_s": 0.0, "wall_s": 0.0}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid, location):
        self._current = self._result(nodeid)
        self._stats = dict(amprig.stats)
        self.results.append(self._current)

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


def run_file(path):
    """Runs every test (and `scenario` function) of one file; returns their results as dicts."""
    collector = _Collector(path)
    # A temporary folder of its own: pytest's shared /tmp/pytest-of-<user> is cleaned up by
    # whichever session starts next, and `amprig run` runs many files at once.
    basetemp = tempfile.mkdtemp(prefix="amprig-pytest-")
    try:
        code = pytest.main([path, "-p", "amprig.pytest_plugin", "-p", "no:cacheprovider", "-q",
                            "--no-header", "-o", "console_output_style=classic",
                            f"--basetemp={basetemp}"], plugins=[collector])
    finally:
        shutil.rmtree(basetemp, ignore_errors=True)
    if not collector.results:
        r = collector._result("")
        r["outcome"] = "error"
        r["error"] = (f"{path}: no scenario in it (define `def scenario(rig)` or test_* functions)"
                      if code == pytest.ExitCode.NO_TESTS_COLLECTED else f"{path}: pytest exit code {int(code)}")
        collector.results.append(r)
    return collector.results
