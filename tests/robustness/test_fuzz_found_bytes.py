"""Fuzz findings whose input is bytes that a YAML case file cannot hold (tests/fuzz/found/), each
run through `amprig` and held to the outcome the rig owes.

The build under test comes from $AMPRIG_BUILD_DIR:
    AMPRIG_BUILD_DIR=build /usr/bin/python3 -m pytest -q tests/robustness/test_fuzz_found_bytes.py
"""
import pathlib
import shutil
import subprocess

FOUND = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fuzz" / "found"


def first_line_not_utf8(data):
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    raise AssertionError("the reproducer is all UTF-8")


def test_scenario_text_not_utf8_is_an_error_naming_its_line(amprig_bin, tmp_path):
    source = FOUND / "scenario_not_utf8_changes_when_written.yaml"
    shutil.copy(source, tmp_path / "s.yaml")
    line = first_line_not_utf8(source.read_bytes())
    run = subprocess.run([amprig_bin, "run", "s.yaml", "--report", "r.md"], cwd=tmp_path,
                         capture_output=True, timeout=60)
    out = run.stdout.decode("utf-8", errors="replace")
    assert run.returncode == 1, out
    assert f"s.yaml:{line}" in out and "UTF-8" in out, out
    assert "PASS" not in out, out
    # What the rig writes is text: no byte of the input passes into the report undecoded.
    report = tmp_path / "r.md"
    assert report.is_file(), "the report names the error"
    report.read_bytes().decode("utf-8")
