"""Graded assignments: nbgrader's student versions hold no solutions and fail their checks; the
source notebooks pass them; autograding gives the source full marks and a student copy zero.

What runs, to keep the time small (measured on a shared 2-core machine: 108 s at a load of 2,
about 4 minutes at a load of 7):
- one `generate` of the student versions of every graded notebook (nbgrader, no execution);
- a full round trip with `grade` on 02, 07 and 10: a "teacher" who submits the source notebooks and
  a "blank" student who submits the untouched student versions, each notebook executed by
  nbgrader's autograder in the smoke profile;
- for 05, whose training makes a full run slow even in the smoke profile, the lesson's cells up
  to its training section (everything the exercises use is computed before it) followed by the
  exercise cells, executed once with the source cells and once with the student cells: every
  check passes in the first and fails in the second with the student's NotImplementedError.
"""
import csv
import importlib.util

import nbformat
import pytest

from colorlab import __main__ as cli
from colorlab.workbook import assignments, notebooks, sandbox

pytest.importorskip("nbgrader")

ROUND_TRIP = ["02_backprop_by_hand", "07_hint_networks", "10_priors_and_rebalancing"]
# notebooks checked without their training: the heading of the section where training starts
BEFORE_TRAINING = {"05_colorful_classification": "## 2."}


def solution_lines(source: str) -> list[str]:
    """The non-empty lines between ### BEGIN SOLUTION and ### END SOLUTION."""
    lines, inside = [], False
    for line in source.splitlines():
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def nbgrader_cells(nb, kind: str):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get(kind)]


@pytest.fixture(scope="module")
def students(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    return {p.stem: p for p in assignments.generate(out)}


def test_every_exercise_notebook_is_graded():
    names = [nb.stem for nb in assignments.graded_notebooks()]
    assert {"02_backprop_by_hand", "05_colorful_classification", "07_hint_networks",
            "10_priors_and_rebalancing"} <= set(names)
    exercises = sum(len(assignments.graded_cells(nb)) for nb in assignments.graded_notebooks())
    assert exercises >= 8


def test_student_versions_hold_no_solution_and_no_hidden_test(students):
    assert set(students) == {nb.stem for nb in assignments.graded_notebooks()}
    for nb_path in assignments.graded_notebooks():
        source = notebooks.load_notebook(nb_path)
        student = notebooks.load_notebook(students[nb_path.stem])
        text = "\n".join(c.source for c in student.cells)
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{nb_path.stem}: {marker} left in the student version"
        src_solutions = nbgrader_cells(source, "solution")
        stu_solutions = nbgrader_cells(student, "solution")
        assert len(src_solutions) == len(stu_solutions) > 0
        for src, stu in zip(src_solutions, stu_solutions):
            assert "raise NotImplementedError()" in stu.source
            left = {line.strip() for line in stu.source.splitlines()}
            leaked = [line for line in solution_lines(src.source) if line in left]
            assert not leaked, f"{src.metadata.nbgrader.grade_id}: solution code left: {leaked}"
        for src, stu in zip(nbgrader_cells(source, "grade"), nbgrader_cells(student, "grade")):
            visible = src.source.split("### BEGIN HIDDEN TESTS")[0].rstrip()
            assert stu.source.rstrip() == visible, "the visible checks reach the student unchanged"
            assert stu.metadata.nbgrader.locked and stu.metadata.nbgrader.points > 0
        assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")


def _lesson_before_training(source, heading, exercise_cells):
    """The notebook's cells up to the section ``heading`` (where training starts), then the
    given exercise cells."""
    end = next(i for i, c in enumerate(source.cells)
               if c.cell_type == "markdown" and c.source.startswith(heading))
    nb = nbformat.v4.new_notebook(metadata=source.metadata)
    nb.cells = list(source.cells[:end]) + exercise_cells
    return nb


def _run(nb, folder):
    """Execute in the smoke profile (papermill injects it), going on after a failing cell."""
    import nbclient
    import papermill as pm
    path = folder / "in.ipynb"
    nbformat.write(nb, path)
    pm.execute_notebook(str(path), str(path), parameters={"profile": "smoke", "out_dir": str(folder)},
                        prepare_only=True, progress_bar=False)
    nb = notebooks.load_notebook(path)
    nbclient.NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=600,
                            resources={"metadata": {"path": str(notebooks.NOTEBOOK_DIR)}}).execute()
    return nb


def _errors(nb):
    """{grade_id of a test cell: the name of the error it raised, or None}."""
    return {c.metadata.nbgrader.grade_id: next((o.ename for o in c.outputs if o.output_type == "error"), None)
            for c in nbgrader_cells(nb, "grade")}


@pytest.mark.slow
@pytest.mark.parametrize("name", BEFORE_TRAINING)
def test_checks_pass_with_the_solutions_and_fail_without(name, students, tmp_path):
    source = notebooks.load_notebook(notebooks.find_notebook(name))
    student = notebooks.load_notebook(students[name])
    n_ex = len(nbgrader_cells(source, "grade"))
    first = next(i for i, c in enumerate(source.cells) if c.metadata.get("nbgrader"))
    first_stu = next(i for i, c in enumerate(student.cells) if c.metadata.get("nbgrader"))
    (tmp_path / "src").mkdir()
    (tmp_path / "stu").mkdir()
    done = _run(_lesson_before_training(source, BEFORE_TRAINING[name], source.cells[first:]), tmp_path / "src")
    assert _errors(done) == {gid: None for gid in _errors(done)} and len(_errors(done)) == n_ex
    # the student's exercise cells: each check must fail, and because of the missing answer
    cells = [c for c in student.cells[first_stu:] if c.cell_type == "code"]
    done = _run(_lesson_before_training(source, BEFORE_TRAINING[name], cells), tmp_path / "stu")
    assert _errors(done) == {gid: "NotImplementedError" for gid in _errors(done)} and len(_errors(done)) == n_ex


@pytest.mark.slow
def test_round_trip_full_marks_for_the_source_zero_for_the_student_copy(students, tmp_path):
    subs = tmp_path / "submissions"
    (subs / "teacher").mkdir(parents=True)
    (subs / "blank").mkdir()
    for name in ROUND_TRIP:
        (subs / "teacher" / f"{name}.ipynb").write_bytes(notebooks.find_notebook(name).read_bytes())
        (subs / "blank" / f"{name}.ipynb").write_bytes(students[name].read_bytes())
    out = tmp_path / "grades"
    trusted = ["--no-sandbox"] if sandbox.unavailable() else []      # the teacher's own notebooks
    assert cli.main(["grade", str(subs), "--out", str(out), "--jobs", "2", *trusted]) == 0
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert list(rows[0]) == ["student", "notebook", "score", "max_score", "reason"]
    got = {(r["student"], r["notebook"]): (float(r["score"]), float(r["max_score"])) for r in rows}
    for nb in assignments.graded_notebooks():
        points = sum(c["points"] for c in assignments.graded_cells(nb))
        teacher = points if nb.stem in ROUND_TRIP else 0.0          # a notebook not submitted: 0
        assert got[("teacher", nb.stem)] == (teacher, points), nb.stem
        assert got[("blank", nb.stem)] == (0.0, points), nb.stem
    assert (out / "autograded" / "blank" / "07_hint_networks.ipynb").is_file()


def test_a_misnamed_submission_costs_its_student_alone_with_a_reason(tmp_path, capsys):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    (tmp_path / "subs" / "ann" / "homework.ipynb").write_text("{}")
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "g"), "--no-sandbox"]) == 0
    rows = list(csv.DictReader((tmp_path / "g" / "grades.csv").open()))
    assert {r["student"] for r in rows} == {"ann"} and all(float(r["score"]) == 0 for r in rows)
    assert all("homework.ipynb" in r["reason"] and "02_backprop_by_hand.ipynb" in r["reason"] for r in rows)
    assert cli.main(["grade", str(tmp_path / "none"), "--out", str(tmp_path / "g")]) == 2
    assert "no submissions folder" in capsys.readouterr().err


def test_missing_nbgrader_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "nbgrader" else real(name, *a))
    assert cli.main(["assignments", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install nbgrader" in err
    assert not any(tmp_path.iterdir())
