"""Running one notebook with papermill, and what an executed notebook holds.

``run(notebook, params, out_dir)`` checks the parameters, executes the notebook into ``out_dir``
(the executed copy is the record: every value it recorded is in its outputs) and writes it as an
HTML page too. A failing cell never raises: the executed copy keeps the error, and the returned
:class:`RunResult` says what failed. The executed copy is written to a hidden partial file and
renamed into place once it is a whole notebook, so a full disk or Ctrl-C never leaves half of one.
A notebook's ``out_dir`` parameter (where it saves checkpoints) points into the run's folder, so
no two runs overwrite each other's weights. ``executed(path)`` reads a :class:`RunResult` back
from an executed copy (a sweep resumes with it).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from colorlab import profiles
from colorlab.files import owner_tag, printable, remove_stale_temporaries
from colorlab.workbook import kernel, publish
from colorlab.workbook.notebooks import (check_parameters, find_notebook, load_notebook, parameters,
                                         read, records)
from colorlab.workbook.record import MIME



@dataclass
class RunResult:
    """One executed notebook: where it came from and went, whether every cell ran, its results."""
    notebook: str           # the source notebook
    output: str             # the executed copy
    ok: bool
    seconds: float
    params: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    error: str = ""
    html: str = ""          # the executed copy as an HTML page ("" when none was written)
    html_error: str = ""    # why the HTML page could not be written



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
    ``output`` (``.<name>.<pid>-<host>-<random>.ipynb``, hidden from a sweep's points), renamed into place
    once papermill has finished, failed cell or not. A partial copy that is not a readable notebook
    (a full disk, a crash) is deleted and ``output`` is left as it was (written is False); one that
    Ctrl-C or a killed process leaves is deleted now or by the next run in that folder.
    """
    import papermill as pm
    manager = kernel.manager_for(_profile_threads(params))   # socket files, not TCP (kernel.py)
    partial = output.with_name(f".{output.stem}.{owner_tag()}-{os.urandom(4).hex()}.ipynb")
    error = ""
    try:
        try:
            pm.execute_notebook(str(notebook), str(partial), parameters=params,
                                cwd=str(notebook.parent), progress_bar=progress,
                                kernel_name="python3", kernel_manager_class=manager)
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


def _profile_threads(params: dict) -> int | None:
    """The CPU thread count of the profile in ``params`` (None: not fixed, or no profile given)."""
    if "profile" not in params:
        return None
    try:
        return profiles.get(str(params["profile"])).threads
    except (KeyError, ValueError):
        return None


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
                     records(nb), error)


def say_outcome(what: str, res: RunResult) -> None:
    """Print one line: ``[colorlab] <what>: ok in 3.2 s`` or ``FAILED … — the error``."""
    print(f"[colorlab] {what}: {'ok' if res.ok else 'FAILED'} in {res.seconds:.1f} s"
          + (f" — {printable(res.error)}" if res.error else ""), flush=True)

