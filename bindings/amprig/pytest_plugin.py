"""pytest support for AmpRig scenarios (loaded with ``-p amprig.pytest_plugin``; the QA suite's
pytest.ini does it).

Fixtures:
  rig          a Rig built from the test's configuration, closed after the test
  rig_config   that configuration: the ``@pytest.mark.rig(...)`` marker's argument, else the test
               module's ``CONFIG``, else {} (the default ag63 rig). A string is a YAML file
               relative to the test file; a dict uses the keys of a scenario file.
  make_rig     a factory for more rigs in one test: make_rig(config=None); all closed afterwards
  report_dir   a folder for plots and files a scenario leaves for people: $AMPRIG_REPORT_DIR, else
               reports/qa under the working directory

Markers: ``slow`` (deselect with ``-m "not slow"``), ``rig(config)``.

A module-level ``def scenario(rig)`` is collected as a test too, so a QA file can be one scenario.
"""
import inspect
import os
import pathlib

import pytest

import amprig


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a long scenario; deselect with -m 'not slow'")
    config.addinivalue_line(
        "markers", "rig(config): what the rig fixture builds: a YAML path relative to the test file, or a dict")


def pytest_pycollect_makeitem(collector, name, obj):
    if name == "scenario" and inspect.isfunction(obj) and isinstance(collector, pytest.Module):
        return [pytest.Function.from_parent(collector, name=name)]
    return None


def _build(config, node):
    test_file = pathlib.Path(str(node.fspath))
    if isinstance(config, (str, os.PathLike)):
        path = pathlib.Path(config)
        if not path.is_absolute():
            path = test_file.parent / path
        return amprig.Rig.from_yaml(path)
    if config is None or isinstance(config, dict):
        line = getattr(getattr(node, "function", None), "__code__", None)
        return amprig.Rig(config or {}, _where=(str(test_file), line.co_firstlineno if line else 0))
    raise TypeError(f"a rig configuration is a YAML path or a dict, not {type(config).__name__}")


@pytest.fixture
def rig_config(request):
    marker = request.node.get_closest_marker("rig")
    if marker is not None:
        if len(marker.args) != 1:
            raise TypeError("@pytest.mark.rig takes one argument: a YAML path or a dict")
        return marker.args[0]
    return getattr(request.module, "CONFIG", {})


@pytest.fixture
def rig(rig_config, request):
    built = _build(rig_config, request.node)
    yield built
    built.close()


@pytest.fixture
def make_rig(request):
    built = []

    def make(config=None):
        r = _build({} if config is None else config, request.node)
        built.append(r)
        return r

    yield make
    for r in built:
        r.close()


@pytest.fixture
def report_dir():
    path = pathlib.Path(os.environ.get("AMPRIG_REPORT_DIR") or pathlib.Path.cwd() / "reports" / "qa")
    path.mkdir(parents=True, exist_ok=True)
    return path
