"""`amprig sweep --cluster`: a sweep on a real Dask cluster (bindings/amprig/_cluster.py and the
sweep runner's cluster side). A scheduler and two workers start on loopback, as the README
starts them; each run's record must be the one a local sweep writes."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from amprig import _cluster

SMOKE = "scenarios/sweeps/smoke.yaml"


def records(path):
    with open(path) as f:
        return {r["id"]: r for r in map(json.loads, f)}


def without_machine(record):
    """A record less what depends on where and how fast it ran."""
    return {k: v for k, v in record.items() if k not in ("wall_s", "host")}


def worker_env(build_dir):
    env = dict(os.environ, PYTHONPATH=str(build_dir / "python"), AMPRIG_TEST_HOOKS="1")
    env.pop("AMPRIG_PROGRAM", None)
    return env


@pytest.fixture(scope="module")
def cluster(build_dir, tmp_path_factory):
    """A scheduler and two one-thread workers on loopback; yields the scheduler's address."""
    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = folder / "scheduler.json"
    env = worker_env(build_dir)
    processes = [subprocess.Popen(
        ["dask-scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)],
        stdout=open(folder / "scheduler.log", "w"), stderr=subprocess.STDOUT, env=env,
        start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(2):
            processes.append(subprocess.Popen(
                ["dask-worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                 "--name", f"w{i}"],
                stdout=open(folder / f"worker{i}.log", "w"), stderr=subprocess.STDOUT, env=env,
                start_new_session=True))
        from distributed import Client
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.nthreads()) == 2
        yield address
    finally:
        for p in processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def sweep(amprig_bin, repo_dir, *args, env=None, timeout=180):
    return subprocess.run([str(amprig_bin), "sweep", *map(str, args)], cwd=repo_dir, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def local_smoke(amprig_bin, repo_dir, tmp_path_factory):
    """The smoke sweep run locally: the reference for the cluster's records."""
    path = tmp_path_factory.mktemp("local") / "smoke.jsonl"
    done = sweep(amprig_bin, repo_dir, SMOKE, "-j", "2", "--results", path)
    assert done.returncode == 0, done.stdout + done.stderr
    return path


def test_the_smoke_sweep_on_the_cluster_gives_the_local_records(amprig_bin, repo_dir, cluster,
                                                                 local_smoke, tmp_path):
    results = tmp_path / "smoke.jsonl"
    done = sweep(amprig_bin, repo_dir, SMOKE, "--cluster", cluster, "--results", results)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"cluster {cluster}: 2 workers, 2 threads" in done.stdout
    assert "sweep smoke: 50 runs, 50 passed, 0 failed, 0 with errors" in done.stdout
    # Both workers took runs, and the counts add up to the sweep.
    line = next(l for l in done.stdout.splitlines() if "runs per worker" in l)
    counts = [int(part.rsplit(" ", 1)[1]) for part in line.split(": ", 2)[2].split(", ")]
    assert len(counts) == 2 and min(counts) > 0 and sum(counts) == 50
    got, want = records(results), records(local_smoke)
    assert sorted(got) == sorted(want)
    for run_id in want:
        assert without_machine(got[run_id]) == without_machine(want[run_id]), run_id
    assert all(r["host"] for r in got.values())


def test_a_crash_and_a_hang_on_the_cluster_are_those_runs_results(amprig_bin, repo_dir, cluster,
                                                                  tmp_path):
    (tmp_path / "b1.yaml").write_text(
        "description: three 10 A loads\n"
        "plant:\n  loads:\n    - { name: heater, phases: [L1, L2, L3], current_a: 10 }\n"
        "steps:\n  - at: 8s\n    expect: { led.current: green }\n")
    (tmp_path / "crash.yaml").write_text(
        "sweep: crash\nseed: 3\ntimeout: 2s\nbases: b1.yaml\ndimensions:\n"
        "  - { fault: rig.test_crash, values: [true], at: 3s }\n"
        "  - { fault: rig.test_hang, values: [true], at: 3s }\n"
        "  - { fault: ct2.reversed, values: [true], at: 2s, durations: 1s }\n")
    results = tmp_path / "crash.jsonl"
    env = dict(os.environ, AMPRIG_TEST_HOOKS="1")
    done = sweep(amprig_bin, tmp_path, "crash.yaml", "--cluster", cluster, "--results", results,
                 env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "sweep crash: 4 runs, 2 passed, 0 failed, 2 with errors" in done.stdout
    got = records(results)
    assert got["b1~rig.test_crash=true@3s"]["outcome"] == "error"
    assert got["b1~rig.test_crash=true@3s"]["error"] == "crashed: Segmentation fault"
    assert got["b1~rig.test_hang=true@3s"]["error"] == "timed out after 2 s"
    assert got["b1~rig.test_hang=true@3s"]["outcome"] == "error"
    assert got["b1"]["outcome"] == got["b1~ct2.reversed=true@2s+1s"]["outcome"] == "passed"
    assert got["b1"]["sim_s"] == 8.0
    for run_id in ("b1~rig.test_crash=true@3s", "b1~rig.test_hang=true@3s"):
        assert f"replay {results} '{run_id}'" in done.stdout


def test_a_resumed_cluster_sweep_runs_only_what_is_missing(amprig_bin, repo_dir, cluster,
                                                          local_smoke, tmp_path):
    # A sweep killed after 20 runs, the 21st record cut short by the kill.
    lines = local_smoke.read_text().splitlines()
    results = tmp_path / "smoke.jsonl"
    results.write_text("\n".join(lines[:20]) + "\n" + lines[20][: len(lines[20]) // 2])
    done = sweep(amprig_bin, repo_dir, SMOKE, "--cluster", cluster, "--results", results,
                 "--resume")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "50 runs, 20 already in the results file, 30 to run" in done.stdout
    assert "30 runs in" in done.stdout
    got, want = records(results), records(local_smoke)
    assert sorted(got) == sorted(want)
    for run_id in want:
        assert without_machine(got[run_id]) == without_machine(want[run_id]), run_id


def test_an_unreachable_scheduler_is_a_clear_error_that_keeps_the_results(amprig_bin, repo_dir,
                                                                         local_smoke, tmp_path):
    results = tmp_path / "smoke.jsonl"
    shutil.copy(local_smoke, results)
    before = results.read_text()
    done = sweep(amprig_bin, repo_dir, SMOKE, "--cluster", "tcp://127.0.0.1:1", "--results",
                 results, "--resume", timeout=60)
    # Everything was in the results file: nothing to run, the cluster is not needed.
    assert done.returncode == 0, done.stdout + done.stderr
    lines = before.splitlines()
    results.write_text("\n".join(lines[:10]) + "\n")
    done = sweep(amprig_bin, repo_dir, SMOKE, "--cluster", "tcp://127.0.0.1:1", "--results",
                 results, "--resume", timeout=60)
    assert done.returncode == 1
    assert "amprig: the cluster tcp://127.0.0.1:1 stopped the sweep: cannot reach the Dask " \
           "scheduler at tcp://127.0.0.1:1" in done.stderr
    assert "Traceback" not in done.stderr
    assert "40 runs not run" in done.stdout and "--resume" in done.stdout
    assert results.read_text().splitlines() == lines[:10]


def test_cluster_options_that_only_make_sense_locally_are_refused(amprig_bin, repo_dir):
    for address, extra, words in (
            ("tcp://127.0.0.1:8786", ["-j", "2"], "-j is for a local sweep"),
            ("tcp://127.0.0.1:8786", ["--vcd", "/tmp/x"], "--vcd and --trace are for a local sweep"),
            ("127.0.0.1:8786", [], "--cluster takes the scheduler's address, tcp://HOST:PORT")):
        done = sweep(amprig_bin, repo_dir, SMOKE, "--cluster", address, *extra, timeout=30)
        assert done.returncode != 0
        assert words in done.stderr


# -- the worker's side, without a cluster --------------------------------------------------------

@pytest.fixture(scope="module")
def smoke_runs(amprig_bin, repo_dir, local_smoke):
    """(id, digest) of three smoke runs and their local records."""
    want = records(local_smoke)
    ids = sorted(want)[:3]
    return [(i, want[i]["digest"]) for i in ids], want


def test_a_worker_runs_a_batch_as_a_local_sweep_does(amprig_bin, repo_dir, smoke_runs, monkeypatch):
    runs, want = smoke_runs
    monkeypatch.setenv("AMPRIG_PROGRAM", str(amprig_bin))
    worker, lines = _cluster.run_batch(SMOKE, str(repo_dir), 120.0, runs,
                                       _cluster.program_hash(str(amprig_bin)))
    assert len(lines) == 3
    for line, (run_id, _) in zip(lines, runs):
        assert without_machine(json.loads(line)) == without_machine(want[run_id])


def test_a_worker_with_another_build_refuses(amprig_bin, repo_dir, smoke_runs, monkeypatch,
                                            tmp_path):
    runs, _ = smoke_runs
    other = tmp_path / "amprig"
    shutil.copy(amprig_bin, other)
    with open(other, "ab") as f:
        f.write(b"\0")
    monkeypatch.setenv("AMPRIG_PROGRAM", str(other))
    with pytest.raises(_cluster.ClusterError, match="runs another build of amprig than the client"):
        _cluster.run_batch(SMOKE, str(repo_dir), 120.0, runs, _cluster.program_hash(str(amprig_bin)))


def test_a_worker_whose_files_differ_refuses(amprig_bin, repo_dir, smoke_runs, monkeypatch):
    runs, _ = smoke_runs
    monkeypatch.setenv("AMPRIG_PROGRAM", str(amprig_bin))
    changed = [(runs[0][0], "0" * len(runs[0][1]))]
    with pytest.raises(_cluster.ClusterError, match="is another scenario than the client's"):
        _cluster.run_batch(SMOKE, str(repo_dir), 120.0, changed,
                           _cluster.program_hash(str(amprig_bin)))
    with pytest.raises(_cluster.ClusterError, match="has no run 'nope'"):
        _cluster.run_batch(SMOKE, str(repo_dir), 120.0, [("nope", "")],
                           _cluster.program_hash(str(amprig_bin)))
    with pytest.raises(_cluster.ClusterError, match="has no folder /nonexistent"):
        _cluster.run_batch(SMOKE, "/nonexistent", 120.0, runs, _cluster.program_hash(str(amprig_bin)))


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
