"""Graded assignments with nbgrader: student versions of the notebooks, and autograding.

The exercises live in the notebooks themselves, at the end of "Questions and exercises" in
02, 05, 07 and 10, marked the way nbgrader expects: a solution cell whose answer sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION``, then a locked test cell with visible asserts
and hidden ones between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, each cell with
``nbgrader`` metadata (grade, grade_id, locked, points, schema_version 3, solution, task). The
source notebooks run top to bottom with the solutions in place, so the tests check them too.

Nothing here strips solutions by hand: both functions run nbgrader's own apps
(``nbgrader generate_assignment`` and ``nbgrader autograde``) in a temporary course folder:

    COURSE/source/colorlab/NN_name.ipynb              the workbook's graded notebooks
    COURSE/release/colorlab/NN_name.ipynb             → :func:`generate` copies these to ``out``
    COURSE/submitted/<student>/colorlab/NN_name.ipynb ← :func:`grade` copies the submissions here
    COURSE/autograded/<student>/colorlab/…            → executed copies, kept in ``out``

Submissions: one folder per student, holding that student's copies under the notebooks' own
file names, ``SUBMISSIONS/<student>/02_backprop_by_hand.ipynb``. A notebook a student did not
submit scores 0. Autograding executes every submitted notebook from the top, with the profile
(``smoke`` by default) and a private ``out_dir`` injected after its parameters cell by papermill,
as ``colorlab run`` does, so a student's ``profile = "cpu"`` does not make grading slow.

nbgrader is optional (``pip install nbgrader``, or the ``course`` extra). It creates its
gradebook by running the ``alembic`` command found on ``PATH``; we put this interpreter's own
``bin/`` first on ``PATH`` so that it works without an activated environment.
"""
from __future__ import annotations

import csv
import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from colorlab import profiles, runs

ASSIGNMENT = "colorlab"            # the nbgrader assignment id of the course folder
GRADE_PROFILE = "smoke"            # the profile autograding runs the notebooks in by default
CELL_TIMEOUT = 600                 # s, per cell, when autograding executes a notebook


class AssignmentError(ValueError):
    """Bad input or a failed nbgrader step: the message says which and what to do."""


@dataclass
class Score:
    student: str
    notebook: str
    score: float
    max_score: float


def graded_cells(notebook) -> list[dict]:
    """The nbgrader metadata of every graded (test) cell of a notebook: grade_id, points."""
    nb = runs.load_notebook(notebook)
    return [c.metadata["nbgrader"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")]


def graded_notebooks() -> list[Path]:
    """The workbook's notebooks that hold graded exercises, in order."""
    return [nb for nb in runs.workbook_notebooks() if graded_cells(nb)]


def _require_nbgrader():
    if importlib.util.find_spec("nbgrader") is None:
        raise AssignmentError("nbgrader is not installed; install it with "
                              "`python -m pip install nbgrader` (or pip install -e '.[course]')")


def _nbgrader(command: str, root: Path, *options: str, env: dict | None = None) -> None:
    """Run ``python -m nbgrader COMMAND colorlab`` on the course folder ``root``.

    This interpreter's bin/ goes first on PATH: nbgrader runs ``alembic`` from PATH to create its
    gradebook (GUIDE §6). A failure raises AssignmentError with nbgrader's own error line.
    """
    env = {**os.environ, **(env or {})}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    cmd = [sys.executable, "-m", "nbgrader", command, ASSIGNMENT, f"--CourseDirectory.root={root}",
           "--force", *options]
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    log = (done.stdout + done.stderr).splitlines()
    errors = [line for line in log if "ERROR" in line or "Error" in line]
    if done.returncode != 0:
        last = (errors or log or ["no output"])[-1].strip()
        raise AssignmentError(f"nbgrader {command} failed ({last}); course folder: {root}")


def _course(root: Path, notebooks: list[Path]) -> Path:
    """A course folder with ``notebooks`` as the assignment's source, released with nbgrader."""
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for nb in notebooks:
        shutil.copy(nb, source / nb.name)
    _nbgrader("generate_assignment", root)
    return root / "release" / ASSIGNMENT


def generate(out, notebooks=None) -> list[Path]:
    """Write the student versions of the graded notebooks to ``out``; returns their paths.

    notebooks: names or paths (default: every notebook with graded exercises). nbgrader replaces
    each solution with ``raise NotImplementedError()``, drops the hidden tests and the outputs.
    """
    _require_nbgrader()
    chosen = [runs.find_notebook(n) for n in notebooks] if notebooks else graded_notebooks()
    ungraded = [nb.name for nb in chosen if not graded_cells(nb)]
    if ungraded:
        raise AssignmentError(f"{', '.join(ungraded)} has no graded exercise; "
                              f"graded notebooks: {', '.join(nb.stem for nb in graded_notebooks())}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="colorlab-course-") as tmp:
        release = _course(Path(tmp), chosen)
        return [Path(shutil.copy(release / nb.name, out / nb.name)) for nb in chosen]


def submissions(folder) -> dict[str, list[Path]]:
    """``{student: [notebook files]}`` from SUBMISSIONS/<student>/<NN_name>.ipynb.

    A file whose name is not one of the graded notebooks' is refused, naming it and the names
    expected (a renamed copy would otherwise score 0 without a word).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no submissions folder {folder}; give a folder with one "
                                f"sub-folder per student")
    expected = {nb.name for nb in graded_notebooks()}
    found = {}
    for student in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(student.glob("*.ipynb"))
        unknown = [f for f in files if f.name not in expected]
        if unknown:
            raise AssignmentError(f"{unknown[0]} is not a graded notebook's name; "
                                  f"name a submission as one of: {', '.join(sorted(expected))}")
        for f in files:
            runs.load_notebook(f)      # a file that is not a notebook: refused, naming it
        if files:
            found[student.name] = files
    if not found:
        raise AssignmentError(f"no submitted notebooks in {folder}; put them in "
                              f"{folder}/<student>/<NN_name>.ipynb")
    return found


def _inject(submitted: Path, target: Path, profile: str, out_dir: Path) -> None:
    """Copy a submission, with ``profile`` and ``out_dir`` injected after its parameters cell."""
    import papermill as pm
    declared = runs.parameters(submitted)
    params = {k: v for k, v in {"profile": profile, "out_dir": str(out_dir)}.items() if k in declared}
    quiet = logging.getLogger("papermill.translators")    # it warns about comments it cannot parse
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        pm.execute_notebook(str(submitted), str(target), parameters=params, prepare_only=True,
                            progress_bar=False, log_output=False)
    finally:
        quiet.setLevel(level)


def grade(submitted, out, profile: str = GRADE_PROFILE) -> list[Score]:
    """Autograde SUBMISSIONS/<student>/<NN_name>.ipynb with nbgrader; write ``out``/grades.csv.

    Every submission runs from the top in ``profile`` (injected, see the module docstring). The
    executed copies, with nbgrader's marks, go to ``out``/autograded/<student>/. Returns one
    Score per student and graded notebook (0 for a notebook not submitted).
    """
    _require_nbgrader()
    profile = profiles.resolve_name(profile)
    found = submissions(submitted)
    notebooks = graded_notebooks()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="colorlab-course-") as tmp:
        root = Path(tmp)
        _course(root, notebooks)
        for student, files in found.items():
            target = root / "submitted" / student / ASSIGNMENT
            target.mkdir(parents=True)
            for f in files:
                _inject(f, target / f.name, profile, root / "runs" / student)
        _nbgrader("autograde", root, f"--Execute.timeout={CELL_TIMEOUT}",
                  env={"COLORLAB_PROFILE": profile})
        scores = _read_scores(root, found, notebooks)
        for student in found:
            shutil.copytree(root / "autograded" / student / ASSIGNMENT,
                            out / "autograded" / student, dirs_exist_ok=True)
    write_csv(scores, out / "grades.csv")
    return scores


def _read_scores(root: Path, students, notebooks: list[Path]) -> list[Score]:
    from nbgrader.api import Gradebook, MissingEntry
    scores = []
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student in students:
            for nb in notebooks:
                try:
                    s = gb.find_submission_notebook(nb.stem, ASSIGNMENT, student)
                    scores.append(Score(student, nb.stem, float(s.score), float(s.max_score)))
                except MissingEntry:
                    points = sum(float(c["points"]) for c in graded_cells(nb))
                    scores.append(Score(student, nb.stem, 0.0, points))
    return scores


def write_csv(scores: list[Score], path) -> Path:
    """grades.csv: one row per student and notebook — student, notebook, score, max_score."""
    path = Path(path)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "notebook", "score", "max_score"])
        for s in scores:
            w.writerow([s.student, s.notebook, f"{s.score:g}", f"{s.max_score:g}"])
    return path

