"""The kernel that runs a notebook for papermill, reached through socket files, not TCP.

A Jupyter kernel listens on five ZeroMQ sockets. By default they are TCP ports on 127.0.0.1,
and ipykernel warns, at every start, that code and outputs travel unencrypted. A kernel that
papermill starts on this machine for us needs no network at all: with the ``ipc`` transport its
sockets are files beside its connection file, readable by this user only.

Their names must be unique per kernel: jupyter_client's default, ``kernel-ipc-<n>`` in the
current folder (papermill's ``cwd``: the notebook's folder), is shared by every kernel started
there, and two notebooks run at once (a parallel sweep) would talk to each other's kernels.
"""
from __future__ import annotations

import os

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir


class FileSocketKernelManager(AsyncKernelManager):
    """nbclient's kernel manager with ``transport="ipc"`` (Unix socket files)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        if kwargs["transport"] == "ipc" and "ip" not in kwargs:   # socket files of its own
            runtime = jupyter_runtime_dir()
            os.makedirs(runtime, mode=0o700, exist_ok=True)
            kwargs["ip"] = os.path.join(runtime, f"colorlab-{os.getpid()}-{os.urandom(4).hex()}-ipc")
        super().__init__(**kwargs)
