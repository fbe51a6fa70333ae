"""Recording results inside a notebook, and checking them against what a reference run showed.

``record("psnr/zhang", 24.1)`` shows nothing and stores the value in the notebook's outputs under
a colorlab MIME type, so that the executed ``.ipynb`` file itself is the record
(:func:`colorlab.workbook.notebooks.read` collects the values back). Each value is also kept in
this kernel's table: ``results(prefix)`` and ``table(prefix)`` show what was recorded.

A notebook's "What we saw" section writes its expectations as :class:`Expect` objects and shows
``check(expectations)``: this run's numbers beside the reference run's, flagging any that miss.

This is the part of :mod:`colorlab.workbook` that runs inside every notebook's kernel, so it
imports nothing heavy (no nbformat, no papermill): recording a number costs nothing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from colorlab.files import printable

MIME = "application/vnd.colorlab.result+json"   # the output type that marks a recorded value


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
        self.header, self.rows, self.note = header, [[format_value(v) for v in r] for r in rows], note

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


# --- written expectations, checked against this run ------------------------------------------

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
            parts.append(f"≈ {format_value(self.near)}" + (f" ± {format_value(self.tol)}" if self.tol is not None else ""))
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


# --- values as tables show them --------------------------------------------------------------

def format_value(v) -> str:
    """A value as a table shows it: floats to 4 significant digits, anything else as text."""
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def markdown_cell(v) -> str:
    """A value as one Markdown table cell (one line, ``|`` escaped, control characters shown)."""
    return printable(" ".join(format_value(v).split())).replace("|", "\\|")
