"""The kernel that runs a notebook for papermill, reached through socket files, not TCP.

A Jupyter kernel listens on five ZeroMQ sockets. By default they are TCP ports on 127.0.0.1,
and ipykernel warns, at every start, that code and outputs travel unencrypted. A kernel that
papermill starts on this machine for us needs no network at all: with the ``ipc`` transport its
sockets are files beside its connection file, readable by this user only.
"""
from __future__ import annotations

from jupyter_client.manager import AsyncKernelManager


class FileSocketKernelManager(AsyncKernelManager):
    """nbclient's kernel manager with ``transport="ipc"`` (Unix socket files)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        super().__init__(**kwargs)
