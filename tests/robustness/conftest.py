"""Fixtures of the robustness suite: the same build, program and source tree as the Python
binding tests (tests/python/conftest.py), loaded from there rather than written again."""
import importlib.util
import pathlib

_spec = importlib.util.spec_from_file_location(
    "amprig_python_test_fixtures", pathlib.Path(__file__).resolve().parents[1] / "python" / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

build_dir = _fixtures.build_dir
amprig_bin = _fixtures.amprig_bin
repo_dir = _fixtures.repo_dir
process_gone = _fixtures.process_gone
