"""Shared fixtures of the Python binding tests.

The build under test comes from $AMPRIG_BUILD_DIR (CTest sets it, with PYTHONPATH=<build>/python):
    AMPRIG_BUILD_DIR=build PYTHONPATH=build/python /usr/bin/python3 -m pytest -q tests/python
"""
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def build_dir():
    """The build tree under test: $AMPRIG_BUILD_DIR."""
    value = os.environ.get("AMPRIG_BUILD_DIR")
    if not value:
        pytest.fail("AMPRIG_BUILD_DIR is not set: run through CTest, or set it to the build folder "
                    "(and PYTHONPATH to <build>/python)", pytrace=False)
    path = pathlib.Path(value).resolve()
    if not (path / "bin" / "amprig").is_file():
        pytest.fail(f"AMPRIG_BUILD_DIR={value} has no bin/amprig", pytrace=False)
    return path


@pytest.fixture(scope="session")
def amprig_bin(build_dir):
    """The `amprig` program of that build."""
    return build_dir / "bin" / "amprig"


@pytest.fixture(scope="session")
def repo_dir():
    """The source tree (for scenarios/regression/base_*.yaml)."""
    return REPO


@pytest.fixture(scope="session")
def process_gone():
    """process_gone(pid): the process has ended and been reaped (no zombie left behind).

    os.waitpid on a pid this process already reaped raises ChildProcessError; /proc/<pid> is gone
    too, unless the number was reused by a process that is not our child."""

    def gone(pid):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        else:
            return False  # still our child: running, or a zombie nobody reaped
        try:
            stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        return ppid != os.getpid()

    return gone
