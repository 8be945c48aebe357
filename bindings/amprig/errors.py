"""What the rig raises: ExpectationError (an AssertionError with the YAML failure line),
TimeoutError, and from the binding core ScenarioError (a ValueError naming file, line and key) and
RigProcessError (the rig's process died)."""
from ._load import _core

ScenarioError = _core.ScenarioError
RigProcessError = _core.RigProcessError


class ExpectationError(AssertionError):
    """An expectation that did not hold. Its text is the line a YAML scenario would print:
    ``file:line: signal at t: expected ..., actual ...``; the parts are attributes."""

    def __init__(self, failure, more=()):
        super().__init__(failure["message"])
        self.where = failure["where"]
        file, _, line = self.where.rpartition(":")
        self.file, self.line = (file, int(line)) if line.isdigit() else (self.where, 0)
        self.signal = failure["signal"]
        self.expected = failure["expected"]
        self.actual = failure["actual"]
        self.time_s = failure["time_s"]
        self.failures = [failure, *more]


class TimeoutError(ExpectationError):
    """run_until() reached its timeout before the condition held."""
