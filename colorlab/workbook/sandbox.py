"""Running code we must not trust (a student's notebook) in a sandbox of its own: bubblewrap.

``grade`` executes each submission with :func:`run`. Inside the sandbox the command sees

- read only: the system's programs and libraries (``/usr``, a few files of ``/etc``), this
  interpreter, its environment (``sys.prefix``), the colorlab package and the extra folders the
  caller names (``data/``); nothing else of the machine's files: no other student, no
  instructor's file, no ``--out``;
- writable: one folder, mounted at :data:`WORKDIR` (that one student's copy), and a private
  ``/tmp`` (also its ``HOME``);
- no network, its own process list (``/proc`` shows only its processes), a scrubbed environment
  (:func:`environment`), a user id of its own that is not root, and limits on memory, processes,
  file size and wall time (:class:`Limits`). Every process it starts dies with it.

The sandbox is Debian's ``bwrap`` (``apt-get install bubblewrap``), started as root so that it
can bind the interpreter from wherever it lives; it then drops to the sandbox's user id with
``setpriv``. A user id that is not root is what makes the process limit hold (the kernel never
counts root's processes). :func:`unavailable` says why no sandbox can run here, or None.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BWRAP = "bwrap"                  # the sandbox program, found on PATH
INSTALL = "apt-get install bubblewrap"
WORKDIR = "/submission"          # where the writable folder appears inside the sandbox
SYSTEM = ["/usr", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/fonts",
          "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/mime.types"]
MERGED_USR = ["/bin", "/sbin", "/lib", "/lib64"]   # symlinks into /usr on Debian, else folders
PACKAGE = Path(__file__).resolve().parents[1]      # the colorlab package, bound read only
TMP_SIZE = 1 << 30               # bytes of the private /tmp (it lives in memory)
UID_BASE = 200000                # sandboxes run as UID_BASE + n: users no one else has


@dataclass
class Limits:
    """What one sandboxed command may use: wall time (s), address space per process (bytes),
    processes and threads of its user, the largest file it may write (bytes)."""
    wall_s: float = 1800.0
    memory: int = 6 << 30
    processes: int = 256
    file_size: int = 1 << 30


class SandboxUnavailable(RuntimeError):
    """No working sandbox on this machine; the message says why and how to install one."""


def read_only_paths(extra=()) -> list[Path]:
    """The folders a Python command needs: the interpreter, its environment, colorlab, ``extra``."""
    paths = [Path(sys.base_prefix), Path(sys.prefix), PACKAGE, *map(Path, extra)]
    unique = []
    for p in (q.resolve() for q in paths if q.exists()):
        if not any(p == u or u in p.parents for u in unique):
            unique = [u for u in unique if p not in u.parents] + [p]
    return unique


def exposed(path, extra=()) -> Path | None:
    """The read-only folder through which the sandbox would see ``path``, or None: a
    submissions or --out folder must not lie inside one."""
    path = Path(path).resolve()
    for ro in read_only_paths(extra):
        if path == ro or ro in path.parents:
            return ro
    return None


def environment(extra: dict | None = None) -> dict:
    """The sandbox's whole environment: nothing of the grader's but PATH's essentials."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": "/tmp",
           "USER": "student", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
           "OMP_WAIT_POLICY": "PASSIVE", "PYTHONDONTWRITEBYTECODE": "1"}
    return {**env, **(extra or {})}


def _mkdirs(path: Path, made: set) -> list[str]:
    """bwrap options that create the parents of ``path`` readable by everyone (bwrap's own are 0700)."""
    options = []
    for parent in reversed(path.parents[:-1]):
        if parent not in made:
            made.add(parent)
            options += ["--perms", "0755", "--dir", str(parent)]
    return options


def bwrap_command(command: list[str], workdir, uid: int, env: dict, extra=()) -> list[str]:
    """The full bwrap command line that runs ``command`` as ``uid`` with ``workdir`` at WORKDIR."""
    # the private /tmp first: a bind below /tmp (a clone or a venv there) then lands on top of it
    opts, made = [BWRAP, "--perms", "01777", "--size", str(TMP_SIZE), "--tmpfs", "/tmp"], set()
    for name in MERGED_USR:
        p = Path(name)
        if p.is_symlink():
            opts += ["--symlink", os.readlink(p), name]
        elif p.is_dir():
            opts += ["--ro-bind", name, name]
    for name in SYSTEM:
        if Path(name).exists():
            opts += [*_mkdirs(Path(name), made), "--ro-bind", name, name]
    for path in read_only_paths(extra):
        opts += [*_mkdirs(path, made), "--ro-bind", str(path), str(path)]
    opts += ["--bind", str(workdir), WORKDIR, "--chdir", WORKDIR,
             "--proc", "/proc", "--dev", "/dev",
             "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
             "--unshare-cgroup-try", "--new-session", "--die-with-parent",
             "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--clearenv"]
    for name, value in env.items():
        opts += ["--setenv", name, value]
    drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", "--"]
    return opts + ["--", *drop, *command]


def _limits_prefix(limits: Limits) -> list[str]:
    """prlimit options: the limits hold for every process the sandbox starts."""
    return ["prlimit", f"--as={limits.memory}", f"--nproc={limits.processes}",
            f"--fsize={limits.file_size}", "--core=0", "--"]


def run(command: list[str], workdir, uid: int, env: dict, log, limits: Limits = Limits(),
        extra=(), isolated: bool = True) -> int:
    """Run ``command`` in a sandbox with ``workdir`` writable; its output goes to the file ``log``.

    Returns the exit status; raises subprocess.TimeoutExpired after ``limits.wall_s`` seconds,
    once every process it started is dead. ``isolated=False`` (``grade --no-sandbox``) runs it
    as this user with the scrubbed environment and the time limit only.
    """
    workdir = Path(workdir)
    if isolated:
        os.chown(workdir, uid, uid)
        argv = _limits_prefix(limits) + bwrap_command(command, workdir, uid, env, extra)
        cwd = "/"
    else:
        argv, cwd = command, workdir
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env if not isolated else {"PATH": "/usr/bin:/bin"},
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            return proc.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)   # bwrap's children die with it (--die-with-parent)
            proc.wait()
            raise


_checked: dict = {}


def unavailable() -> str | None:
    """Why no sandbox can run here (bwrap missing or failing), or None when one works."""
    if "reason" not in _checked:
        _checked["reason"] = _try_sandbox()
    return _checked["reason"]


def not_installed() -> str | None:
    """Why this machine cannot have a sandbox at all (no bwrap, not root), or None. A bwrap that
    is there but fails is another matter: :func:`unavailable` says so, and tests then fail."""
    if shutil.which(BWRAP) is None:
        return f"bubblewrap (bwrap) is not installed; install it with `{INSTALL}`"
    if os.geteuid() != 0:
        return ("the sandbox needs root to bind the interpreter and drop to a user of its own; "
                "run grade as root")
    return None


def _try_sandbox() -> str | None:
    if not_installed():
        return not_installed()
    with tempfile.TemporaryDirectory(prefix="colorlab-sandbox-check-") as tmp:
        log = Path(tmp) / "log"
        (Path(tmp) / "work").mkdir()
        try:
            status = run([sys.executable, "-c", "print('ok')"], Path(tmp) / "work", uid=UID_BASE,
                         env=environment(), log=log, limits=Limits(wall_s=60))
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap does not work here ({exc}); check `{INSTALL}`"
        if status != 0 or log.read_text(errors="replace").strip() != "ok":
            last = (log.read_text(errors="replace").strip().splitlines() or ["no output"])[-1]
            return f"bwrap does not work here ({last}); check `{INSTALL}`"
    return None
