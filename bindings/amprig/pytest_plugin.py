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


def _config_line(node):
    """The line a dict configuration comes from: the test's `rig` marker, else the module's
    `CONFIG =`, else the test's `def`."""
    function = getattr(node, "function", None)
    module = getattr(node, "module", None)
    try:
        if node.get_closest_marker("rig") is not None and function is not None:
            lines, first = inspect.getsourcelines(function)
            for k, text in enumerate(lines):
                if "mark.rig" in text:
                    return first + k
        if module is not None and hasattr(module, "CONFIG"):
            for k, text in enumerate(inspect.getsourcelines(module)[0]):
                if text.startswith("CONFIG") and text[6:].lstrip().startswith("="):
                    return k + 1
    except (OSError, TypeError):
        pass
    return function.__code__.co_firstlineno if function is not None else 0


def _build(config, node, where=None):
    test_file = pathlib.Path(str(node.fspath))
    if isinstance(config, (str, os.PathLike)):
        path = pathlib.Path(config)
        if not path.is_absolute():
            path = test_file.parent / path
        return amprig.Rig.from_yaml(path)
    if config is None or isinstance(config, dict):
        return amprig.Rig(config or {}, _where=where or (str(test_file), _config_line(node)))
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
        # A dict names the line of this call in errors.
        r = _build({} if config is None else config, request.node, where=amprig.rig._caller())
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
