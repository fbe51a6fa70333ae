"""Fixtures shared by the tests."""
import socket

import pytest


@pytest.fixture
def free_port() -> int:
    """A TCP port no one listens on right now, for torchrun's rendezvous: a fixed port can be taken
    by another process on a busy machine (a notebook kernel's ZMQ socket, another test run)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
