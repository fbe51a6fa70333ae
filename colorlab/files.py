"""Writing results so that nothing is lost, and naming files so that nothing is forged.

Every result colorlab writes (a checkpoint, a cache file, an executed notebook, a web page, a
table, grades) goes through :func:`atomic_write`: the bytes go to a temporary file beside the
target, which is then renamed over it. A full disk or a Ctrl-C leaves the old file intact and no
half-written one behind; a symlink at the target's name (dangling or not) is replaced, never
written through.

File names come from users and students. :func:`printable` shows one with any control character
(a newline, an ANSI escape) escaped, so a file called ``"x\\n[colorlab] all good"`` cannot forge
a line of colorlab's output.
"""
from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from pathlib import Path

# A temporary file of another machine (a sweep's worker on a shared file system) cannot be
# checked by its PID: it is removed only once nothing has touched it for this long (seconds).
FOREIGN_STALE_AFTER = 24 * 3600


def owner_tag() -> str:
    """``<pid>-<host>``: who writes a temporary file, put in its name. ``host`` is 8 hex digits
    of this machine's name, so that a PID is only ever checked on the machine that owns it."""
    host = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]
    return f"{os.getpid()}-{host}"


def atomic_write(path, write, mode: int = 0o666) -> Path:
    """Call ``write(f)`` on a temporary file (binary) beside ``path``, then rename it to ``path``.

    A reader never sees a half-written file; if ``write`` fails (disk full, interrupted), the
    temporary file is removed, the exception propagates and ``path`` is as it was. The rename
    replaces a symlink at ``path`` rather than following it. ``mode`` less the umask is the new
    file's permission (0644 usually), as for any file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{owner_tag()}-{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
                 | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path, text: str, encoding: str = "utf-8") -> Path:
    """:func:`atomic_write` of a string."""
    data = text.encode(encoding)
    return atomic_write(path, lambda f: f.write(data))


def printable(name) -> str:
    """``name`` (a str or a path) with control characters escaped: safe to print on one line.

    >>> printable("a\\nb\\x1b[31m.png")
    'a\\\\nb\\\\x1b[31m.png'
    """
    text = str(name)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def remove_stale_temporaries(folder, pattern: str = ".*.tmp") -> list[Path]:
    """Delete the temporary files (named with :func:`owner_tag`) that a killed process left in
    ``folder``; returns them. One of this machine goes when its PID is gone; one of another
    machine only after ``FOREIGN_STALE_AFTER`` seconds untouched. Live processes' are kept."""
    removed = []
    for tmp in Path(folder).glob(pattern):
        if _stale(tmp):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def _stale(tmp: Path) -> bool:
    """Whether the writer of ``tmp`` (``.<name>.<pid>-<host>-<random>.<ext>``) is gone."""
    pid, *rest = tmp.name.rsplit(".", 2)[-2].split("-")
    if not pid.isdigit():
        return False
    if len(rest) == 2 and rest[0] != owner_tag().partition("-")[2]:       # another machine's
        try:
            return time.time() - tmp.lstat().st_mtime > FOREIGN_STALE_AFTER
        except FileNotFoundError:
            return False
    return int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists()
