"""A sweep's runs on a Dask distributed cluster (`amprig sweep FILE --cluster tcp://HOST:PORT`).

The `amprig` program drives this from its embedded interpreter: `run_sweep` submits the runs in
small batches; on a worker, `run_batch` runs a batch with the worker's own `amprig` program
(`amprig sweep FILE --worker`, a process per run with the per-run timeout, as locally) and
returns each run's record, a line of the results file. The client writes the records as they
come back, so a sweep stopped at any moment keeps every batch that finished.

A worker needs `import amprig` to work (the .pth that harness/dev writes, or
PYTHONPATH=<build>/python when it starts), the same build of the program as the client's (checked
by a hash of the program file), and the sweep's files at the same path as the client's (a shared
folder, or the same checkout at the same path): every run's scenario is checked by its digest
before it runs, so a worker with other files refuses instead of running something else."""
import hashlib
import os
import socket
import subprocess
import time
import uuid

from ._paths import amprig_program


class ClusterError(RuntimeError):
    """The cluster cannot run the sweep: the message says why, in words."""


# -- the worker's side -------------------------------------------------------------------------

_hashes = {}


def program_hash(path):
    """sha256 of a program file, remembered while the file stays the same."""
    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)
    if key not in _hashes:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _hashes[key] = digest.hexdigest()
    return _hashes[key]


def _worker_name():
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return socket.gethostname()


def run_batch(sweep_file, cwd, timeout_s, runs, client_hash):
    """Runs `runs` ([(id, digest)]) of a sweep on this worker; returns (worker, [record lines]).
    Raises ClusterError when this worker cannot run them as the client would."""
    worker = _worker_name()
    try:
        program = amprig_program()
    except FileNotFoundError as error:
        raise ClusterError(f"the worker {worker} has no amprig program: {error}") from None
    mine = program_hash(program)
    if mine != client_hash:
        raise ClusterError(
            f"the worker {worker} runs another build of amprig than the client: {program} "
            f"(sha256 {mine[:12]}) against the client's (sha256 {client_hash[:12]}); start the "
            "worker with the client's build (PYTHONPATH=<build>/python, or AMPRIG_PROGRAM)")
    if not os.path.isdir(cwd):
        raise ClusterError(f"the worker {worker} has no folder {cwd}, where the sweep was started "
                           "(give the workers the client's files at the same path)")
    stdin = "".join(f"{run_id}\t{digest}\n" for run_id, digest in runs)
    command = [program, "sweep", sweep_file, "--worker", "--timeout", f"{int(timeout_s * 1000)}ms"]
    try:
        done = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, text=True,
                              timeout=len(runs) * (timeout_s + 30) + 60)
    except subprocess.TimeoutExpired:
        raise ClusterError(f"the worker {worker}: {' '.join(command)} did not finish") from None
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or len(lines) != len(runs):
        problem = done.stderr.strip() or f"exit code {done.returncode}"
        raise ClusterError(f"the worker {worker} could not run the batch: {problem}")
    return worker, lines


# -- the client's side -------------------------------------------------------------------------

def _batches(runs, threads):
    """Batches small enough to spread over every thread several times, large enough that
    starting the program once per batch costs little against the runs."""
    size = max(1, min(16, len(runs) // max(1, 4 * threads)))
    return [runs[i:i + size] for i in range(0, len(runs), size)]


def run_sweep(address, sweep_name, sweep_file, cwd, program, timeout_s, runs, done, stopping,
              connect_timeout_s=10.0, workers_timeout_s=60.0):
    """Runs `runs` ([(id, digest)]) on the cluster at `address`; calls done(record line) for each
    run as its batch finishes. Returns when all are done or when stopping() is true. Raises
    ClusterError."""
    try:
        from distributed import Client, wait
    except ImportError as error:
        raise ClusterError(f"no Dask distributed here ({error}): install python3-distributed") from None
    try:
        client = Client(address, timeout=connect_timeout_s)
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    try:
        return _run(client, address, sweep_name, sweep_file, cwd, program, timeout_s, runs, done,
                    stopping, workers_timeout_s, wait)
    finally:
        client.close()


def _run(client, address, sweep_name, sweep_file, cwd, program, timeout_s, runs, done, stopping,
         workers_timeout_s, wait):
    deadline = time.monotonic() + workers_timeout_s
    while not client.nthreads():
        if stopping():
            return
        if time.monotonic() > deadline:
            raise ClusterError(f"no worker joined the scheduler at {address} within "
                               f"{workers_timeout_s:g} s (start one: dask-worker {address})")
        time.sleep(0.2)
    nthreads = client.nthreads()
    threads = sum(nthreads.values())
    print(f"cluster {address}: {len(nthreads)} workers, {threads} threads", flush=True)
    if not runs:
        return
    client_hash = program_hash(program)
    tag = uuid.uuid4().hex[:8]
    pending = set()
    for i, batch in enumerate(_batches(list(runs), threads)):
        pending.add(client.submit(run_batch, sweep_file, cwd, timeout_s, batch, client_hash,
                                  key=f"amprig-{sweep_name}-{tag}-{i}", retries=1))
    per_worker = {}
    try:
        while pending:
            if stopping():
                return
            try:
                finished, pending = wait(pending, timeout=0.2, return_when="FIRST_COMPLETED")
            except TimeoutError:
                continue
            for future in finished:
                if future.status != "finished":
                    error = future.exception()
                    if isinstance(error, ClusterError):
                        raise ClusterError(str(error)) from None
                    raise ClusterError(f"a batch failed on the cluster: {type(error).__name__}: "
                                       f"{error}") from None
                worker, lines = future.result()
                per_worker[worker] = per_worker.get(worker, 0) + len(lines)
                for line in lines:
                    done(line)
                    if stopping():
                        return
    finally:
        if pending:
            client.cancel(list(pending))
        if per_worker:
            share = ", ".join(f"{w} {n}" for w, n in sorted(per_worker.items()))
            print(f"cluster {address}: runs per worker: {share}", flush=True)

