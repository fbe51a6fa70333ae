"""Sweeps in parallel: a local Dask cluster, and a real `dask scheduler` with two `dask worker`s.

The cluster runs on 127.0.0.1 only, as separate processes started here; every process started is
killed at the end (its whole process group), and every wait has a timeout.
"""
import csv
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from colorlab.workbook import sweep

pytestmark = pytest.mark.slow
distributed = pytest.importorskip("distributed")

GRID = {"T": [0.1, 0.2, 0.3, 0.4]}
START_TIMEOUT = 60      # s for the scheduler and both workers to come up on a busy 2-core machine
SWEEP_TIMEOUT = 90      # s for a sweep of a few toy points


def _rows(out_dir) -> list[dict]:
    """results.csv without the seconds column (the only one that may differ between runs)."""
    with open(out_dir / "results.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


OMP_BODY = ("import os\nfrom colorlab import runs\nruns.record('twice_T', 2 * T)\n"
            "runs.record('omp', os.environ.get('OMP_NUM_THREADS', 'unset'))\n")


def test_local_workers_give_the_sequential_results(toy_notebook, tmp_path):
    """4 points, ``workers=2``: the same rows as a sequential sweep, in grid order; each point's
    kernel sees OMP_NUM_THREADS = cores // workers (what PyTorch reads for its threads)."""
    from colorlab.workbook import parallel
    nb = toy_notebook(body=OMP_BODY)
    start = time.perf_counter()
    one = sweep.sweep(nb, GRID, tmp_path / "seq", progress=False)
    sequential = time.perf_counter() - start
    start = time.perf_counter()
    two = sweep.sweep(nb, GRID, tmp_path / "par", progress=False, workers=2)
    parallel_s = time.perf_counter() - start
    print(f"\n4 toy points: sequential {sequential:.1f} s, workers=2 {parallel_s:.1f} s "
          f"({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    assert [r.ok for r in two] == [True] * 4
    assert [r.params["T"] for r in two] == [r.params["T"] for r in one]   # grid order
    assert [r.results["omp"] for r in two] == [str(parallel.threads_per_point(2))] * 4
    without_omp = lambda rows: [{k: v for k, v in r.items() if k != "omp"} for r in rows]  # noqa: E731
    assert without_omp(_rows(tmp_path / "par")) == without_omp(_rows(tmp_path / "seq"))
    assert (tmp_path / "par" / "results.md").exists()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args, log) -> subprocess.Popen:
    """A `python -m dask …` process in a process group of its own (killed whole at the end)."""
    return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    """End ``proc`` and its group (a worker's nanny, its worker process), TERM then KILL."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``(address, [worker Popen, worker Popen])``: a dask scheduler and two one-thread workers."""
    tmp = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{_port()}"
    log = open(tmp / "dask.log", "w")
    procs = [_start(["scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                     "--no-dashboard"], log)]
    try:
        for i in range(2):
            procs.append(_start(["worker", address, "--nthreads", "1", "--nworkers", "1",
                                 "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{i}",
                                 "--death-timeout", "60", "--local-directory", str(tmp)], log))
        with distributed.Client(address, timeout=f"{START_TIMEOUT}s") as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT)
        yield address, procs[1:]
    finally:
        for proc in reversed(procs):
            _stop(proc)
        log.close()


def test_scheduler_runs_the_points_and_resumes(toy_notebook, tmp_path, cluster):
    address, _ = cluster
    nb = toy_notebook()
    res = sweep.sweep(nb, GRID, tmp_path / "dask", progress=False, scheduler=address)
    assert [r.ok for r in res] == [True] * 4
    expected = [{"T": str(t), "ok": "True", "twice_T": str(2 * t), "error": ""} for t in GRID["T"]]
    assert _rows(tmp_path / "dask") == expected
    files = sorted((tmp_path / "dask").glob("toy[[]*].ipynb"))
    stamps = [f.stat().st_mtime_ns for f in files]
    again = sweep.sweep(nb, GRID, tmp_path / "dask", progress=False, scheduler=address)
    assert [r.ok for r in again] == [True] * 4
    assert [f.stat().st_mtime_ns for f in files] == stamps     # kept, not run again
    assert _rows(tmp_path / "dask") == expected


SLOW_PARAMS = 'T = 0.38\nmarker = ""\n'
SLOW_BODY = ("import os, time\nfrom colorlab import runs\n"
             "open(os.path.join(marker, f'{os.getpid()}-{os.getppid()}'), 'w').close()\n"
             "time.sleep(3)\nruns.record('twice_T', 2 * T)\n")


def test_a_killed_worker_loses_nothing(toy_notebook, tmp_path, cluster):
    """Kill the worker running a point (its process group, and the point's kernel): the sweep
    still ends, every point is in results.csv, ok (run again on the other worker) or failed."""
    address, workers = cluster
    nb = toy_notebook(params=SLOW_PARAMS, body=SLOW_BODY)
    marker = tmp_path / "started"
    marker.mkdir()
    out = tmp_path / "out"
    box = {}
    thread = threading.Thread(target=lambda: box.update(res=sweep.sweep(
        nb, {"T": [0.1, 0.2]}, out, {"marker": str(marker)}, progress=False, scheduler=address)),
        daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not any(marker.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    kernel, worker = map(int, next(marker.iterdir()).name.split("-"))
    groups = {w.pid for w in workers}
    assert os.getpgid(worker) in groups, "the point's kernel should be a child of a dask worker"
    os.killpg(os.getpgid(worker), signal.SIGKILL)
    try:
        os.kill(kernel, signal.SIGKILL)
    except ProcessLookupError:
        pass
    thread.join(SWEEP_TIMEOUT)
    assert not thread.is_alive(), "the sweep hung after a worker died"
    res = box["res"]
    assert len(res) == 2 and any(r.ok for r in res)
    for r in res:
        assert r.ok or "worker" in r.error, r.error
    if all(r.ok for r in res):   # the killed point ran again on the other worker: 3 starts
        assert len(list(marker.iterdir())) == 3
    rows = _rows(out)
    assert [row["T"] for row in rows] == ["0.1", "0.2"]
    assert all(row["twice_T"] for row, r in zip(rows, res) if r.ok)
