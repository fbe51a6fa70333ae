"""The workbook run: every notebook of the sequence, in order, into one fresh run folder.

``workbook("cpu")`` resolves the profile once, runs each notebook into ``runs/<timestamp>-cpu/``
with ``out_dir`` = that folder (where notebooks save checkpoints that later ones load), and after
each notebook rewrites ``results.json``, ``summary.md`` and an ``index.html`` linking each
notebook's page, so the folder can be published as a static site as it is. A notebook that fails
keeps its executed copy (with the error in it) and does not stop the others.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from colorlab.files import atomic_write_text, printable
from colorlab.profiles import resolve_name
from colorlab.workbook import publish
from colorlab.workbook.execute import RunResult, run, say_outcome
from colorlab.workbook.lock import folder_lock
from colorlab.workbook.notebooks import find_notebook, parameters, workbook_notebooks
from colorlab.workbook.record import format_value, markdown_cell


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
            say_outcome(printable(nb.stem), res)
            outcomes.append(res)
            write_summary(run_dir, resolved, outcomes)
    return run_dir



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
                else "no HTML: " + markdown_cell(o.html_error))
        lines.append(f"| {markdown_cell(Path(o.notebook).stem)} | {status} | {o.seconds:.1f} "
                     f"| {len(o.results)} | {link} |")
    failed = [markdown_cell(Path(o.notebook).stem) for o in outcomes if not o.ok]
    lines += ["", f"Failed: {', '.join(failed)}" if failed else "Failed: none", ""]
    lines += ["## Recorded results", "", "| notebook | key | value |", "|---|---|---|"]
    for o in outcomes:
        for k, v in o.results.items():
            lines.append(f"| {markdown_cell(Path(o.notebook).stem)} | {markdown_cell(k)} | {markdown_cell(v)} |")
    for o in outcomes:
        if not o.ok:
            lines += ["", f"### {markdown_cell(Path(o.notebook).stem)} failed", "", "```",
                      printable(o.error), "```"]
    atomic_write_text(run_dir / "summary.md", "\n".join(lines) + "\n")


def _page_entry(run_dir: Path, o: RunResult) -> dict:
    """One notebook's row of index.html, its links relative to the run folder."""
    def rel(path):
        return Path(os.path.relpath(Path(path).resolve(), run_dir.resolve())).as_posix()
    return {"name": Path(o.notebook).stem, "ipynb": rel(o.output), "html": rel(o.html) if o.html else "",
            "html_error": o.html_error, "seconds": o.seconds, "ok": o.ok, "error": o.error,
            "results": {k: format_value(v) for k, v in o.results.items()}}

