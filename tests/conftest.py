"""Fixtures shared by the tests."""
import os
import socket
import subprocess
import sys
import warnings

import pytest

# What a rank prints when gloo's C++ side calls std::terminate. We saw it on 2 CPUs under load in
# about 1 of 50 two-rank runs (rank 0, SIGABRT, in CI and in stress loops here) and could not tie
# it to colorlab's code; the ``torchrun`` fixture runs such a launch once more, with a warning.
GLOO_ABORT = "terminate called without an active exception"


def _free_port() -> int:
    """A TCP port no one listens on right now, for torchrun's rendezvous: a fixed port can be taken
    by another process on a busy machine (a notebook kernel's ZMQ socket, another test run)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def torchrun():
    """``torchrun(*args, timeout=300)``: ``python -m torch.distributed.run --nproc_per_node=2``
    on a free port with ``args`` (a script, or ``-m colorlab train …``), one thread per rank;
    fails the test with torchrun's stderr unless every rank exits 0. Python's fault handler is on,
    so a crashing rank prints its stack; a launch that dies of :data:`GLOO_ABORT` alone is run
    once more (a warning says so), any other failure fails at once."""
    def launch(*args, timeout=300):
        for attempt in (1, 2):
            r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                                f"--master_port={_free_port()}", *map(str, args)],
                               capture_output=True, text=True, timeout=timeout,
                               env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1"})
            if r.returncode == 0 or attempt == 2 or GLOO_ABORT not in r.stderr:
                break
            warnings.warn(f"torchrun: a rank aborted ({GLOO_ABORT}); running it again. "
                          f"Its stderr began: {r.stderr[:2000]}")
        assert r.returncode == 0, r.stderr[:3000] + "\n…\n" + r.stderr[-1500:]
        return r
    return launch


@pytest.fixture
def hang_limit():
    """Fails the test, instead of hanging it, if it runs for more than 30 s: for calls that
    blocked forever before a fix (opening a FIFO, reading /dev/zero). SIGALRM interrupts even a
    blocking ``open``; the test fails with pytest's own exception, which no ``except OSError``
    or ``except Exception`` in the code under test can swallow. POSIX only, main thread."""
    import signal

    def hung(signum, frame):
        pytest.fail("hung: still running after 30 s")

    before = signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, before)


@pytest.fixture
def tiny_checkpoint(tmp_path):
    """``tiny_checkpoint(name="regression", **entries)`` → the path of a checkpoint as ``train``
    writes one (name, kwargs, model weights, task), of a width-0.125 model at 16 px, built in
    milliseconds; ``entries`` replace stored entries (``model=…``, ``kwargs=…``, ``task=…``) to
    make broken or hostile files. Each call writes a new file under ``tmp_path``."""
    import itertools

    import numpy as np
    import torch

    from colorlab import models, tasks

    count = itertools.count()

    def make(name: str = "regression", **entries):
        torch.manual_seed(0)
        model = models.build(name, width=0.125)
        task = tasks.for_model(model, size=16, profile="smoke")
        if hasattr(task, "set_prior"):
            task.set_prior(np.full(313, 1 / 313))
        state = {"name": name, "kwargs": model.config, "model": model.state_dict(),
                 "task": task.state(), **entries}
        path = tmp_path / f"ckpt-{next(count)}.pt"
        torch.save(state, path)
        return path
    return make


TOY_PARAMS = ('profile = "auto"  # smoke | cpu | gpu | auto\n'
              'out_dir = "."  # checkpoints go here\n'
              'T = 0.38  # temperature\nname = "x"\n')
TOY_BODY = ("from colorlab import runs\n"
            "runs.record('twice_T', 2 * T)\n"
            "if name == 'fail':\n    raise RuntimeError('asked to fail')\n")


@pytest.fixture
def toy_notebook(tmp_path):
    """``toy_notebook(name="toy.ipynb", params=TOY_PARAMS, body=TOY_BODY)`` → the path of a
    two-cell notebook in ``tmp_path`` (a cell tagged ``parameters``, then ``body``): runs in about
    a second, records ``twice_T`` and fails when ``name == "fail"``. For runs and sweeps."""
    import nbformat

    def make(name: str = "toy.ipynb", params: str = TOY_PARAMS, body: str = TOY_BODY):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        cell = nbformat.v4.new_code_cell(params)
        cell.metadata["tags"] = ["parameters"]
        nb.cells = [cell, nbformat.v4.new_code_cell(body)]
        nbformat.write(nb, str(tmp_path / name))
        return tmp_path / name
    return make


@pytest.fixture
def red_pngs():
    """``red_pngs(folder, n)`` → ``folder`` holding n 12 x 12 PNGs of different reds (0.png …),
    for the tests of what a photo folder holds besides photos."""
    from PIL import Image

    def make(folder, n: int):
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.new("RGB", (12, 12), (60 * i, 0, 0)).save(folder / f"{i}.png")
        return folder
    return make
