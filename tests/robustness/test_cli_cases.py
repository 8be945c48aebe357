"""Hostile inputs to the `amprig` program, one test per case of tests/robustness/cases/*.yaml.

Each case writes its files into a fresh folder, runs `amprig` there in a session of its own, and
asserts its exact exit code, the text its output must and must not hold, the files it must leave
alone or must not create, and that no process of the run outlives it. Whatever the case says,
a summary row that passes with 0 checks fails it: no input may pass vacuously.

A case (all keys but `case`, `why`, `run` and `exit` optional):
    case: behaviour_named_id        why: one line
    files: {NAME: TEXT}             written first; {repo} and {tmp} in TEXT and in `run` are the
                                    source tree and the case's folder
    make: {fifo: [N], symlink: {N: TARGET}, size: {N: BYTES}, dir: [N], readonly: [N]}
    run: [ARG, ...]                 amprig's arguments
    stdin: TEXT                     standard input (default: none, as in CI)
    stdout_to: PATH                 standard output goes there (e.g. /dev/full) instead of a pipe
    env: {NAME: VALUE}              added to the environment
    exit: CODE                      the exact exit code
    stdout/stderr: [TEXT]           each must occur;  not_stdout/not_stderr: [TEXT] none may
    unchanged: [N]                  byte-identical afterwards;  absent: [N] must not exist
    timeout_s: S                    the run fails the case after S seconds (default 60)
"""
import os
import pathlib
import re
import signal
import stat
import subprocess

import pytest
import yaml

CASES_DIR = pathlib.Path(__file__).resolve().parent / "cases"
REPO = pathlib.Path(__file__).resolve().parents[2]

REQUIRED = {"case", "why", "run", "exit"}
OPTIONAL = {"files", "make", "stdin", "stdout_to", "env", "stdout", "stderr", "not_stdout",
            "not_stderr", "unchanged", "absent", "timeout_s"}
MAKE_KINDS = {"fifo", "symlink", "size", "dir", "readonly"}
# A summary row of `amprig run` for a YAML scenario: id, result, checks, ... A Python test's
# row (its id holds "::") counts the rig's expectations only: its own asserts are its checks,
# which the rig does not see, so 0 there says nothing.
VACUOUS_PASS = re.compile(r"^(?!\S*::)\S+\s+PASS\s+0\s", re.MULTILINE)


def load_cases():
    """Every case of every file, checked for shape: a misspelt key would make a case that
    cannot fail, so it is an error of the suite itself."""
    cases, seen = [], {}
    for path in sorted(CASES_DIR.glob("*.yaml")):
        entries = yaml.safe_load(path.read_text()) or []
        if not isinstance(entries, list):
            raise ValueError(f"{path}: a list of cases, not {type(entries).__name__}")
        for entry in entries:
            where = f"{path.name}: case {entry.get('case', '?')!r}" if isinstance(entry, dict) else path.name
            if not isinstance(entry, dict):
                raise ValueError(f"{where}: each case is a map")
            missing, unknown = REQUIRED - entry.keys(), entry.keys() - REQUIRED - OPTIONAL
            if missing or unknown:
                raise ValueError(f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)}")
            if not isinstance(entry["run"], list) or not isinstance(entry["exit"], int):
                raise ValueError(f"{where}: run is a list of arguments, exit an integer")
            if set(entry.get("make", {})) - MAKE_KINDS:
                raise ValueError(f"{where}: make takes {sorted(MAKE_KINDS)}")
            if entry["case"] in seen:
                raise ValueError(f"{where}: also in {seen[entry['case']]}")
            seen[entry["case"]] = path.name
            cases.append(pytest.param(entry, id=f"{path.stem}.{entry['case']}"))
    return cases


def expand(text, tmp):
    return str(text).replace("{repo}", str(REPO)).replace("{tmp}", str(tmp))


def prepare(case, tmp):
    for name, text in (case.get("files") or {}).items():
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(expand(text, tmp))
    make = case.get("make") or {}
    for name in make.get("dir", []):
        (tmp / name).mkdir(parents=True, exist_ok=True)
    for name in make.get("fifo", []):
        os.mkfifo(tmp / name)
    for name, target in (make.get("symlink") or {}).items():
        (tmp / name).symlink_to(expand(target, tmp))
    for name, size in (make.get("size") or {}).items():
        # Comment lines: valid YAML, so only a size limit can refuse the file.
        line = b"# " + b"x" * 77 + b"\n"
        with open(tmp / name, "wb") as out:
            out.write(line * (size // len(line)) + b"#" * (size % len(line)))
    for name in make.get("readonly", []):
        path = tmp / name
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def snapshot(tmp, names):
    return {name: (tmp / name).read_bytes() for name in names}


def problems(case, program, tmp_path):
    """What the run of `case` (`program` with its arguments) did wrong: [] when nothing."""
    prepare(case, tmp_path)
    before = snapshot(tmp_path, case.get("unchanged", []))
    env = {k: v for k, v in os.environ.items() if k != "AMPRIG_REPORT_DIR"}
    env.update({k: expand(v, tmp_path) for k, v in (case.get("env") or {}).items()})
    args = [str(program)] + [expand(a, tmp_path) for a in case["run"]]
    stdout_file = open(case["stdout_to"], "w") if "stdout_to" in case else None
    stdin = case.get("stdin")
    timeout_s = case.get("timeout_s", 60)
    proc = subprocess.Popen(args, cwd=tmp_path, env=env, text=True, start_new_session=True,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=stdout_file or subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(stdin, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return [f"still running after {timeout_s} s"]
    finally:
        if stdout_file:
            stdout_file.close()
    out = out or ""
    found = []
    try:
        os.killpg(proc.pid, 0)
        os.killpg(proc.pid, signal.SIGKILL)
        found.append("processes of the run outlived it")
    except ProcessLookupError:
        pass
    if proc.returncode != case["exit"]:
        found.append(f"exit code {proc.returncode}, not {case['exit']}")
    for key, stream, wanted in (("stdout", out, True), ("stderr", err, True),
                                ("not_stdout", out, False), ("not_stderr", err, False)):
        for text in case.get(key, []):
            if (expand(text, tmp_path) in stream) != wanted:
                found.append(f"{key.split('_')[-1]} {'lacks' if wanted else 'holds'} {text!r}")
    if VACUOUS_PASS.search(out):
        found.append("a scenario passed with 0 checks")
    for name, content in before.items():
        if (tmp_path / name).read_bytes() != content:
            found.append(f"{name} was changed")
    for name in case.get("absent", []):
        if (tmp_path / expand(name, tmp_path)).exists():
            found.append(f"{name} was created")
    if found:
        found.append(f"--- exit {proc.returncode}\n--- stdout\n{out}\n--- stderr\n{err}")
    return found


@pytest.mark.parametrize("case", load_cases())
def test_case(case, amprig_bin, tmp_path):
    found = problems(case, amprig_bin, tmp_path)
    assert not found, "\n".join(found)


# The runner's own checks, on /bin/sh instead of amprig: each must see what is wrong.
SELF_CHECKS = [
    ({"run": ["-c", "exit 3"], "exit": 1}, "exit code 3, not 1"),
    ({"run": ["-c", "echo hello"], "exit": 0, "stdout": ["bye"]}, "stdout lacks 'bye'"),
    ({"run": ["-c", "echo oops >&2"], "exit": 0, "not_stderr": ["oops"]}, "stderr holds 'oops'"),
    ({"run": ["-c", "printf 'x         PASS         0       0\\n'"], "exit": 0},
     "a scenario passed with 0 checks"),
    ({"run": ["-c", "printf 't::test_a  PASS         0       0\\n'"], "exit": 0}, None),
    ({"files": {"s.yaml": "a: 1\n"}, "run": ["-c", "echo b >> s.yaml"], "exit": 0,
      "unchanged": ["s.yaml"]}, "s.yaml was changed"),
    ({"run": ["-c", "touch out.vcd"], "exit": 0, "absent": ["out.vcd"]}, "out.vcd was created"),
    ({"run": ["-c", "sleep 5"], "exit": 0, "timeout_s": 0.5}, "still running after 0.5 s"),
    ({"run": ["-c", "sleep 30 >/dev/null 2>&1 & exit 0"], "exit": 0}, "processes of the run outlived it"),
    ({"make": {"size": {"big.yaml": 1000}}, "run": ["-c", "test $(wc -c < big.yaml) = 1000"],
      "exit": 0}, None),
]


@pytest.mark.parametrize("case,expected", SELF_CHECKS)
def test_runner_sees(case, expected, tmp_path):
    found = problems({"case": "self", "why": "", **case}, "/bin/sh", tmp_path)
    if expected is None:
        assert found == []
    else:
        assert found and found[0] == expected, found
