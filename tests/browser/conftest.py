"""Fixtures for the widget tests in a real browser: a JupyterLab server and Debian's Chromium.

The recipe is GUIDE §6: Debian's ``chromium`` (``apt-get install -y chromium``) driven by
playwright-python (``pip install playwright``; never ``playwright install``, whose browser
download fails on the course machines), and ``jupyter lab`` on 127.0.0.1 with a random token and
every config/runtime/workspaces/settings folder in a temporary folder. ``make browser-test``
installs both and runs these tests alone; ``make test`` skips them, saying why, when either is
missing.

Environment:
  COLORLAB_CHROMIUM          the Chromium binary (default /usr/bin/chromium)
  COLORLAB_SCREENSHOTS       where screenshots go (default build/browser-screenshots)
  COLORLAB_REQUIRE_BROWSER   1: a missing Chromium or playwright fails the test instead of
                             skipping it (make browser-test sets it)
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("COLORLAB_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("COLORLAB_SCREENSHOTS", ROOT / "build" / "browser-screenshots"))
# GUIDE §6: the flags known to work here (no --user-data-dir: playwright makes its own profile)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
SERVER_START_S = 240        # the machine has 2 busy cores: JupyterLab may take a minute to answer
SERVER_STOP_S = 30


def _missing(reason: str):
    """Skip (or, under make browser-test, fail) with a plain reason."""
    if os.environ.get("COLORLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _missing(f"Chromium not found at {CHROMIUM}: run make browser-test to install it")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing(f"playwright (Python) is not installed in {sys.prefix}: "
                 f"run make browser-test to install it")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    """Headless Chromium through playwright, closed at the end of the session."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


# --- the JupyterLab server ------------------------------------------------------------------------
@dataclass
class Lab:
    url: str            # http://127.0.0.1:PORT
    token: str
    notebooks: Path     # the server's root folder: write notebooks here
    log: Path           # the server's stdout and stderr
    pid: int

    def open_url(self, name: str, workspace: str) -> str:
        """The notebook ``name`` alone in a fresh JupyterLab workspace (no tabs restored)."""
        return f"{self.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={self.token}"

    def shut_down(self, name: str):
        """Shut down the kernel(s) of the notebook ``name`` (its sessions)."""
        for s in self.api("sessions"):
            if s.get("path") == name:
                self.api(f"sessions/{s['id']}", method="DELETE")

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(folder: Path):
    """User settings: never ask about, fetch or check for news (the course machines are offline)."""
    path = folder / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


def _stop(lab: Lab, proc: subprocess.Popen):
    """Shut the kernels down through the server, then stop the server by its PID."""
    if proc.poll() is None:
        try:
            for k in lab.api("kernels"):
                lab.api(f"kernels/{k['id']}", method="DELETE")
        except (OSError, ValueError, urllib.error.URLError):
            pass                 # the server shuts its kernels down on SIGTERM anyway
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(SERVER_STOP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(SERVER_STOP_S)
    try:                         # anything left in the server's own process group
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture(scope="session")
def lab(chromium_path, tmp_path_factory):
    """JupyterLab on 127.0.0.1, a free port and a random token; stopped by its PID afterwards."""
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed: run make install-dev")
    base = tmp_path_factory.mktemp("jupyterlab")
    dirs = {k: base / k.lower() for k in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR",
                                          "JUPYTER_DATA_DIR", "JUPYTERLAB_WORKSPACES_DIR",
                                          "JUPYTERLAB_SETTINGS_DIR")}
    for d in dirs.values():
        d.mkdir()
    _settings(dirs["JUPYTERLAB_SETTINGS_DIR"])
    notebooks = base / "notebooks"
    notebooks.mkdir()
    env = {**os.environ, **{k: str(v) for k, v in dirs.items()}, "OMP_WAIT_POLICY": "PASSIVE",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           f"--ServerApp.root_dir={notebooks}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = base / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True, cwd=notebooks)
    server = Lab(f"http://127.0.0.1:{port}", token, notebooks, log, proc.pid)
    try:
        t0 = time.monotonic()
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {proc.returncode} before answering; "
                            f"its log ({log}):\n{server.log_tail()}", pytrace=False)
            try:
                server.api("status")
                break
            except (OSError, ValueError, urllib.error.URLError):
                pass
            if time.monotonic() - t0 > SERVER_START_S:
                pytest.fail(f"JupyterLab (pid {proc.pid}) did not answer on {server.url} within "
                            f"{SERVER_START_S} s; its log:\n{server.log_tail()}", pytrace=False)
            time.sleep(0.5)
        print(f"\nJupyterLab pid {proc.pid} answered on {server.url} after "
              f"{time.monotonic() - t0:.1f} s")
        yield server
    finally:
        _stop(server, proc)


# --- screenshots ----------------------------------------------------------------------------------
_SAVED: list[Path] = []


class Shots:
    """Saves screenshots as ``<folder>/<case>-<n>-<what>.png``; lists them in the run's summary."""

    def __init__(self, folder: Path, case: str):
        self.folder, self.case, self.n = folder, case, 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{case}-*.png"):
            old.unlink()

    def __call__(self, page, what: str, element=None) -> Path:
        """The page as ``…-<what>.png``; given an element, it alone as ``…-<what>-widget.png``."""
        self.n += 1
        path = self.folder / f"{self.case}-{self.n}-{what}.png"
        page.screenshot(path=str(path))
        _SAVED.append(path)
        if element is not None:
            part = path.with_name(path.stem + "-widget.png")
            element.screenshot(path=str(part))
            _SAVED.append(part)
        return path


@pytest.fixture
def shots(request):
    case = request.node.callspec.id if hasattr(request.node, "callspec") else request.node.name
    return Shots(SCREENSHOTS, case)


def pytest_terminal_summary(terminalreporter):
    if _SAVED:
        terminalreporter.write_sep("-", f"browser screenshots in {SCREENSHOTS}")
        for p in _SAVED:
            terminalreporter.write_line(str(p))
