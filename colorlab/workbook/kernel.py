"""The kernel that runs a notebook for papermill, reached through socket files, not TCP.

A Jupyter kernel listens on five ZeroMQ sockets. By default they are TCP ports on 127.0.0.1,
and ipykernel warns, at every start, that code and outputs travel unencrypted. A kernel that
papermill starts on this machine for us needs no network at all: with the ``ipc`` transport its
sockets are files beside its connection file, readable by this user only.

Their names must be unique per kernel: jupyter_client's default, ``kernel-ipc-<n>`` in the
current folder (papermill's ``cwd``: the notebook's folder), is shared by every kernel started
there, and two notebooks run at once (a parallel sweep) would talk to each other's kernels.

A profile with a fixed CPU thread count (``smoke``: 1) gets it from the kernel's first
instruction (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``), not only from ``profiles.set_threads``
later: the thread pools size some of their work when they start, and the same smoke point gave
numbers differing in the fifth digit when its kernel started with ``OMP_NUM_THREADS=1`` (as in a
parallel sweep's worker) or was set to one thread after starting (as in a sequential sweep).
"""
from __future__ import annotations

import os

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir


class FileSocketKernelManager(AsyncKernelManager):
    """nbclient's kernel manager with ``transport="ipc"`` (Unix socket files); ``threads``: the
    kernel's CPU thread count from its start (None: the environment's)."""

    threads: int | None = None

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        if kwargs["transport"] == "ipc" and "ip" not in kwargs:   # socket files of its own
            runtime = jupyter_runtime_dir()
            os.makedirs(runtime, mode=0o700, exist_ok=True)
            kwargs["ip"] = os.path.join(runtime, f"colorlab-{os.getpid()}-{os.urandom(4).hex()}-ipc")
        super().__init__(**kwargs)

    async def start_kernel(self, **kw):
        if self.threads is not None:
            env = dict(kw.pop("env", None) or os.environ)
            env.update(OMP_NUM_THREADS=str(self.threads), MKL_NUM_THREADS=str(self.threads))
            kw["env"] = env
        return await super().start_kernel(**kw)


def manager_for(threads: int | None) -> type:
    """The kernel manager class for a kernel that runs with ``threads`` CPU threads."""
    if threads is None:
        return FileSocketKernelManager
    return type(f"FileSocketKernelManager{threads}", (FileSocketKernelManager,), {"threads": threads})
