"""One sweep or workbook at a time in a folder: a lock file that the system drops with its process."""
from __future__ import annotations

import errno
import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from colorlab.files import printable

LOCK_NAME = ".colorlab-lock"   # in a sweep's / workbook's folder while one writes there


@contextmanager
def folder_lock(folder, what: str = "sweep"):
    """Hold ``folder/.colorlab-lock`` while a sweep or workbook writes into ``folder``.

    A second one into the same folder is refused at once (an OSError naming the folder and the
    process that holds it) rather than made to wait: a sweep can take hours, and two that merge
    into one results.csv would each rewrite it from what they alone had read. The lock is an
    ``flock``, so the system drops it when its process ends, killed or not: no stale lock is left.
    """
    path = Path(folder) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot lock {printable(folder)} ({exc.strerror}); "
                      f"if {LOCK_NAME} there is a symlink, delete it") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 100).decode(errors="replace").strip() or "another process"
            raise OSError(errno.EBUSY, f"{printable(folder)} is in use by {printable(holder)}: "
                          f"wait for it to finish, or give this {what} another folder") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"colorlab {what} (process {os.getpid()})".encode())
        yield path
    finally:
        os.close(fd)     # releases the lock
