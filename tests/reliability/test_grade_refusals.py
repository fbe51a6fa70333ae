"""What grade and assignments refuse, and what a notebook that never ends costs: grade without a
sandbox is refused unless --no-sandbox (saying how to install one); assignments --out does not
overwrite a student's worked copy unless --force; a notebook that runs forever scores 0 with the
time limit as its reason, and its processes end with it."""
import copy
import csv
import subprocess
import sys

import nbformat
import pytest

from colorlab.workbook import notebooks, sandbox
from colorlab.__main__ import main

pytest.importorskip("nbgrader")

NB = "02_backprop_by_hand"


def test_grade_without_a_working_sandbox_is_refused_saying_how_to_install_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "BWRAP", "colorlab-no-such-bwrap")
    monkeypatch.setattr(sandbox, "_checked", {})
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    (tmp_path / "subs" / "ann" / f"{NB}.ipynb").write_bytes(notebooks.find_notebook(NB).read_bytes())
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "apt-get install bubblewrap" in err and "--no-sandbox" in err
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_assignments_does_not_overwrite_a_worked_copy_unless_forced(tmp_path, capsys):
    worked = tmp_path / f"{NB}.ipynb"
    worked.write_text("a student's worked copy")
    assert main(["assignments", "02", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(worked) in err and "--force" in err
    assert worked.read_text() == "a student's worked copy"
    assert main(["assignments", "02", "--out", str(tmp_path), "--force"]) == 0
    assert notebooks.load_notebook(worked).cells


@pytest.mark.skipif(sandbox.not_installed() is not None, reason=f"no sandbox: {sandbox.not_installed()}")
def test_a_notebook_that_never_ends_scores_zero_at_the_time_limit(tmp_path):
    source = notebooks.load_notebook(notebooks.find_notebook(NB))
    nb = copy.deepcopy(source)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    nb.cells = [params, nbformat.v4.new_code_cell("while True:\n    pass")]
    (tmp_path / "subs" / "looper").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "subs" / "looper" / f"{NB}.ipynb")
    done = subprocess.run([sys.executable, "-m", "colorlab", "grade", str(tmp_path / "subs"),
                           "--out", str(tmp_path / "out"), "--timeout", "8"],
                          capture_output=True, text=True, timeout=300)    # fails, never hangs
    assert done.returncode == 0, done.stderr[-2000:]
    row = next(r for r in csv.DictReader((tmp_path / "out" / "grades.csv").open()) if r["notebook"] == NB)
    assert float(row["score"]) == 0 and "time limit" in row["reason"]


@pytest.mark.skipif(sandbox.not_installed() is not None, reason=f"no sandbox: {sandbox.not_installed()}")
def test_an_installed_sandbox_works_wherever_the_clone_lies():
    """bwrap installed and run as root: the sandbox must work, also for an interpreter or a
    package under /tmp (a clone there once hid them under the sandbox's own private /tmp)."""
    assert sandbox.unavailable() is None
