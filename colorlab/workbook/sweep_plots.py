"""Plots of a sweep: one PNG per swept parameter, drawn from the sweep's ``results.csv``.

A sweep's table has the swept parameters first, then ``ok``, ``seconds``, the recorded results and
``error`` (:func:`colorlab.workbook.sweep.write_table`). For every parameter with two or more values this module draws
``plot_<name>.png``: the parameter's values along x (a numeric axis for numbers, one slot per value
otherwise), one small panel per recorded number that changes across the sweep, and one line per
value of the other swept parameters. Panels come in the order of how far the parameters move the
number against the seeds' spread, timings last, at most ``MAX_PANELS``; numbers that change with
the seed alone are named under the plots, not drawn; a constant baseline recorded beside a number
(its ``…_gray`` / ``…_true``, or ``…/gray`` / ``…/true``) is a dashed level in its panel.

When ``seed`` is swept it is not a plot of its own: each point of a line is the **mean over
seeds**, and its bar runs from the **lowest to the highest seed's value** (min–max, not ± std:
with two or three seeds a standard deviation says little). Failed points are left out of the
plots (the table still lists them with their error).

Everything is computed from the CSV alone, so the plots of an interrupted or resumed sweep are
redrawn from what its table holds. ``aggregate`` returns the numbers a plot draws.
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from colorlab.files import atomic_write

SEED = "seed"           # the parameter averaged over instead of plotted
MAX_PANELS = 16         # results plotted per figure; the rest are named in results.md
NCOLS = 4               # panels per row
LOG_RATIO = 10.0        # a positive numeric axis spanning this factor or more is drawn in log scale
TIMING = re.compile(r"seconds|(^|[/_])ms([/_]|$)")   # keys that time the machine, not the method
REFERENCES = ("gray", "true")   # baselines a notebook records beside a score: drawn as a level


@dataclass
class Stat:
    """One plotted point: the mean over seeds at x, the lowest and highest seed, how many ran."""
    x: str
    mean: float
    low: float
    high: float
    n: int


@dataclass
class SweepTable:
    """A sweep's results.csv: parameter columns, result columns, rows as ``{column: text}``."""
    params: list[str]
    keys: list[str]
    rows: list[dict]

    def ok_rows(self) -> list[dict]:
        return [r for r in self.rows if r.get("ok") == "True"]


def read_table(path) -> SweepTable:
    """results.csv → :class:`SweepTable` (parameters are the columns before ``ok``, results those
    between ``seconds`` and ``error``)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
        f.seek(0)
        header = next(csv.reader(f), [])
    if "ok" not in header or "seconds" not in header:
        raise ValueError(f"{path} is not a sweep's results.csv (no ok/seconds columns)")
    ok, sec = header.index("ok"), header.index("seconds")
    end = header.index("error") if "error" in header else len(header)
    return SweepTable(header[:ok], header[sec + 1:end], rows)


def cell_number(text: str) -> float | None:
    """A CSV cell as a float (``nan`` and ``inf`` included), or None if it is not a number."""
    if text in ("True", "False"):
        return None
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def shown(value: str) -> str:
    """A parameter's value as a label: an empty cell (None, or a parameter a point did not set)
    is the notebook's default."""
    return value if value != "" else "default"


def numeric_keys(table: SweepTable) -> list[str]:
    """Result columns that hold a number in every successful row that has them, and whose
    finite values are not all the same (a constant says nothing about the parameters)."""
    keys = []
    for k in table.keys:
        cells = [r[k] for r in table.ok_rows() if r.get(k, "") != ""]
        values = [cell_number(c) for c in cells]
        if not cells or any(v is None for v in values):
            continue
        finite = {v for v in values if math.isfinite(v)}
        if len(finite) > 1:
            keys.append(k)
    return keys


def seed_only(table: SweepTable, key: str) -> bool:
    """True when ``key`` changes with the seed but not with any other swept parameter (a
    notebook's part that those parameters do not touch): its panels would show seed noise only."""
    others = [p for p in swept(table) if p != SEED]
    if SEED not in swept(table) or not others:
        return False
    by_seed: dict[str, set] = {}
    for r in table.ok_rows():
        v = cell_number(r.get(key, ""))
        if v is not None and math.isfinite(v):
            by_seed.setdefault(r.get(SEED, ""), set()).add(v)
    per_seed = [vs.pop() for vs in by_seed.values() if len(vs) == 1]
    return len(per_seed) == len(by_seed) and len(set(per_seed)) > 1


def effect(table: SweepTable, key: str) -> float:
    """How far the swept parameters move ``key``, in units of the seeds' spread.

    The range of the per-condition means (a condition: one value of every swept parameter but
    the seed) divided by the mean min–max range over seeds within a condition; ``inf`` when the
    seeds agree and the conditions do not, 0 when nothing moves. Without a seed sweep: the range
    of the values divided by the largest magnitude (a relative range).
    """
    others = [p for p in swept(table) if p != SEED]
    cond: dict[tuple, list[float]] = {}
    for r in table.ok_rows():
        v = cell_number(r.get(key, ""))
        if v is not None and math.isfinite(v):
            cond.setdefault(tuple(r.get(p, "") for p in others), []).append(v)
    if not cond:
        return 0.0
    means = [sum(vs) / len(vs) for vs in cond.values()]
    between = max(means) - min(means)
    if SEED in swept(table):
        within = sum(max(vs) - min(vs) for vs in cond.values()) / len(cond)
    else:
        within = max(abs(v) for vs in cond.values() for v in vs)
    return between / within if within > 0 else (math.inf if between > 0 else 0.0)


def values_of(table: SweepTable, param: str) -> list[str]:
    """The distinct values of ``param`` in the table, in numeric order when all are numbers,
    else in the order the sweep ran them."""
    seen = list(dict.fromkeys(r.get(param, "") for r in table.rows))
    if is_numeric(seen):
        seen.sort(key=cell_number)
    return seen


def is_numeric(values: list[str]) -> bool:
    """True when every value is a finite number: the parameter gets a numeric axis."""
    return all(cell_number(v) is not None and math.isfinite(cell_number(v)) for v in values)


def swept(table: SweepTable) -> list[str]:
    """The parameters that take two or more values in the table."""
    return [p for p in table.params if len(values_of(table, p)) > 1]


def aggregate(table: SweepTable, x: str, key: str) -> dict[str, list[Stat]]:
    """What the panel of ``key`` in the plot of ``x`` draws: ``{line label: [Stat per x value]}``.

    A line is one combination of the other swept parameters (``"lr=0.001"``; ``""`` when there
    are none); ``seed``, unless it is ``x``, is averaged over. Only successful rows with a finite
    value of ``key`` count; an x value with none is left out of its line.
    """
    others = [p for p in swept(table) if p not in (x, SEED)]
    xs = values_of(table, x)
    groups: dict[tuple, dict[str, list[float]]] = {}
    for r in table.ok_rows():
        v = cell_number(r.get(key, ""))
        if v is None or not math.isfinite(v):
            continue
        line = tuple(r.get(p, "") for p in others)
        groups.setdefault(line, {}).setdefault(r.get(x, ""), []).append(v)
    order = [values_of(table, p) for p in others]   # lines in the order of their values
    lines = {}
    for line in sorted(groups, key=lambda t: [vals.index(v) for vals, v in zip(order, t)]):
        by_x = groups[line]
        label = ", ".join(f"{p}={shown(v)}" for p, v in zip(others, line))
        lines[label] = [Stat(xv, sum(by_x[xv]) / len(by_x[xv]), min(by_x[xv]), max(by_x[xv]),
                             len(by_x[xv])) for xv in xs if xv in by_x]
    return lines


def references(table: SweepTable, key: str) -> dict[str, float]:
    """Levels to draw in the panel of ``key``: ``{"gray": 18.2}``.

    A reference is a recorded number that is the same in every successful run and is named like
    ``key`` with ``_gray`` / ``_true`` added (``regression/psnr_gray`` for ``regression/psnr``),
    in place of its last ``_word`` (``regression/chroma_true`` for ``regression/chroma_pred``)
    or in place of its last part (``gan/auc/gray`` for ``gan/auc/l1``).
    """
    found = {}
    for name in REFERENCES:
        swapped = re.sub(r"_[^_/]+$", f"_{name}", key)      # regression/chroma_pred → …_true
        for ref in (f"{key}_{name}", swapped, f"{key.rpartition('/')[0]}/{name}"):
            values = {cell_number(r.get(ref, "")) for r in table.ok_rows()}
            if ref != key and ref in table.keys and len(values) == 1 and None not in values:
                found[name] = values.pop()
                break
    return {k: v for k, v in found.items() if math.isfinite(v)}


def plot(table: SweepTable, x: str, keys: list[str], path, title: str = "") -> Path:
    """Draw the plot of parameter ``x`` (one panel per key) into the PNG ``path``."""
    xs = values_of(table, x)
    numeric = is_numeric(xs)
    pos = {v: (cell_number(v) if numeric else i) for i, v in enumerate(xs)}
    log = numeric and min(pos.values()) > 0 and max(pos.values()) / min(pos.values()) >= LOG_RATIO
    ncols = min(NCOLS, len(keys))
    nrows = math.ceil(len(keys) / ncols)
    fig = Figure(figsize=(3.3 * ncols, 2.6 * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    handles = {}
    for ax, key in zip(axes, keys):
        lines = aggregate(table, x, key)
        for i, (label, stats) in enumerate(lines.items()):
            # side by side when x is a category, so that bars of different lines do not overlap
            shift = 0.0 if numeric else 0.08 * (i - (len(lines) - 1) / 2)
            px = [pos[s.x] + shift for s in stats]
            means = [s.mean for s in stats]
            # max(0, …): the mean of equal floats can land a rounding error outside them
            err = [[max(0.0, s.mean - s.low) for s in stats], [max(0.0, s.high - s.mean) for s in stats]]
            h = ax.errorbar(px, means, yerr=err, marker="o", ms=4, capsize=3, lw=1.4,
                            color=f"C{i % 10}", label=label or None)
            handles.setdefault(label, h)
        far = _draw_references(ax, references(table, key), [s for st in lines.values() for s in st])
        ax.set_title(key + (f"\n({far})" if far else ""), fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        if log:
            ax.set_xscale("log")
        ax.set_xticks(list(pos.values()), [shown(v) for v in xs])
        ax.minorticks_off()
        if not numeric:
            ax.margins(x=0.15)
        ax.set_xlabel(x, fontsize=8)
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    if any(handles):
        fig.legend([h for lab, h in handles.items() if lab], [lab for lab in handles if lab],
                   loc="outside lower center", ncols=min(4, len(handles)), fontsize=8)
    fig.suptitle(f"{title}\n{describe(table, short=True)}".strip(), fontsize=10)
    # through a temporary file: a full disk never leaves half a PNG, a symlink is replaced
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=90))
    return Path(path)


def _draw_references(ax, levels: dict[str, float], stats: list[Stat]) -> str:
    """A dashed level per reference near the data. One far off would flatten the lines to
    nothing: it is returned as text for the panel's title instead (``"true 57.67 ↑"``)."""
    lo, hi = min(s.low for s in stats), max(s.high for s in stats)
    reach = 1.5 * max(hi - lo, 1e-9 * max(abs(lo), abs(hi), 1.0))
    far = []
    for name, level in levels.items():
        if lo - reach <= level <= hi + reach:
            above = level >= hi            # the label on the side away from the data
            ax.axhline(level, color="0.45", ls="--", lw=1)
            ax.annotate(name, (1, level), xycoords=("axes fraction", "data"),
                        xytext=(-3, 2 if not above else -2), textcoords="offset points",
                        ha="right", va="bottom" if not above else "top", fontsize=7, color="0.35")
        else:
            far.append(f"{name} {level:.4g} {'↑' if level > hi else '↓'}")
    return ", ".join(far)


def describe(table: SweepTable, short: bool = False) -> str:
    """What a point and a bar are, and what was left out: the sentence under the plots, or
    (``short``) the line under a figure's title."""
    seeds = values_of(table, SEED) if SEED in table.params else []
    failed = len(table.rows) - len(table.ok_rows())
    averaged = len(seeds) > 1 and swept(table) != [SEED]
    if short:
        text = (f"mean over seeds {', '.join(seeds)}, bars: lowest to highest seed" if averaged
                else "one run per point")
        return text + (f"; {failed} failed point{'s' if failed > 1 else ''} left out" if failed else "")
    if averaged:
        text = (f"Each point is the mean over seeds {', '.join(seeds)}; its bar runs from the "
                "lowest to the highest seed's value (min–max).")
    else:
        text = "Each point is one run (one seed: no spread is shown)."
    text += (" One line per value of the other swept parameters. Panels in the order of how far"
             " the parameters move each number" + (" against the seeds' spread" if averaged else "")
             + " (largest first; timings last). A dashed level: the number's gray or true"
             " baseline, the same in every run (written under the panel's title, with ↑ or ↓, when"
             " it is far off the scale).")
    if failed:
        text += f" {failed} failed point{'s' if failed > 1 else ''} left out (see the table)."
    return text


def choose_keys(table: SweepTable, keys: list[str] | None = None) -> tuple[list, list, list]:
    """Which results get a panel: (plotted, left out for room, left out as seed-only noise).

    keys: the results to plot, in this order (those that are not numbers are skipped); default:
    every number that changes with a parameter other than the seed, those the parameters move
    most (:func:`effect`) first and timings (``seconds``, ``ms`` in the key) last, at most
    ``MAX_PANELS``.
    """
    numeric = numeric_keys(table)
    if keys:
        return [k for k in keys if k in numeric], [], []
    noise = [k for k in numeric if seed_only(table, k)]
    found = sorted((k for k in numeric if k not in noise),
                   key=lambda k: (bool(TIMING.search(k)), -effect(table, k)))
    return found[:MAX_PANELS], found[MAX_PANELS:], noise


def write_plots(out_dir, title: str = "", keys: list[str] | None = None) -> tuple[list[Path], str]:
    """Draw ``plot_<param>.png`` in ``out_dir`` for each swept parameter of its results.csv.

    keys: the results to plot (see :func:`choose_keys`). Returns the PNG paths and the Markdown
    to put under the table (the images, what a point and a bar are, what was left out).
    """
    out_dir = Path(out_dir)
    table = read_table(out_dir / "results.csv")
    chosen, left, noise = choose_keys(table, keys)
    params = [p for p in swept(table) if p != SEED] or swept(table)
    for old in out_dir.glob("plot_*.png"):      # drawn earlier for a parameter no longer swept
        if old.stem[5:] not in params:
            old.unlink()
    if not chosen or not params:
        why = "no recorded number changes" if not chosen else "no parameter takes two values"
        return [], f"No plots: {why} across the successful points."
    paths = [plot(table, p, chosen, out_dir / f"plot_{p}.png", f"{title} — against {p}".strip(" —"))
             for p in params]
    md = ["## Plots", "", describe(table), ""]
    md += [f"![results against {p.stem[5:]}]({p.name})" + "\n" * (p != paths[-1]) for p in paths]
    if left:
        md += ["", f"Not plotted, for room ({len(left)}): " + ", ".join(left)]
    if noise:
        md += ["", f"Not plotted, since they change with the seed only ({len(noise)}): "
               + ", ".join(noise)]
    return paths, "\n".join(md)
