"""Autograding submitted notebooks with nbgrader, each in a sandbox of its own.

Grading runs code we must not trust, so it is split in three, one submitted notebook at a time:

1. the grader prepares it: reads the submission, injects the profile (``smoke`` by default) and
   a private ``out_dir`` after its parameters cell as ``colorlab run`` does, and lets nbgrader
   restore the instructor's test cells (with the hidden tests) from the gradebook;
2. that notebook alone runs from the top in a sandbox of its own (:mod:`colorlab.workbook.sandbox`),
   which sees that one copy and nothing of the other students or of the instructor;
3. the grader, outside, takes only the cells' outputs from the executed copy (every source and
   metadata comes from its own prepared copy), lets nbgrader score them into the gradebook and
   writes ``OUT/grades.csv``, ``OUT/gradebook.db`` and ``OUT/autograded/<student>/`` (atomically,
   never through a symlink).

A submission that fails in any way (not a notebook, a broken parameters cell, a renamed or
duplicated graded cell, a kernel that dies, a timeout) scores 0 for that notebook with the
reason in ``grades.csv``; every other notebook and student is graded. Submissions: one folder
per student, ``SUBMISSIONS/<student>/02_backprop_by_hand.ipynb``; every folder is listed.
"""
from __future__ import annotations

import copy
import csv
import io
import logging
import os
import stat
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from colorlab import data, files, profiles
from colorlab.workbook import sandbox
from colorlab.workbook.assignments import (ASSIGNMENT, AssignmentError, course, graded_cells,
                                           graded_notebooks, require_nbgrader)
from colorlab.workbook.notebooks import load_notebook, parameters

GRADE_PROFILE = "smoke"            # the profile autograding runs the notebooks in by default
CELL_TIMEOUT = 600                 # s, per cell, when autograding executes a notebook
NOTEBOOK_TIMEOUT = 1800            # s, one submitted notebook from the top, in its sandbox
MAX_NOTEBOOK_BYTES = 64 << 20      # a submitted or executed notebook larger than this is refused
MAX_REASON = 200                   # characters of a reason kept in grades.csv
CSV_COLUMNS = ["student", "notebook", "score", "max_score", "reason"]


@dataclass
class Score:
    """What one student scored on one graded notebook, out of how many points, and why not more."""
    student: str
    notebook: str
    score: float
    max_score: float
    reason: str = ""               # why a notebook scored less than it ran for, or ""


# --- grading: the submissions ------------------------------------------------------------------

def submissions(folder) -> dict[str, list[Path]]:
    """``{student: [files]}``: every sub-folder of SUBMISSIONS, empty and hidden ones included.

    :func:`grade` lists each of them: a hidden or empty folder, a file that is not a graded
    notebook's name or not a notebook costs that student alone (0 and a reason).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no submissions folder {folder}; give a folder with one "
                                f"sub-folder per student")
    found = {p.name: sorted(f for f in p.iterdir() if not f.name.startswith("."))
             for p in sorted(folder.iterdir()) if p.is_dir()}
    if not found:
        raise AssignmentError(f"no student folders in {folder}; put the notebooks in "
                              f"{folder}/<student>/<NN_name>.ipynb")
    return found


def _student_problem(student: str, submitted: list[Path]) -> str:
    """Why nothing of this student's folder is graded, or ""."""
    if student.startswith("."):
        return "a hidden folder (its name starts with '.'): rename it to grade it"
    if not submitted:
        return "an empty folder: nothing submitted"
    return ""


def _not_submitted(submitted: list[Path]) -> str:
    """The reason for a graded notebook missing from a student's folder."""
    expected = {nb.name for nb in graded_notebooks()}
    unknown = [f.name for f in submitted if f.name not in expected]
    if unknown:
        return (f"not submitted ({unknown[0]} is not a graded notebook's name; name a "
                f"submission as one of: {', '.join(sorted(expected))})")
    return "not submitted"


def _read_notebook(path) -> nbformat.NotebookNode:
    """The notebook in the plain file ``path``, read without following a symlink (a FIFO or a
    link to /dev/zero in its place would hang the grader); a ValueError says what is wrong."""
    name = files.printable(Path(path).name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ValueError(f"{name} is missing") from None
    except OSError as exc:
        raise ValueError(f"{name} cannot be read ({exc.strerror}; a symlink?)") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{name} is not a plain file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"{name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
        text = f.read(MAX_NOTEBOOK_BYTES + 1)
    try:
        return nbformat.reads(text.decode("utf-8"), as_version=4)
    except Exception as exc:    # nbformat raises many kinds for a broken file (JSON, schema, types)
        raise ValueError(f"{name} is not a readable notebook ({type(exc).__name__})") from None


def _nbgrader_ids(nb) -> list:
    """The grade_id of every cell with nbgrader metadata, in order (repeats kept)."""
    return [c.metadata["nbgrader"].get("grade_id") for c in nb.cells
            if isinstance(c.get("metadata", {}).get("nbgrader"), dict)]


def _cells_problem(nb, source: Path) -> str:
    """Why the nbgrader cells of a submission do not match the instructor's, or ""."""
    ids, expected = _nbgrader_ids(nb), set(_nbgrader_ids(load_notebook(source)))
    for gid in ids:
        if gid not in expected:
            return f"cell {gid!r} is not one of the instructor's graded cells (renamed?)"
        if ids.count(gid) > 1:
            return f"graded cell {gid!r} appears {ids.count(gid)} times (a copied cell?)"
    return ""


def _inject(submitted: Path, target: Path, profile: str, out_dir) -> None:
    """Copy a submission, with ``profile`` and ``out_dir`` injected after its parameters cell."""
    import papermill as pm
    declared = parameters(submitted)
    params = {k: v for k, v in {"profile": profile, "out_dir": str(out_dir)}.items() if k in declared}
    quiet = logging.getLogger("papermill.translators")    # it warns about comments it cannot parse
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        pm.execute_notebook(str(submitted), str(target), parameters=params, prepare_only=True,
                            progress_bar=False, log_output=False)
    finally:
        quiet.setLevel(level)


# --- grading: one submitted notebook, prepared, executed in its sandbox, scored ----------------

# nbgrader's own autograding steps (nbgrader.converters.Autograde) before and after execution
SANITIZE = ["ClearOutput", "DeduplicateIds", "OverwriteKernelspec", "OverwriteCells", "CheckCellMetadata"]
AFTER_EXECUTION = ["LimitOutput", "SaveAutoGrades", "CheckCellMetadata"]
EXECUTED = "executed"              # the executed copy's name (.ipynb) in the sandbox's folder


@dataclass
class Job:
    """One graded notebook of one student, through :func:`_prepare`, :func:`_execute`, :func:`_score`."""
    student: str
    source: Path                   # the instructor's notebook it answers
    folder: Path                   # private; the sandbox's one writable folder
    uid: int                       # the sandbox's user id
    course: Path                   # the private course folder holding the gradebook
    submitted: Path | None = None
    prepared: nbformat.NotebookNode | None = field(default=None, repr=False)
    reason: str = ""               # why it scores 0, once something failed

    @property
    def resources(self) -> dict:
        return {"nbgrader": {"notebook": self.source.stem, "assignment": ASSIGNMENT,
                             "student": self.student, "db_url": f"sqlite:///{self.course / 'gradebook.db'}"}}


def _nbgrader_steps(nb, steps: list[str], resources: dict):
    """Apply nbgrader's preprocessors ``steps`` (names) to ``nb``, quietly; returns the notebook."""
    from nbgrader import preprocessors
    quiet = logging.getLogger("colorlab.grade.nbgrader")
    quiet.setLevel(logging.ERROR)
    for name in steps:
        nb, resources = getattr(preprocessors, name)(log=quiet).preprocess(nb, copy.deepcopy(resources))
    return nb


def _prepare(job: Job, profile: str, inside: str) -> None:
    """The submission, checked, with the profile and out_dir injected and nbgrader's test cells
    restored (hidden tests included), as ``job.folder/<NN_name>.ipynb`` and ``job.prepared``."""
    nb = _read_notebook(job.submitted)
    problem = _cells_problem(nb, job.source)
    if problem:
        raise ValueError(problem)
    copy_path = job.folder / job.source.name
    nbformat.write(nb, copy_path)
    try:
        _inject(copy_path, copy_path, profile, f"{inside}/out")
    except SyntaxError as exc:
        raise ValueError(f"its parameters cell is not valid Python ({exc.msg}, line {exc.lineno})") from None
    nb = _nbgrader_steps(load_notebook(copy_path), SANITIZE, job.resources)
    nbformat.write(nb, copy_path)
    copy_path.chmod(0o644)           # readable by the sandbox's user, whatever our umask
    job.prepared = nb


def _execute(job: Job, env: dict, limits: sandbox.Limits, isolated: bool, log: Path) -> None:
    """Run the prepared notebook from the top in its sandbox (nbconvert, going on after errors)."""
    inside = sandbox.WORKDIR if isolated else str(job.folder)
    command = [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
               f"--ExecutePreprocessor.timeout={CELL_TIMEOUT}", "--output", EXECUTED,
               "--output-dir", inside, f"{inside}/{job.source.name}"]
    try:
        status = sandbox.run(command, job.folder, job.uid, env, log, limits,
                             extra=[data.DATA_DIR], isolated=isolated)
    except subprocess.TimeoutExpired:
        raise ValueError(f"did not finish within {limits.wall_s:g} s (the time limit)") from None
    if status != 0:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        raise ValueError(f"stopped with status {status} ({lines[-1].strip() if lines else 'no output'})")


def _with_outputs(prepared, executed):
    """A copy of the prepared notebook holding the executed copy's outputs. Only outputs come
    from inside the sandbox: a cell whose source changed there is refused (ValueError)."""
    if len(executed.cells) != len(prepared.cells):
        raise ValueError("its cells changed while it ran")
    graded = copy.deepcopy(prepared)
    for i, (mine, theirs) in enumerate(zip(graded.cells, executed.cells), start=1):
        if theirs.get("cell_type") != mine.cell_type or theirs.get("source") != mine.source:
            raise ValueError(f"cell {i} changed while it ran")
        if mine.cell_type == "code":
            mine.outputs = theirs.get("outputs", [])
            mine.execution_count = theirs.get("execution_count")
    nbformat.validate(graded)
    return graded


def _score(job: Job, graded_dir: Path) -> None:
    """nbgrader scores the executed outputs into the gradebook; the graded copy goes to ``graded_dir``."""
    graded = _with_outputs(job.prepared, _read_notebook(job.folder / f"{EXECUTED}.ipynb"))
    graded = _nbgrader_steps(graded, AFTER_EXECUTION, job.resources)
    files.atomic_write_text(graded_dir / job.source.name, nbformat.writes(graded))


def _reason(exc: BaseException, job: Job) -> str:
    """One line for grades.csv: what went wrong, with no temporary path in it."""
    text = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
    if not isinstance(exc, ValueError):      # ours say what is wrong; others need their kind
        text = f"{type(exc).__name__}: {text}"
    text = text.replace(str(job.folder / job.source.name), f"{job.student}/{job.source.name}")
    text = text.replace(str(job.course.parent), "…")
    return text[:MAX_REASON]


def _zero(job: Job) -> None:
    """Record 0 for every graded cell of a notebook that could not be graded (as nbgrader does
    for a notebook not submitted)."""
    from nbgrader.api import Gradebook
    with Gradebook(job.resources["nbgrader"]["db_url"]) as gb:
        for grade in gb.find_submission_notebook(job.source.stem, ASSIGNMENT, job.student).grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        gb.db.commit()


# --- grading: the class --------------------------------------------------------------------------

def _refuse_unsafe(submitted: Path, out: Path, isolated: bool) -> None:
    """No sandbox, or a sandbox that would show the submissions or --out: refused, saying why."""
    if isolated and (why := sandbox.unavailable()):
        raise AssignmentError(f"no sandbox to run the submissions in: {why}; or add --no-sandbox "
                              f"to run every submission with your own rights and files, at your risk")
    if out.resolve() == submitted.resolve() or submitted.resolve() in out.resolve().parents:
        raise AssignmentError(f"--out {files.printable(out)} lies inside the submissions folder; "
                              f"give a folder outside it")
    for folder, what in ((submitted, "the submissions folder"), (out, "--out")):
        seen = isolated and sandbox.exposed(folder, extra=[data.DATA_DIR])
        if seen:
            raise AssignmentError(f"{what} {files.printable(folder)} overlaps {seen}, which every "
                                  f"sandbox can read; move it elsewhere")


def grade(submitted, out, profile: str = GRADE_PROFILE, isolated: bool = True, jobs: int = 1,
          timeout: float = NOTEBOOK_TIMEOUT) -> list[Score]:
    """Autograde SUBMISSIONS/<student>/<NN_name>.ipynb, each in a sandbox of its own; write
    ``out``/grades.csv, ``out``/gradebook.db and ``out``/autograded/<student>/<NN_name>.ipynb.

    ``jobs`` notebooks run at once; each may run ``timeout`` seconds. ``isolated=False`` runs
    them without a sandbox (``--no-sandbox``). Returns one Score per student and graded
    notebook, with a reason wherever a notebook could not be graded.
    """
    require_nbgrader()
    profile = profiles.resolve_name(profile)
    submitted, out = Path(submitted), Path(out)
    found = submissions(submitted)
    _refuse_unsafe(submitted, out, isolated)
    notebooks = graded_notebooks()
    limits = sandbox.Limits(wall_s=timeout)
    env = sandbox.environment({"COLORLAB_PROFILE": profile, "NBGRADER_EXECUTION": "autograde"})
    with tempfile.TemporaryDirectory(prefix="colorlab-grade-") as tmp:
        root = Path(tmp)
        all_jobs = _jobs(root, found, notebooks)
        needed = [nb for nb in notebooks if any(j.submitted and j.source == nb for j in all_jobs)]
        course(root / "course", needed or notebooks)
        _register(root, found)
        for job in (j for j in all_jobs if j.submitted and not j.reason):
            _attempt(job, _prepare, profile, sandbox.WORKDIR if isolated else str(job.folder))
        runnable = [j for j in all_jobs if j.prepared is not None and not j.reason]
        out.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max(1, jobs)) as pool:
            running = {pool.submit(_attempt, j, _execute, env, limits, isolated,
                                   root / "logs" / f"{i}.log"): j for i, j in enumerate(runnable)}
            for done in as_completed(running):
                job = running[done]
                if not job.reason:
                    _attempt(job, _score, _graded_dir(out, job.student))
        scores = _scores(root, all_jobs)
        db = (root / "course" / "gradebook.db").read_bytes()
    files.atomic_write(out / "gradebook.db", lambda f: f.write(db))
    write_csv(scores, out / "grades.csv")
    return scores


def _jobs(root: Path, found: dict[str, list[Path]], notebooks: list[Path]) -> list[Job]:
    """One Job per student and graded notebook, each with a private folder of its own."""
    (root / "logs").mkdir()
    all_jobs = []
    for i, (student, submitted) in enumerate(found.items()):
        problem = _student_problem(student, submitted)
        for nb in notebooks:
            folder = root / "course" / "students" / str(i) / nb.stem
            folder.mkdir(parents=True)
            job = Job(student, nb, folder, uid=sandbox.UID_BASE + 1 + i, course=root / "course")
            job.submitted = next((f for f in submitted if f.name == nb.name), None)
            job.reason = problem or ("" if job.submitted else _not_submitted(submitted))
            all_jobs.append(job)
    return all_jobs


def _register(root: Path, found) -> None:
    """Every student and a submission of the assignment in the gradebook (nbgrader's API)."""
    import warnings
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning
    with Gradebook(f"sqlite:///{root / 'course' / 'gradebook.db'}") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)     # nbgrader's own, harmless: it adds the rows
        for student in found:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(ASSIGNMENT, student)


def _attempt(job: Job, step, *args) -> None:
    """``step(job, *args)``; any failure becomes the job's reason: it costs that notebook alone."""
    try:
        step(job, *args)
    except Exception as exc:    # a hostile notebook can make any step fail in any way
        job.reason = _reason(exc, job)


def _graded_dir(out: Path, student: str) -> Path:
    """``out``/autograded/<student>/, made a real folder (a symlink there is removed)."""
    folder = out / "autograded" / student
    if folder.is_symlink():
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _scores(root: Path, all_jobs: list[Job]) -> list[Score]:
    """The gradebook's score of every job (0 with its reason for those that failed)."""
    from nbgrader.api import Gradebook, MissingEntry
    graded = {nb.stem for nb in all_jobs[0].course.glob("source/*/*.ipynb")}
    for job in all_jobs:
        if job.reason and job.source.stem in graded:
            _zero(job)
    scores = []
    with Gradebook(f"sqlite:///{root / 'course' / 'gradebook.db'}") as gb:
        for job in all_jobs:
            points = float(sum(c["points"] for c in graded_cells(job.source)))
            try:
                s = gb.find_submission_notebook(job.source.stem, ASSIGNMENT, job.student)
                scores.append(Score(job.student, job.source.stem, float(s.score), points, job.reason))
            except MissingEntry:      # a notebook nobody submitted is not in the gradebook
                scores.append(Score(job.student, job.source.stem, 0.0, points, job.reason))
    return scores


def write_csv(scores: list[Score], path) -> Path:
    """grades.csv: one row per student and notebook — student, notebook, score, max_score, reason."""
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow(CSV_COLUMNS)
    for s in scores:
        w.writerow([s.student, s.notebook, f"{s.score:g}", f"{s.max_score:g}", s.reason])
    return files.atomic_write_text(path, text.getvalue())
