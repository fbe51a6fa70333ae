"""Grading a class with hostile students: each submission runs in a sandbox of its own, so the
honest student keeps full marks and its files, every hostile one costs only itself (its score and
a reason in grades.csv), and nothing outside a student's own copy changes.

The class is graded once (module fixture, ``python -m colorlab grade --jobs 2`` in a process of
its own with a secret in its environment and a time limit, so a bug that comes back fails the
tests instead of hanging them). Hostile notebooks are short: the parameters cell, then the attack;
the code records what it managed to see in its own output, which the tests read in the graded copy.
"""
import copy
import csv
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from colorlab.workbook import assignments, notebooks, sandbox

pytest.importorskip("nbgrader")
# Skipped only where no sandbox can be had (no bwrap, not root); a bwrap that is installed but
# fails (say, the clone lies under the sandbox's private /tmp) makes these tests fail, not skip.
pytestmark = pytest.mark.skipif(sandbox.not_installed() is not None,
                                reason=f"no sandbox: {sandbox.not_installed()}")

NB = "02_backprop_by_hand"
SECRET_NAME = "COLORLAB_TEST_SECRET"
LINGER_TOKEN = "colorlab-lingering-process"
GRADE_LIMIT = 420          # s: the whole class, far above the ~1 min it takes, far below a hang

READER = '''
import glob, json, os
SUBS, OUT, SOURCE, NOTES = {subs!r}, {out!r}, {source!r}, {notes!r}
seen = {{}}
def probe(name, fn):
    try:
        seen[name] = str(fn())[:200]
    except Exception as exc:
        seen[name] = "ERROR " + type(exc).__name__
def processes():
    text = []
    for d in glob.glob("/proc/[0-9]*"):
        for f in ("cmdline", "environ"):
            try:
                text.append(open(d + "/" + f, "rb").read().replace(b"\\0", b" ").decode(errors="replace"))
            except Exception:
                pass
    return " ".join(text)
probe("other student", lambda: open(SUBS + "/honest/{nb}.ipynb").read())
probe("submissions", lambda: os.listdir(SUBS))
probe("instructor source", lambda: open(SOURCE).read())
probe("instructor notes", lambda: open(NOTES).read())
probe("out", lambda: os.listdir(OUT))
probe("secret", lambda: os.environ["{secret}"])
probe("proc shows the secret", lambda: "{secret}" in processes())
probe("proc shows the paths", lambda: SUBS in processes() or OUT in processes())
print("PROBE " + json.dumps(seen))
'''

WRITER = '''
import glob, os, sqlite3
SUBS, OUT, INSTRUCTOR = {subs!r}, {out!r}, {instructor!r}
def zero_every_gradebook():
    roots = [OUT]
    for d in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            roots += [a.split("=", 1)[1] for a in open(d, "rb").read().decode().split("\\0")
                      if a.startswith("--CourseDirectory.root=")]
        except Exception:
            pass
    for root in roots:
        if os.path.exists(root + "/gradebook.db"):
            db = sqlite3.connect(root + "/gradebook.db")
            db.execute("UPDATE grade SET auto_score = 0")
            db.commit()
for fn in (lambda: open(INSTRUCTOR + "/planted.txt", "w").write("x"),
           lambda: open(SUBS + "/honest/planted.txt", "w").write("x"),
           lambda: os.remove(SUBS + "/honest/{nb}.ipynb"),
           lambda: open(OUT + "/grades.csv", "w").write("honest,{nb},0,7\\n"),
           zero_every_gradebook):
    try:
        fn()
    except Exception:
        pass
'''

LINGERER = '''
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{token}"], start_new_session=True)
'''


def tiny(source, code: str):
    """A short notebook: the source's parameters cell, then ``code``."""
    nb = copy.deepcopy(source)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    return nb


def graded_cell_indices(source):
    return [i for i, c in enumerate(source.cells) if c.metadata.get("nbgrader", {}).get("grade")]


def class_of_02(subs: Path, out: Path, instructor: Path) -> dict:
    """Write the class into ``subs``; returns {student: what its notebook does}."""
    source = notebooks.load_notebook(notebooks.find_notebook(NB))
    paths = dict(subs=str(subs), out=str(out), source=str(notebooks.find_notebook(NB)),
                 notes=str(instructor / "notes.txt"), instructor=str(instructor), nb=NB,
                 secret=SECRET_NAME, token=LINGER_TOKEN)
    renamed, copied = copy.deepcopy(source), copy.deepcopy(source)
    first_test = graded_cell_indices(source)[0]
    renamed.cells[first_test].metadata.nbgrader.grade_id = "my_own_tests"
    copied.cells.insert(first_test, copy.deepcopy(source.cells[first_test]))
    copied.cells[first_test].id = "a-copied-test-cell"
    broken = copy.deepcopy(source)
    next(c for c in broken.cells if "parameters" in c.metadata.get("tags", [])).source += "\nseed = (\n"
    by_student = {"honest": source, "reader": tiny(source, READER.format(**paths)),
                 "writer": tiny(source, WRITER.format(**paths)),
                 "killer": tiny(source, "import os\nos._exit(1)"),
                 "lingerer": tiny(source, LINGERER.format(**paths)),
                 "renamer": renamed, "copier": copied, "syntax": broken, ".hidden": source}
    for student, nb in by_student.items():
        (subs / student).mkdir(parents=True)
        nbformat.write(nb, subs / student / f"{NB}.ipynb")
    (subs / "garbage").mkdir()
    (subs / "garbage" / f"{NB}.ipynb").write_text("this is not a notebook")
    (subs / "empty").mkdir()
    return by_student


def hashes(*folders) -> dict:
    """{path: sha256} of every file under ``folders`` (symlinks by their target's name)."""
    found = {}
    for folder in folders:
        for p in sorted(Path(folder).rglob("*")):
            if p.is_symlink():
                found[str(p)] = "link to " + os.readlink(p)
            elif p.is_file():
                found[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return found


def lingering() -> list[str]:
    """The processes left by the lingering student, by the token in their command line."""
    alive = []
    for d in Path("/proc").glob("[0-9]*"):
        try:
            if LINGER_TOKEN.encode() in (d / "cmdline").read_bytes():
                alive.append(d.name)
        except OSError:
            pass
    return alive


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded once: its grades, the graded copies and what changed around it."""
    tmp = tmp_path_factory.mktemp("class")
    subs, out, instructor = tmp / "submissions", tmp / "grades", tmp / "instructor"
    instructor.mkdir()
    (instructor / "notes.txt").write_text("the instructor's own notes")
    out.mkdir()
    (out / "grades.csv").symlink_to(instructor / "notes.txt")     # planted before grading
    class_of_02(subs, out, instructor)
    before = hashes(subs, instructor, notebooks.find_notebook(NB).parent)
    env = {**os.environ, SECRET_NAME: "the grader's secret"}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "colorlab", "grade", str(subs), "--out", str(out),
                           "--jobs", "2"], env=env, capture_output=True, text=True, timeout=GRADE_LIMIT)
    seconds = time.monotonic() - start
    alive = lingering()
    for pid in alive:                     # a process the old code left behind: end it
        os.kill(int(pid), 9)
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())
            if r["notebook"] == NB} if (out / "grades.csv").is_file() else {}
    return dict(done=done, rows=rows, out=out, subs=subs, instructor=instructor, before=before,
                after=hashes(subs, instructor, notebooks.find_notebook(NB).parent), alive=alive,
                seconds=seconds)


def graded_copy(graded, student):
    return notebooks.load_notebook(graded["out"] / "autograded" / student / f"{NB}.ipynb")


def test_grading_finishes_and_lists_every_student_folder(graded):
    assert graded["done"].returncode == 0, graded["done"].stderr[-2000:]
    assert set(graded["rows"]) == {"honest", "reader", "writer", "killer", "lingerer", "renamer",
                                   "copier", "syntax", ".hidden", "garbage", "empty"}


def test_the_honest_student_keeps_full_marks(graded):
    points = sum(c["points"] for c in assignments.graded_cells(notebooks.find_notebook(NB)))
    honest = graded["rows"]["honest"]
    assert (float(honest["score"]), float(honest["max_score"]), honest["reason"]) == (points, points, "")
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{graded['out'] / 'gradebook.db'}") as gb:
        assert gb.find_submission_notebook(NB, "colorlab", "honest").score == points


def test_nothing_outside_a_students_own_copy_changed(graded):
    """No submission deleted or written, no instructor's file touched (the planted
    out/grades.csv symlink was replaced, not written through)."""
    assert graded["after"] == graded["before"]
    assert not (graded["instructor"] / "planted.txt").exists()
    assert (graded["out"] / "grades.csv").is_file() and not (graded["out"] / "grades.csv").is_symlink()


def test_a_submission_sees_no_other_student_no_instructor_file_and_no_grader_secret(graded):
    text = "".join(o.get("text", "") for c in graded_copy(graded, "reader").cells
                   for o in c.get("outputs", []))
    seen = json.loads(text.split("PROBE ", 1)[1].splitlines()[0])
    for probe in ("other student", "submissions", "instructor source", "instructor notes", "out",
                  "secret"):
        assert seen[probe].startswith("ERROR"), f"{probe} was visible: {seen[probe]}"
    assert seen["proc shows the secret"] == "False" and seen["proc shows the paths"] == "False"


def test_each_hostile_submission_costs_only_itself_with_a_reason(graded):
    rows = graded["rows"]
    expected = {"killer": "Kernel died", "renamer": "renamed", "copier": "appears 2 times",
                "syntax": "not valid Python", "garbage": "not a readable notebook",
                "empty": "empty folder", ".hidden": "hidden folder"}
    for student, words in expected.items():
        assert float(rows[student]["score"]) == 0, student
        assert words in rows[student]["reason"], (student, rows[student]["reason"])
        assert "colorlab-grade-" not in rows[student]["reason"], "a deleted temporary folder named"
    for student in ("reader", "writer", "lingerer"):       # ran, with no answer: 0, no error
        assert float(rows[student]["score"]) == 0 and rows[student]["reason"] == "", student


def test_a_process_left_behind_neither_holds_grade_nor_outlives_it(graded):
    assert graded["seconds"] < GRADE_LIMIT
    assert graded["alive"] == [], "the lingering student's process survived grading"
