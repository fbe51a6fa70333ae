"""Ctrl-C in a sweep stops it cleanly: the finished points and their table are kept, one line
says how many points are done and the exact command that resumes, and the exit status is 130."""
import csv

import pytest

from colorlab.__main__ import main
from colorlab.workbook import execute, sweep


def test_ctrl_c_keeps_the_finished_points_and_says_how_to_resume(toy_notebook, tmp_path,
                                                                 monkeypatch, capsys, hang_limit):
    nb, out = toy_notebook(), tmp_path / "out"
    real_run, started = execute.run, []

    def run_then_ctrl_c(*args, **kwargs):
        started.append(args)
        if len(started) == 2:
            raise KeyboardInterrupt
        return real_run(*args, **kwargs)
    monkeypatch.setattr(sweep, "run", run_then_ctrl_c)
    argv = ["sweep", str(nb), "-p", "T", "0.1,0.2,0.3", "--out", str(out)]
    try:
        code = main(argv)
    except KeyboardInterrupt:       # caught here, or it would stop the whole test session
        pytest.fail("Ctrl-C escaped the sweep as a raw traceback")
    assert code == 130
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if line.startswith("colorlab")]  # not the kernel's
    assert "Traceback" not in err and len(said) == 1
    assert "1 of 3 points done" in said[0]
    assert said[0].endswith(f"to resume, run: python -m colorlab sweep {nb} -p T 0.1,0.2,0.3 "
                                f"--out {out}")
    with open(out / "results.csv", newline="") as f:
        assert [(r["T"], r["ok"], r["twice_T"]) for r in csv.DictReader(f)] == [("0.1", "True", "0.2")]
    earlier = sweep.earlier_points(out, nb)
    assert list(earlier) == ["toy[T=0.1]"] and earlier["toy[T=0.1]"].ok   # resuming keeps it
    assert not list(out.glob(".*.ipynb"))                                  # no partial copy
