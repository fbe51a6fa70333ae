"""Graded assignments with nbgrader: the exercises in the notebooks, and their student versions.

The exercises live in the notebooks themselves, at the end of "Questions and exercises" in
02, 05, 07 and 10, marked the way nbgrader expects: a solution cell whose answer sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION``, then a locked test cell with visible asserts
and hidden ones between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, each cell with
``nbgrader`` metadata (grade, grade_id, locked, points, schema_version 3, solution, task). The
source notebooks run top to bottom with the solutions in place, so the tests check them too.

Nothing here strips solutions or scores by hand: nbgrader's own ``generate_assignment`` builds
the student versions and the gradebook in a private course folder, and autograding
(:mod:`colorlab.workbook.grading`) uses nbgrader's own steps (preprocessors) and gradebook.

nbgrader is optional (``pip install nbgrader``, or the ``course`` extra). It creates its
gradebook by running the ``alembic`` command found on ``PATH``; we put this interpreter's own
``bin/`` first on ``PATH`` so that it works without an activated environment.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from colorlab import files
from colorlab.workbook.notebooks import find_notebook, load_notebook, workbook_notebooks

ASSIGNMENT = "colorlab"            # the nbgrader assignment id of the course folder


class AssignmentError(ValueError):
    """Bad input or a failed nbgrader step: the message says which and what to do."""


def graded_cells(notebook) -> list[dict]:
    """The nbgrader metadata of every graded (test) cell of a notebook: grade_id, points."""
    nb = load_notebook(notebook)
    return [c.metadata["nbgrader"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")]


def graded_notebooks() -> list[Path]:
    """The workbook's notebooks that hold graded exercises, in order."""
    return [nb for nb in workbook_notebooks() if graded_cells(nb)]


def require_nbgrader():
    """An AssignmentError saying how to install nbgrader, if it is not installed."""
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
        raise AssignmentError(f"nbgrader {command} failed ({last.replace(str(root), '…')})")


def course(root: Path, notebooks: list[Path]) -> Path:
    """A course folder with ``notebooks`` as the assignment's source, released with nbgrader."""
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for nb in notebooks:
        shutil.copy(nb, source / nb.name)
    _nbgrader("generate_assignment", root)
    return root / "release" / ASSIGNMENT


def generate(out, notebooks=None, force: bool = False) -> list[Path]:
    """Write the student versions of the graded notebooks to ``out``; returns their paths.

    notebooks: names or paths (default: every notebook with graded exercises). nbgrader replaces
    each solution with ``raise NotImplementedError()``, drops the hidden tests and the outputs.
    A file already at a student version's name (maybe a student's worked copy) is refused,
    naming it, unless ``force``.
    """
    require_nbgrader()
    chosen = [find_notebook(n) for n in notebooks] if notebooks else graded_notebooks()
    ungraded = [nb.name for nb in chosen if not graded_cells(nb)]
    if ungraded:
        raise AssignmentError(f"{', '.join(ungraded)} has no graded exercise; "
                              f"graded notebooks: {', '.join(nb.stem for nb in graded_notebooks())}")
    out = Path(out)
    taken = [out / nb.name for nb in chosen if os.path.lexists(out / nb.name)]
    if taken and not force:
        raise AssignmentError(f"{files.printable(taken[0])} exists (a student's worked copy?); "
                              f"give another --out, or add --force to overwrite it")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="colorlab-course-") as tmp:
        release = course(Path(tmp), chosen)
        return [files.atomic_write(out / nb.name, lambda f, nb=nb: f.write((release / nb.name).read_bytes()))
                for nb in chosen]


