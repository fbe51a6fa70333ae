"""Running a sweep's points at once: on this machine's cores or GPUs, or on a Dask cluster.

Each point is one task, ``run_point`` (papermill, into the sweep's folder), handed to Dask
distributed: a ``LocalCluster`` of ``workers`` processes on this machine, or the workers of a
``dask scheduler`` you started (``scheduler="tcp://host:port"``; SLURM, PBS or Kubernetes give
one through dask-jobqueue or dask-kubernetes). Every worker must see the notebook and the
sweep's folder at the same paths (one machine, or a shared filesystem) and have colorlab
installed. A point whose worker dies is run again on another one (Dask's
``distributed.scheduler.allowed-failures``, 3 by default); past that, or when the task itself
fails, the point comes back as a failed :class:`RunResult` with the reason: the other points'
results are never lost.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

from colorlab.workbook.execute import RunResult, run

CONNECT_TIMEOUT = "20s"   # how long to wait for a --scheduler address before giving up


def run_point(notebook, params: dict, out_dir, output_name: str, gpus: list[str] | None = None):
    """One sweep point on a Dask worker: ``execute.run`` without progress bar or HTML page.

    gpus: on a machine with several GPUs, the ones to share out; the worker named ``i`` (a
    ``LocalCluster`` names them 0, 1, …) sees only ``gpus[i % len(gpus)]`` (``CUDA_VISIBLE_DEVICES``,
    which the notebook's kernel inherits). Returns the :class:`RunResult`.
    """
    if gpus:
        from distributed import get_worker
        os.environ["CUDA_VISIBLE_DEVICES"] = gpus[int(get_worker().name) % len(gpus)]
    return run(notebook, params, out_dir, output_name, progress=False, html=False)


def run_all(jobs: dict, on_done, workers: int = 1, scheduler: str | None = None) -> None:
    """Run every job at once, as far as the workers allow; ``on_done(key, RunResult)`` as each ends.

    jobs: ``{key: (notebook, params, out_dir, output_name)}``, the arguments of :func:`run_point`.
    workers: processes of a local cluster (ignored with ``scheduler``, a ``tcp://host:port``).
    on_done is called in the order the points finish, in this process. Ctrl-C cancels the
    points not finished and raises KeyboardInterrupt.
    """
    try:
        from distributed import as_completed
    except ImportError:
        raise ValueError("points at once (workers, scheduler) need Dask distributed: "
                         "pip install 'colorlab[cluster]'") from None
    with _client(workers, scheduler) as client:
        gpus = None if scheduler else local_gpus(workers)
        futures = {client.submit(run_point, *job, gpus=gpus, pure=False): key
                   for key, job in jobs.items()}
        try:
            for fut in as_completed(futures):
                key = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # KilledWorker (died too often), lost connection, …
                    res = _failed(jobs[key], f"{type(exc).__name__}: {exc}")
                on_done(key, res)
        except KeyboardInterrupt:
            client.cancel(list(futures))
            raise


def _failed(job, why: str) -> RunResult:
    """A point that never came back from its worker: failed, with the reason, nothing written."""
    notebook, params, out_dir, output_name = job
    output = os.path.join(str(out_dir), output_name)
    return RunResult(str(notebook), output, False, 0.0, dict(params), {}, f"worker lost: {why}")


@contextmanager
def _client(workers: int, scheduler: str | None):
    """A Dask client: of the cluster at ``scheduler``, or of a local cluster of ``workers``
    processes, one task at a time each, with this machine's cores shared out between them."""
    from distributed import Client, LocalCluster
    if scheduler:
        with Client(scheduler, timeout=CONNECT_TIMEOUT) as client:
            yield client
        return
    threads = str(threads_per_point(workers))
    env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}   # the kernels inherit these
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, env=env) as cluster, Client(cluster) as client:
        yield client


def threads_per_point(workers: int) -> int:
    """This machine's cores (those this process may use) shared out: cores // workers, at least 1."""
    return max(1, len(os.sched_getaffinity(0)) // workers)


def local_gpus(workers: int) -> list[str] | None:
    """The GPUs to pin local workers to, one each: None unless there are 2 or more GPUs and
    2 or more workers (one GPU is shared by every worker, as a sequential sweep would use it)."""
    if workers < 2:
        return None
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        gpus = [g for g in visible.split(",") if g.strip()]
    else:
        import torch
        gpus = [str(i) for i in range(torch.cuda.device_count())]
    return gpus if len(gpus) >= 2 else None
