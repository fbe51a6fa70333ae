"""Two sweeps into one folder at once would each rewrite results.csv from what they alone had
read, dropping the other's finished points: the second is refused at once, naming the folder and
the process that holds it; the lock goes with its process, so nothing stale is left behind."""
import subprocess
import sys

import pytest

from colorlab.__main__ import main
from colorlab.workbook import sweep

# another process takes the folder's lock, as a running sweep does, and holds it until killed
HOLD = ("import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, f'colorlab sweep (process {os.getpid()})'.encode())\n"
        "print('locked', flush=True)\n"
        "time.sleep(120)\n")


@pytest.fixture
def other_sweep(tmp_path):
    """A process holding ``tmp_path/out``'s lock: yields it, and ends it (by its PID)."""
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out / ".colorlab-lock")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait(timeout=30)


def no_point_runs(*args, **kwargs):
    pytest.fail("a point ran while another sweep held the folder")


def test_a_second_sweep_into_a_busy_folder_is_refused_naming_the_other(toy_notebook, tmp_path,
                                                                      other_sweep, monkeypatch,
                                                                      hang_limit):
    monkeypatch.setattr(sweep, "run", no_point_runs)
    with pytest.raises(OSError) as e:
        sweep.sweep(toy_notebook(), {"T": [0.1]}, tmp_path / "out", progress=False)
    message = str(e.value)
    assert str(tmp_path / "out") in message and f"process {other_sweep.pid}" in message
    assert not (tmp_path / "out" / "results.csv").exists()


def test_the_cli_says_so_in_one_line(toy_notebook, tmp_path, other_sweep, monkeypatch, capsys,
                                     hang_limit):
    monkeypatch.setattr(sweep, "run", no_point_runs)
    code = main(["sweep", str(toy_notebook()), "-p", "T", "0.1", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "in use by colorlab sweep (process" in err and "another folder" in err


def test_the_lock_ends_with_its_process(toy_notebook, tmp_path, other_sweep, hang_limit):
    other_sweep.kill()
    other_sweep.wait(timeout=30)
    (res,) = sweep.sweep(toy_notebook(), {"T": [0.1]}, tmp_path / "out", progress=False)
    assert res.ok and (tmp_path / "out" / "results.csv").exists()
