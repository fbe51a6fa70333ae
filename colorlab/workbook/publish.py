"""A run anyone can read: executed notebooks as HTML pages and an ``index.html`` that lists them.

``notebook_html`` exports one executed notebook with nbconvert's ``HTMLExporter``: figures are
already inline ``data:`` images in the notebook's outputs, and Markdown images are embedded too
(``embed_images``), so each page is one file with every picture in it (it loads MathJax from a
CDN: formulas are typeset when the reader is online and show as TeX otherwise). A live widget
cannot draw in a static page (the run stores no widget state); the widgets of this workbook show
a still picture below themselves, and that picture is what the page shows. ``index_page`` lists
the notebooks with their times, status (and error) and recorded results, so a course can publish
a run folder as a static site as it is.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

from colorlab.files import atomic_write_text

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70em; margin: 2em auto; padding: 0 1em;
       color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #176f2c; } .failed { color: #b00020; font-weight: bold; }
code, pre { font-size: 0.9em; } pre { white-space: pre-wrap; margin: 0.2em 0; }
"""


def notebook_html(ipynb, out=None, hide_mimes=(), base=None, back: str | None = None) -> Path:
    """Write the executed notebook ``ipynb`` as one HTML page, pictures inline; return its path.

    out: the page (default: beside the notebook, ``.html``). hide_mimes: output types to leave out
    (outputs made of nothing else are dropped, e.g. colorlab's recorded values, which a notebook
    does not show either). base: the folder that relative Markdown image paths start from
    (default: the notebook's). back: a page to link at the top (a workbook's ``index.html``).
    Raises whatever nbconvert raises: callers decide what a failed export means.
    """
    from nbconvert import HTMLExporter
    ipynb = Path(ipynb)
    out = Path(out) if out else ipynb.with_suffix(".html")
    nb = nbformat.read(str(ipynb), as_version=4)
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs
                            if not o.get("data") or not set(o["data"]) <= set(hide_mimes)]
    resources = {"metadata": {"name": ipynb.stem, "path": str(base or ipynb.parent)}}
    body, _ = HTMLExporter(embed_images=True).from_notebook_node(nb, resources=resources)
    if back:
        link = (f'<p style="font-family: system-ui, sans-serif; margin: 1em 2em">'
                f'<a href="{html.escape(back)}">← every notebook of this run</a></p>')
        body = re.sub(r"(<body\b[^>]*>)", lambda m: m.group(1) + link, body, count=1)
    atomic_write_text(out, body)    # a full disk keeps the old page; a symlink is replaced
    return out


def index_page(title: str, notebooks: list[dict], folder: str = "", files=()) -> str:
    """The HTML of a run's index: one row per notebook, then each notebook's recorded results.

    notebooks: dicts with ``name``, ``ipynb`` and ``html`` (links relative to the page; ``html``
    empty when there is none), ``html_error``, ``seconds``, ``ok``, ``error``, and ``results``
    (``{key: value as text}``). folder: the run folder's name; files: other files of the run
    to link.
    """
    e = html.escape
    rows = []
    for nb in notebooks:
        name = e(nb["name"])
        page = f'<a href="{e(nb["html"])}">{name}</a>' if nb["html"] else name
        if nb.get("html_error"):
            page += f'<br><small>no HTML page: {e(nb["html_error"])}</small>'
        status = ('<span class="ok">ok</span>' if nb["ok"] else
                  f'<span class="failed">FAILED</span><pre>{e(nb["error"])}</pre>')
        rows.append(f'<tr><td>{page}</td><td>{status}</td><td class="num">{nb["seconds"]:.1f}</td>'
                    f'<td class="num"><a href="#{name}">{len(nb["results"])}</a></td>'
                    f'<td><a href="{e(nb["ipynb"])}">.ipynb</a></td></tr>')
    total = sum(nb["seconds"] for nb in notebooks)
    failed = [nb["name"] for nb in notebooks if not nb["ok"]]
    parts = [f"<h1>{e(title)}</h1>",
             f"<p>{len(notebooks)} notebooks in {total:.0f} s; failed: "
             f"{e(', '.join(failed)) if failed else 'none'}."
             + (f" Run folder <code>{e(folder)}</code>." if folder else "")
             + "".join(f' <a href="{e(f)}">{e(f)}</a>' for f in files) + "</p>",
             "<p>Each page shows a notebook as this run left it. A widget cannot move in a static "
             "page: the still picture below it shows its state.</p>",
             "<table><tr><th>notebook</th><th>status</th><th>seconds</th><th>results</th>"
             "<th>executed copy</th></tr>", *rows, "</table>", "<h2>Recorded results</h2>"]
    for nb in notebooks:
        parts.append(f'<h3 id="{e(nb["name"])}">{e(nb["name"])}</h3>')
        if not nb["results"]:
            parts.append("<p>nothing recorded</p>")
            continue
        parts.append("<table><tr><th>key</th><th>value</th></tr>" + "".join(
            f'<tr><td><code>{e(k)}</code></td><td class="num">{e(v)}</td></tr>'
            for k, v in nb["results"].items()) + "</table>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
