"""Running notebooks with papermill, and the results they record.

Inside a notebook, ``runs.record("psnr/zhang", 24.1)`` shows the value and stores it in the
notebook's outputs under a colorlab MIME type, so that the executed ``.ipynb`` file itself is the
record. Outside, ``runs.read(path)`` collects those values back.

``run`` executes one notebook with parameters (and writes it as an HTML page too), ``sweep`` a
grid of parameters (one executed copy per point, a ``results.csv``, a Markdown table and one plot
per swept parameter; a repeated sweep keeps the points that already ran), and ``workbook`` every
notebook of the sequence into a fresh ``runs/<timestamp>-<profile>/`` folder with
``results.json``, ``summary.md`` and an ``index.html`` linking each notebook's page, so the folder
can be published as a static site. A notebook that fails keeps its executed copy
(with the error in it) and does not stop the others. A notebook's ``out_dir`` parameter (where it
saves checkpoints) points into the run's folder, so no two runs overwrite each other's weights.
Every file written here goes through a temporary file renamed into place (:mod:`colorlab.files`),
so a full disk or Ctrl-C never leaves half a notebook, page or table; one sweep or workbook at a
time writes into a folder (:func:`folder_lock`).
"""
from __future__ import annotations

import ast
import csv
import errno
import fcntl
import glob
import hashlib
import io
import itertools
import json
import math
import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import nbformat

from colorlab import publish, sweep_plots
from colorlab.files import atomic_write_text, printable, remove_stale_temporaries
from colorlab.profiles import NAMES, resolve_name

MIME = "application/vnd.colorlab.result+json"
NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
MAX_POINTS = 1000     # a sweep's default limit: past it a grid is most likely a typo (1000 × 1000
                      # points), and checking it alone would take minutes; max_points raises it
LOCK_NAME = ".colorlab-lock"   # in a sweep's / workbook's folder while one writes there


class ParameterError(ValueError):
    """A parameter name, type or value that a notebook does not accept."""


# --- recording, inside a notebook ------------------------------------------------------------------

def _plain(value):
    """numpy / torch scalars and arrays → plain JSON values."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# this kernel's recorded values, in the order they were recorded; kept when %autoreload
# re-executes this module (a reload re-runs the module in the same namespace)
_RESULTS: dict = globals().get("_RESULTS", {})


def record(key: str, value):
    """Store ``value`` under ``key`` in this notebook's outputs, and return it.

    value: a number, string, bool, or a list/dict of them (numpy and torch scalars are converted).
    The value goes into the executed notebook as an output with a colorlab MIME type and nothing
    else, so JupyterLab shows nothing for it; ``read(path)`` finds it later. It is also kept in
    this kernel's table: ``results()`` and ``table(prefix)`` show what was recorded.
    """
    from IPython.display import display
    value = _plain(value)
    _RESULTS[key] = value
    display({MIME: {"key": key, "value": value}}, raw=True, metadata={MIME: {"colorlab": "record"}})
    return value


def results(prefix: str = "") -> dict:
    """The values recorded in this kernel so far (``{key: value}``), those starting with ``prefix``."""
    return {k: v for k, v in _RESULTS.items() if k.startswith(prefix)}


class Table:
    """Rows of text shown as a Markdown table in a notebook and as aligned text elsewhere."""

    def __init__(self, header: list[str], rows: list[list], note: str = ""):
        self.header, self.rows, self.note = header, [[_fmt(v) for v in r] for r in rows], note

    def _repr_markdown_(self) -> str:
        md = ["| " + " | ".join(self.header) + " |", "|" + "---|" * len(self.header)]
        md += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(md) + (f"\n\n{self.note}" if self.note else "")

    def __repr__(self) -> str:
        cols = list(zip(self.header, *self.rows))
        widths = [max(len(str(c)) for c in col) for col in cols]
        lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths))
                 for row in [self.header] + self.rows]
        return "\n".join(lines) + (f"\n{self.note}" if self.note else "")


def table(prefix: str = "") -> Table:
    """This kernel's recorded values starting with ``prefix``, as a two-column table."""
    return Table(["key", "value"], [[k, v] for k, v in results(prefix).items()])


# --- written expectations, checked against this run ------------------------------------------------

@dataclass
class Expect:
    """What a reference run showed for one recorded value, and how close this run must come.

    key: a recorded key. near / tol: expect |value - near| <= tol. above / below: a number or
    another recorded key that the value should exceed / stay under. what: the words a reader sees.
    """
    key: str
    what: str = ""
    near: float | None = None
    tol: float | None = None
    above: float | str | None = None
    below: float | str | None = None

    def _bound(self, b, values):
        return values.get(b) if isinstance(b, str) else b

    def expected(self) -> str:
        parts = []
        if self.near is not None:
            parts.append(f"≈ {_fmt(self.near)}" + (f" ± {_fmt(self.tol)}" if self.tol is not None else ""))
        if self.above is not None:
            parts.append(f"> {self.above}")
        if self.below is not None:
            parts.append(f"< {self.below}")
        return ", ".join(parts)

    def holds(self, values: dict) -> bool | None:
        """True / False, or None when the value (or a bound it names) was not recorded."""
        v = values.get(self.key)
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return None
        ok = True
        if self.near is not None:
            ok &= abs(v - self.near) <= (self.tol if self.tol is not None else 0.0)
        for bound, sign in ((self.above, 1), (self.below, -1)):
            if bound is None:
                continue
            b = self._bound(bound, values)
            if not isinstance(b, (int, float)):
                return None
            ok &= sign * (v - b) > 0
        return bool(ok)


def check(expectations: list[Expect], profile: str | None = None, values: dict | None = None) -> Table:
    """This run's recorded numbers beside the written expectations; flags any that do not hold.

    profile: the profile this run used; the expectations are written for ``cpu``, so a run in
    another profile is told that misses are expected. values: the numbers to check (default:
    this kernel's records).
    """
    values = _RESULTS if values is None else values
    rows, missed = [], 0
    for e in expectations:
        ok = e.holds(values)
        missed += ok is False
        mark = {True: "yes", False: "**NO**", None: "not recorded"}[ok]
        rows.append([e.what or e.key, e.expected(), values.get(e.key, "–"), mark])
    note = (f"{missed} of {len(expectations)} expectations do not hold in this run."
            if missed else f"All {len(expectations)} expectations hold in this run.")
    if profile is not None and profile != "cpu":
        note += (f" The expectations were written for the cpu profile; this run used `{profile}`,"
                 " so misses are expected.")
    return Table(["what", "expected (cpu reference run)", "this run", "holds"], rows, note)


def load_notebook(path):
    """The notebook at ``path`` (nbformat v4); a ValueError naming the file if it is not one.

    A missing or unreadable file raises the OSError (it names the file too).
    """
    if Path(path).suffix != ".ipynb":
        raise ValueError(f"{printable(path)} is not a notebook (a notebook's name ends in .ipynb)")
    try:
        return nbformat.read(str(path), as_version=4)
    except OSError:
        raise
    except Exception as exc:  # nbformat raises many kinds for a broken file (JSON, schema, types)
        raise ValueError(f"{printable(path)} is not a readable notebook ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''})") from None


def read(path) -> dict:
    """All values a notebook recorded with :func:`record`: ``{key: value}`` (last write wins)."""
    return _records(load_notebook(path))


def _records(nb) -> dict:
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            item = out.get("data", {}).get(MIME)
            if item is not None:
                found[item["key"]] = item["value"]
    return found


# --- parameters ------------------------------------------------------------------------------

@dataclass
class Parameter:
    name: str
    default: object
    types: tuple  # accepted Python types
    help: str = ""


_TYPE_NAMES = {"int": int, "float": float, "str": str, "bool": bool, "None": type(None),
               "list": list, "dict": dict}


def parameters(notebook) -> dict[str, Parameter]:
    """The parameters a notebook declares in its cell tagged ``parameters``.

    Types come from an annotation (``epochs: int | None = None``) or else from the default.
    """
    nb = load_notebook(notebook)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise ParameterError(f"{printable(notebook)} has no cell tagged 'parameters'")
    source = cells[0].source
    lines = source.splitlines()
    found = {}
    for node in _parse_parameters_cell(notebook, source):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, ann = node.target.id, ast.unparse(node.annotation)
            default = _literal(node.value) if node.value is not None else None
            if default is _COMPUTED:
                continue  # a computed value is not a parameter
            types = tuple(_TYPE_NAMES.get(t.strip(), object) for t in ann.split("|"))
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            default = _literal(node.value)
            if default is _COMPUTED:
                continue  # a computed value is not a parameter
            types = (type(default),) if default is not None else (object,)
        else:
            continue
        comment = lines[node.lineno - 1].partition("#")[2].strip()
        found[name] = Parameter(name, default, types, comment)
    return found


def _parse_parameters_cell(notebook, source: str) -> list:
    """The statements of a parameters cell; a :class:`ParameterError` naming the notebook and the
    line where it is not valid Python (the grader reads students' notebooks with this too)."""
    try:
        return ast.parse(source).body
    except SyntaxError as exc:
        line = (exc.text or "").strip()
        raise ParameterError(f"{printable(notebook)}: the cell tagged 'parameters' is not valid "
                             f"Python, line {exc.lineno}: {exc.msg}"
                             + (f" ({printable(line[:80])})" if line else "")
                             + "; fix that line in the notebook") from None
    except (RecursionError, MemoryError, ValueError) as exc:   # absurd nesting, a NUL byte
        raise ParameterError(f"{printable(notebook)}: the cell tagged 'parameters' cannot be read "
                             f"({type(exc).__name__}); fix it in the notebook") from None


_COMPUTED = object()   # what _literal returns for a value that is not a literal


def _literal(node):
    """The value of a literal expression (``0.38``, ``[1, 2]``), or ``_COMPUTED``."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return _COMPUTED   # a call, a name, {[1]: 2}, …


def parse_value(text: str):
    """A command-line string → a Python value: numbers, true/false, none, lists; else the string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _accepts(types, value) -> bool:
    if object in types:
        return True
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


def check_parameters(notebook, params: dict, declared: dict | None = None) -> dict:
    """Refuse unknown names, wrong types and unknown profiles before any cell runs.

    Returns the parameters (ints given for floats are kept). Raises :class:`ParameterError`
    whose message lists the notebook's valid parameters. declared: ``parameters(notebook)``, when
    the caller has it already (a sweep checks every point against one reading).
    """
    declared = parameters(notebook) if declared is None else declared
    listing = ", ".join(f"{p.name} ({'|'.join(t.__name__ for t in p.types)})"
                        for p in declared.values())
    for name, value in params.items():
        if name not in declared:
            raise ParameterError(f"{printable(Path(notebook).name)} has no parameter {name!r}; "
                                 f"valid parameters: {listing}")
        if not _accepts(declared[name].types, value):
            want = "|".join(t.__name__ for t in declared[name].types)
            raise ParameterError(f"{printable(Path(notebook).name)}: parameter {name!r} must be {want}, "
                                 f"got {value!r} ({type(value).__name__}); valid parameters: {listing}")
    if "profile" in params and params["profile"] not in NAMES:
        raise ParameterError(f"unknown profile {params['profile']!r}; valid profiles: {', '.join(NAMES)}")
    return params


# --- running ---------------------------------------------------------------------------------

@dataclass
class RunResult:
    notebook: str           # the source notebook
    output: str             # the executed copy
    ok: bool
    seconds: float
    params: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    error: str = ""
    html: str = ""          # the executed copy as an HTML page ("" when none was written)
    html_error: str = ""    # why the HTML page could not be written


def find_notebook(name) -> Path:
    """A notebook path, or a name like ``05`` / ``05_colorful_classification`` in notebooks/.

    A path (it ends in ``.ipynb`` or names a folder) must exist; a short name must match one notebook.
    """
    path = Path(name)
    if path.suffix == ".ipynb" or len(path.parts) > 1:
        if path.suffix == ".ipynb" and path.is_file():
            return path
        what = "no notebook file" if path.suffix == ".ipynb" else "not a notebook (.ipynb) file:"
        raise FileNotFoundError(f"{what} {printable(path)}; give the path of an .ipynb file, or a name "
                                f"such as 05 for the workbook's notebooks")
    matches = sorted(NOTEBOOK_DIR.glob(f"{name}*.ipynb"))
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(p.stem for p in sorted(NOTEBOOK_DIR.glob("[0-9]*.ipynb")))
    raise FileNotFoundError(f"no notebook {name!r}; give a path or one of: {names}")


def run(notebook, params: dict | None = None, out_dir=".", output_name: str | None = None,
        progress: bool = True, html: bool = True, index: str | None = None) -> RunResult:
    """Execute ``notebook`` with ``params`` into ``out_dir``; never raises for a failing cell.

    The executed copy is written even when a cell fails (papermill marks the failing cell). A
    notebook with an ``out_dir`` parameter writes its checkpoints and figures there: to
    ``out_dir`` (absolute) unless ``params`` names another folder. With ``html`` the executed
    copy is also written as a self-contained HTML page beside it (a failed export is printed and
    noted in ``html_error``; it does not fail the run); ``index`` is a page it links back to (the
    workbook's ``index.html``). Returns a :class:`RunResult` with the recorded results.
    """
    notebook = find_notebook(notebook)
    params = check_parameters(notebook, dict(params or {}))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = with_out_dir(notebook, params, out_dir)
    output = out_dir / (output_name or notebook.name)
    for pattern in (".*.ipynb", ".*.tmp"):    # partial copies and pages of killed runs
        remove_stale_temporaries(out_dir, pattern)
    start = time.perf_counter()
    error, written = _execute(notebook, output, params, progress)
    seconds = time.perf_counter() - start
    results = read(output) if written else {}
    res = RunResult(str(notebook), str(output), not error, seconds, params, results, error)
    if html and written:
        res.html, res.html_error = _html_page(output, notebook.parent, index)
    return res


def _execute(notebook: Path, output: Path, params: dict, progress: bool) -> tuple[str, bool]:
    """Execute ``notebook`` into ``output``: (error, or "" when every cell ran; written).

    papermill rewrites its output after every cell, so it writes a partial copy beside
    ``output`` (``.<name>.<pid>-<random>.ipynb``, hidden from a sweep's points), renamed into place
    once papermill has finished, failed cell or not. A partial copy that is not a readable notebook
    (a full disk, a crash) is deleted and ``output`` is left as it was (written is False); one that
    Ctrl-C or a killed process leaves is deleted now or by the next run in that folder.
    """
    import papermill as pm
    partial = output.with_name(f".{output.stem}.{os.getpid()}-{os.urandom(4).hex()}.ipynb")
    error = ""
    try:
        try:
            pm.execute_notebook(str(notebook), str(partial), parameters=params,
                                cwd=str(notebook.parent), progress_bar=progress,
                                kernel_name="python3")
        except pm.PapermillExecutionError as exc:
            error = f"{exc.ename}: {exc.evalue}"
        except Exception as exc:  # kernel died, file unwritable, …: keep going with the others
            error = f"{type(exc).__name__}: {exc}"
        if not partial.exists():
            return error or "papermill wrote no notebook", False
        try:
            load_notebook(partial)
        except (OSError, ValueError) as exc:
            return error or f"the executed copy could not be written whole ({exc})", False
        os.replace(partial, output)   # replaces a symlink at output, never writes through it
        return error, True
    finally:
        partial.unlink(missing_ok=True)


def _html_page(output: Path, base: Path, index: str | None = None) -> tuple[str, str]:
    """Export an executed notebook as HTML: (page path, "") or ("", why it failed)."""
    try:
        return str(publish.notebook_html(output, hide_mimes=(MIME,), base=base, back=index)), ""
    except Exception as exc:  # nbconvert, a template, the disk…: the run itself still counts
        why = f"{type(exc).__name__}: {exc}"
        print(f"[colorlab] {printable(output.name)}: no HTML page ({printable(why)})", flush=True)
        return "", why


def with_out_dir(notebook, params: dict, folder) -> dict:
    """``params`` with the notebook's ``out_dir`` parameter set to ``folder``, if it has one.

    An ``out_dir`` already in ``params`` is kept, made absolute: the notebook runs in its own
    folder, so a relative path would otherwise land beside the notebook, not where you are.
    """
    given = params.get("out_dir", folder)
    if "out_dir" not in parameters(notebook) or not isinstance(given, (str, Path)):
        return params   # no such parameter, or a value (None) that the notebook reads itself
    return {**params, "out_dir": str(Path(given).resolve())}


def new_run_dir(profile: str, root="runs") -> Path:
    """A fresh ``runs/<timestamp>-<profile>/`` folder (never an existing one)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(root) / f"{stamp}-{profile}"
    k = 1
    while path.exists():
        k += 1
        path = Path(root) / f"{stamp}-{profile}-{k}"
    path.mkdir(parents=True)
    return path


def workbook_notebooks() -> list[Path]:
    """The notebooks of the sequence, in order (``notebooks/NN_*.ipynb``)."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def workbook(profile: str = "auto", out=None, notebooks=None, progress: bool = True) -> Path:
    """Run every notebook in order into a run folder; write results.json and summary.md.

    The profile is resolved once (``auto`` → ``cpu`` or ``gpu``) and passed to each notebook with
    ``out_dir`` = the run folder, where notebooks save checkpoints that later ones load.
    """
    resolved = resolve_name(profile)
    notebooks = [find_notebook(n) for n in notebooks] if notebooks else workbook_notebooks()
    run_dir = Path(out) if out else new_run_dir(resolved)
    run_dir.mkdir(parents=True, exist_ok=True)
    outcomes = []
    with folder_lock(run_dir, "workbook"):
        for nb in notebooks:
            declared = parameters(nb)
            params = {k: v for k, v in {"profile": resolved, "out_dir": str(run_dir.resolve())}.items()
                      if k in declared}
            print(f"[colorlab] {printable(nb.stem)} (profile {resolved}) …", flush=True)
            res = run(nb, params, run_dir, progress=progress, index="index.html")
            _say_outcome(printable(nb.stem), res)
            outcomes.append(res)
            write_summary(run_dir, resolved, outcomes)
    return run_dir


def _say_outcome(what: str, res: RunResult) -> None:
    """Print one line: ``[colorlab] <what>: ok in 3.2 s`` or ``FAILED … — the error``."""
    print(f"[colorlab] {what}: {'ok' if res.ok else 'FAILED'} in {res.seconds:.1f} s"
          + (f" — {printable(res.error)}" if res.error else ""), flush=True)


@contextmanager
def folder_lock(folder, what: str = "sweep"):
    """Hold ``folder/.colorlab-lock`` while a sweep or workbook writes into ``folder``.

    A second one into the same folder is refused at once (an OSError naming the folder and the
    process that holds it) rather than made to wait: a sweep can take hours, and two that merge
    into one results.csv would each rewrite it from what they alone had read. The lock is an
    ``flock``, so the system drops it when its process ends, killed or not: no stale lock is left.
    """
    path = Path(folder) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot lock {printable(folder)} ({exc.strerror}); "
                      f"if {LOCK_NAME} there is a symlink, delete it") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 100).decode(errors="replace").strip() or "another process"
            raise OSError(errno.EBUSY, f"{printable(folder)} is in use by {printable(holder)}: "
                          f"wait for it to finish, or give this {what} another folder") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"colorlab {what} (process {os.getpid()})".encode())
        yield path
    finally:
        os.close(fd)     # releases the lock


def write_summary(run_dir, profile: str, outcomes: list[RunResult]):
    """results.json (everything), summary.md (a table of notebooks and of recorded results) and
    index.html (the same, linking each notebook's HTML page: the run folder is a static site)."""
    run_dir = Path(run_dir)
    data = {"profile": profile, "notebooks": [vars(o) for o in outcomes]}
    atomic_write_text(run_dir / "results.json", json.dumps(data, indent=2, default=str))
    pages = [_page_entry(run_dir, o) for o in outcomes]
    atomic_write_text(run_dir / "index.html", publish.index_page(
        f"colorlab run — profile {profile}", pages, run_dir.name, ["summary.md", "results.json"]))
    lines = [f"# colorlab run — profile `{profile}`", "",
             "Each notebook as a web page: [index.html](index.html).", "",
             "| notebook | status | seconds | results | page |", "|---|---|---|---|---|"]
    for o, page in zip(outcomes, pages):
        status = "ok" if o.ok else "**FAILED**"
        link = (f"[html]({quote(page['html'])})" if page["html"]    # a working link, one line
                else "no HTML: " + _md_cell(o.html_error))
        lines.append(f"| {_md_cell(Path(o.notebook).stem)} | {status} | {o.seconds:.1f} "
                     f"| {len(o.results)} | {link} |")
    failed = [_md_cell(Path(o.notebook).stem) for o in outcomes if not o.ok]
    lines += ["", f"Failed: {', '.join(failed)}" if failed else "Failed: none", ""]
    lines += ["## Recorded results", "", "| notebook | key | value |", "|---|---|---|"]
    for o in outcomes:
        for k, v in o.results.items():
            lines.append(f"| {_md_cell(Path(o.notebook).stem)} | {_md_cell(k)} | {_md_cell(v)} |")
    for o in outcomes:
        if not o.ok:
            lines += ["", f"### {_md_cell(Path(o.notebook).stem)} failed", "", "```",
                      printable(o.error), "```"]
    atomic_write_text(run_dir / "summary.md", "\n".join(lines) + "\n")


def _page_entry(run_dir: Path, o: RunResult) -> dict:
    """One notebook's row of index.html, its links relative to the run folder."""
    def rel(path):
        return Path(os.path.relpath(Path(path).resolve(), run_dir.resolve())).as_posix()
    return {"name": Path(o.notebook).stem, "ipynb": rel(o.output), "html": rel(o.html) if o.html else "",
            "html_error": o.html_error, "seconds": o.seconds, "ok": o.ok, "error": o.error,
            "results": {k: _fmt(v) for k, v in o.results.items()}}


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


# --- sweeps ----------------------------------------------------------------------------------

class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; the finished points are kept and their table written."""

    def __init__(self, done: int, total: int, out_dir):
        self.done, self.total, self.out_dir = done, total, Path(out_dir)
        super().__init__(f"{done} of {total} points done, kept in "
                         f"{printable(self.out_dir / 'results.csv')}")


def sweep(notebook, grid: dict, out_dir, fixed: dict | None = None, progress: bool = True,
          plot_keys: list[str] | None = None, max_points: int = MAX_POINTS):
    """Run ``notebook`` once per point of the parameter ``grid`` (``{"T": [0.1, 0.38, 1.0]}``).

    Every point is checked before the first one runs; a grid of more than ``max_points`` points
    is refused before that (see ``MAX_POINTS``), and a value given twice (``7, 7`` or ``0.01,
    1e-2``) runs once. Point ``T=0.1`` of ``05_….ipynb`` is executed into
    ``out_dir/05_…[T=0.1].ipynb`` (see :func:`point_name`); if the notebook has an ``out_dir``
    parameter, the point's checkpoints go to the folder ``out_dir/05_…[T=0.1]/``, so points never
    share one.

    A sweep resumes: a point already executed in ``out_dir`` without error and with recorded
    results is kept, not run again; failed and new points run, and so does a point whose executed
    copy cannot be read. After each point ``results.csv``
    and ``results.md`` are rewritten with every point in the folder (earlier sweeps' too, and each
    failed point's error), so an interrupted or repeated sweep loses nothing; and one plot per
    swept parameter, ``plot_<name>.png`` (mean and min–max over seeds when ``seed`` is swept,
    see :mod:`colorlab.sweep_plots`), is redrawn from results.csv and shown in results.md.
    plot_keys: the recorded results to plot (default: those that change with a parameter other
    than the seed). A second sweep into the same ``out_dir`` while this one runs is refused
    (:func:`folder_lock`). Ctrl-C writes the table of the points done and raises
    :class:`SweepInterrupted`. Returns the RunResults of this grid's points.
    """
    notebook = find_notebook(notebook)
    fixed = dict(fixed or {})
    grid = {name: distinct_values(name, values) for name, values in grid.items()}
    check_grid_size(grid, max_points)
    names = list(grid)
    points = [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]
    declared = parameters(notebook)
    for point in points:
        check_parameters(notebook, {**fixed, **point}, declared)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with folder_lock(out_dir, "sweep"):
        earlier = earlier_points(out_dir, notebook)
        for point in points:
            _check_same_point(earlier.get(point_name(notebook, point)), {**fixed, **point})
        outcomes = []
        try:
            for i, point in enumerate(points):
                res = _sweep_point(notebook, point, fixed, out_dir, earlier, progress)
                outcomes.append(res)
                kept = res is earlier.get(point_name(notebook, point))
                if not kept or i == len(points) - 1:    # a kept point adds nothing new to the table
                    write_table(out_dir, names, _all_points(earlier, outcomes), notebook.stem, plot_keys)
        except KeyboardInterrupt:
            write_table(out_dir, names, _all_points(earlier, outcomes), notebook.stem, plot_keys)
            raise SweepInterrupted(len(outcomes), len(points), out_dir) from None
    return outcomes


def check_grid_size(grid: dict, max_points: int = MAX_POINTS) -> int:
    """The number of points of ``grid``; a ParameterError before any work if past ``max_points``."""
    n = math.prod(len(v) for v in grid.values())
    if n > max_points:
        sizes = " × ".join(f"{len(v)} {name}" for name, v in grid.items())
        raise ParameterError(f"this sweep would run {n} points ({sizes}), more than the limit of "
                             f"{max_points}: give fewer values, or raise the limit with "
                             f"--max-points {n} (runs.sweep(..., max_points={n}))")
    return n


def distinct_values(name: str, values) -> list:
    """``values`` without repeats (``7, 7`` or ``0.01, 1e-2``: equal numbers are one value), in
    their order; prints a note naming the ones dropped."""
    kept, seen, dropped = [], set(), []
    for v in values:
        key = _value_key(v)
        if key in seen:
            dropped.append(v)
        else:
            seen.add(key)
            kept.append(v)
    if dropped:
        print(f"[colorlab] {printable(name)}: dropped {printable(', '.join(map(repr, dropped)))}, "
              "equal to a value given before it; each point runs once", flush=True)
    return kept


def _value_key(v):
    """What makes two parameter values the same point: numbers by value (1 == 1.0), True apart
    from 1, anything else by its repr."""
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, (int, float)):
        return ("number", v)
    return ("other", repr(v))


TAG_UNSAFE = re.compile(r"[^A-Za-z0-9._+\- ]")   # shown as "_" in a file name ("/", ",", "=", "[", …)
TAG_VALUE_CHARS = 40    # a value's characters shown in a file name (255 bytes is the name limit)
TAG_HASH_CHARS = 8      # hex digits of a value's hash: 4 billion values apart


def point_name(notebook: Path, point: dict) -> str:
    """``05_colorful_classification[T=0.1,lam=0.5]``: the stem of a point's files.

    Each value is shown as it is when that is readable and unambiguous; otherwise (``a/b``, the
    text ``"1"`` beside the number 1, a long path) a shortened form with a hash of the exact value
    (``out_dir=runs_a~1f3a9c0e``), so two distinct points never share a file.
    """
    tag = ",".join(f"{k}={_tag_value(v)}" for k, v in point.items())
    return f"{notebook.stem}[{tag}]"


def _tag_value(value) -> str:
    """One value as it appears in a point's name (see :func:`point_name`)."""
    text = str(value)
    shown = TAG_UNSAFE.sub("_", text)[:TAG_VALUE_CHARS]
    if shown == text:
        back = parse_value(text)
        if back == value and type(back) is type(value):
            return text         # reads back as the same value: nothing else can show this way
    digest = hashlib.sha256(repr(value).encode()).hexdigest()[:TAG_HASH_CHARS]
    return f"{shown}~{digest}"


def _sweep_point(notebook, point, fixed, out_dir: Path, earlier: dict, progress) -> RunResult:
    """Run one point into ``out_dir`` (its checkpoints in a folder of its own), or keep the
    earlier run of it if that one finished with results."""
    name = point_name(notebook, point)
    tag = printable(name[len(notebook.stem) + 1:-1])
    old = earlier.get(name)
    if old is not None and old.ok and old.results:
        print(f"[colorlab] {tag}: kept from an earlier sweep ({printable(Path(old.output).name)})",
              flush=True)
        return old
    params = with_out_dir(notebook, {**fixed, **point}, out_dir / name)
    print(f"[colorlab] {printable(notebook.stem)} {tag} …", flush=True)
    res = run(notebook, params, out_dir, f"{name}.ipynb", progress, html=False)
    _say_outcome(tag, res)
    return res


def earlier_points(out_dir, notebook: Path) -> dict[str, RunResult]:
    """The points of ``notebook`` executed in ``out_dir`` before: ``{point name: RunResult}``.

    A file that cannot be read (cut short by a full disk or a crash) is left out, with a note:
    its point runs again.
    """
    found = {}
    for p in sorted(Path(out_dir).glob(f"{glob.escape(notebook.stem)}[[]*].ipynb")):
        try:
            found[p.stem] = executed(p, notebook)
        except (OSError, ValueError) as exc:
            print(f"[colorlab] {printable(p.name)} cannot be read ({printable(exc)}): "
                  "its point runs again", flush=True)
    return found


def executed(path, notebook=None) -> RunResult:
    """What an executed notebook holds: its parameters, recorded results, time and error.

    ok is False when a cell raised (error: ``"Name: message"``) or the run never finished.
    """
    nb = load_notebook(path)
    meta = nb.metadata.get("papermill", {})
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    error = errors[0] if errors else ""
    if not error and meta.get("exception"):
        error = "a cell failed (see the notebook)"
    if not error and not meta.get("end_time"):
        error = "the run did not finish (interrupted?)"
    return RunResult(str(notebook or meta.get("input_path", "")), str(path), not error,
                     meta.get("duration") or 0.0, dict(meta.get("parameters") or {}),
                     _records(nb), error)


def _check_same_point(old: RunResult | None, params: dict) -> None:
    """Refuse to resume a folder whose run of this point had other parameters (a profile …)."""
    if old is None or not old.ok:
        return   # nothing there, or a failed run: this point runs (again)
    ran = {k: v for k, v in old.params.items() if k != "out_dir"}
    want = json.loads(json.dumps({k: v for k, v in params.items() if k != "out_dir"}, default=str))
    if ran != want:
        raise ParameterError(f"{printable(old.output)} ran with {ran}, not {want}: sweep into another "
                             "folder (--out), or delete that file to run the point again")


def _all_points(earlier: dict, outcomes: list[RunResult]) -> list[RunResult]:
    """Earlier sweeps' points that this grid does not have, then this grid's points."""
    now = {Path(o.output).stem for o in outcomes}
    return [o for name, o in earlier.items() if name not in now] + outcomes


def write_table(out_dir, names: list[str], outcomes: list[RunResult], title: str = "",
                plot_keys: list[str] | None = None):
    """results.csv, the plots drawn from it, and results.md: one row per run, then the plots.

    The columns are ``names``, any other parameter whose value differs between rows (points
    of an earlier sweep), ok, seconds, the recorded keys, and the error of a failed run. The
    plots (``plot_<parameter>.png``, see :mod:`colorlab.sweep_plots`) are drawn from results.csv;
    if drawing them fails, the table is still written and says why.
    """
    names = names + _varying(outcomes, exclude=names + ["out_dir"])
    keys = sorted({k for o in outcomes for k in o.results})
    header = names + ["ok", "seconds"] + keys + ["error"]
    rows = [[o.params.get(n, "") for n in names] + [o.ok, round(o.seconds, 1)]
            + [o.results.get(k, "") for k in keys] + [o.error] for o in outcomes]
    text = io.StringIO(newline="")
    csv.writer(text).writerows([header] + rows)
    atomic_write_text(Path(out_dir) / "results.csv", text.getvalue())
    md = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    try:
        _, plots = sweep_plots.write_plots(out_dir, title, plot_keys)
    except Exception as exc:  # a plot must never cost the table: say what went wrong instead
        plots = f"No plots: drawing them failed ({type(exc).__name__}: {exc})."
        print(f"[colorlab] {printable(plots)}", flush=True)
    atomic_write_text(Path(out_dir) / "results.md", "\n".join(md) + "\n\n" + plots + "\n")


def _varying(outcomes: list[RunResult], exclude: list[str]) -> list[str]:
    """Parameter names, other than ``exclude``, whose value is not the same in every run."""
    given = dict.fromkeys(k for o in outcomes for k in o.params if k not in exclude)
    return [k for k in given if len({repr(o.params.get(k, "")) for o in outcomes}) > 1]


def _md_cell(v) -> str:
    """A value as one Markdown table cell (one line, ``|`` escaped, control characters shown)."""
    return printable(" ".join(_fmt(v).split())).replace("|", "\\|")


# --- keeping stored notebooks clean ------------------------------------------------------------

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def clean(path) -> bool:
    """Strip a stored notebook: no outputs (except cells marked ``# NBVAL_CHECK_OUTPUT``, whose
    text outputs nbval compares, with an execution count), no widget state. Returns True if changed."""
    nb = load_notebook(path)
    before = nbformat.writes(nb)
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = None
        if CHECK_MARK in cell.source:
            cell.execution_count = count  # nbval refuses reference outputs of "unrun" cells
            cell.outputs = [_strip_output(o) for o in cell.outputs
                            if o.output_type in ("stream", "execute_result")]
        else:
            cell.outputs = []
    after = nbformat.writes(nb)
    if after != before:
        atomic_write_text(path, after)     # a full disk or Ctrl-C never costs the notebook
    return after != before


def _strip_output(out):
    out.pop("metadata", None) if out.output_type == "stream" else None
    if out.output_type == "execute_result":
        out.execution_count = None
        out.data = {k: v for k, v in out.data.items() if k == "text/plain"}
        out.metadata = {}
    return out
