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

import os
import uuid
from pathlib import Path


def atomic_write(path, write, mode: int = 0o666) -> Path:
    """Call ``write(f)`` on a temporary file (binary) beside ``path``, then rename it to ``path``.

    A reader never sees a half-written file; if ``write`` fails (disk full, interrupted), the
    temporary file is removed, the exception propagates and ``path`` is as it was. The rename
    replaces a symlink at ``path`` rather than following it. ``mode`` less the umask is the new
    file's permission (0644 usually), as for any file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
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
    """Delete the temporary files of :func:`atomic_write` that a killed process left in
    ``folder`` (its PID, in the name, is gone); returns them. Live processes' are kept."""
    removed = []
    for tmp in Path(folder).glob(pattern):
        pid = tmp.name.rsplit(".", 2)[-2].partition("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed
