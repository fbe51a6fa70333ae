"""Sweeps: one notebook run once per point of a grid of parameters, and the table of their results.

``sweep("05", {"T": [0.1, 0.38, 1.0]}, "sweeps/T")`` checks every point before the first runs,
executes each into the folder under a name of its own (:func:`point_name`), and after each point
rewrites ``results.csv``, ``results.md`` and one plot per swept parameter
(:mod:`colorlab.workbook.sweep_plots`). A repeated sweep into the same folder keeps the points
that already ran (it resumes); Ctrl-C keeps the finished points and their table; a second sweep
into a folder while one writes there is refused (:mod:`colorlab.workbook.lock`).
"""
from __future__ import annotations

import csv
import glob
import hashlib
import io
import itertools
import json
import math
import re
from pathlib import Path

from colorlab.files import atomic_write_text, printable
from colorlab.workbook import sweep_plots
from colorlab.workbook.execute import RunResult, executed, run, say_outcome, with_out_dir
from colorlab.workbook.lock import folder_lock
from colorlab.workbook.notebooks import (ParameterError, check_parameters, find_notebook, parameters,
                                         parse_value)
from colorlab.workbook.record import markdown_cell

MAX_POINTS = 1000     # a sweep's default limit: past it a grid is most likely a typo (1000 × 1000
                      # points), and checking it alone would take minutes; max_points raises it


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; the finished points are kept and their table written."""

    def __init__(self, done: int, total: int, out_dir):
        self.done, self.total, self.out_dir = done, total, Path(out_dir)
        super().__init__(f"{done} of {total} points done, kept in "
                         f"{printable(self.out_dir / 'results.csv')}")


def sweep(notebook, grid: dict, out_dir, fixed: dict | None = None, progress: bool = True,
          plot_keys: list[str] | None = None, max_points: int = MAX_POINTS, workers: int = 1,
          scheduler: str | None = None):
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
    see :mod:`colorlab.workbook.sweep_plots`), is redrawn from results.csv and shown in results.md.
    plot_keys: the recorded results to plot (default: those that change with a parameter other
    than the seed). A second sweep into the same ``out_dir`` while this one runs is refused
    (:func:`folder_lock`). Ctrl-C writes the table of the points done and raises
    :class:`SweepInterrupted`. Returns the RunResults of this grid's points, in grid order.

    workers: run this many points at once on this machine (a Dask ``LocalCluster``; each
    point's kernel gets cores // workers threads, and with several GPUs each worker one GPU);
    scheduler: send the points to the Dask cluster at this address (``tcp://host:port``), whose
    workers see ``notebook`` and ``out_dir`` at the same paths (see
    :mod:`colorlab.workbook.parallel`). Either way the table is rewritten as each point finishes,
    its rows in grid order, as a sequential sweep writes them.
    """
    notebook = find_notebook(notebook)
    fixed = dict(fixed or {})
    names, points = _checked_points(notebook, grid, fixed, max_points)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with folder_lock(out_dir, "sweep"):
        earlier = earlier_points(out_dir, notebook)
        for point in points:
            _check_same_point(earlier.get(point_name(notebook, point)), {**fixed, **point})
        if workers > 1 or scheduler:
            return _sweep_parallel(notebook, points, fixed, out_dir, earlier, (names, plot_keys),
                                   workers, scheduler)
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


def _checked_points(notebook: Path, grid: dict, fixed: dict, max_points: int):
    """(the swept names, every point of the grid as a dict), each point checked against the
    notebook's parameters before any runs; repeated values dropped, a grid too big refused."""
    grid = {name: distinct_values(name, values) for name, values in grid.items()}
    check_grid_size(grid, max_points)
    names = list(grid)
    points = [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]
    declared = parameters(notebook)
    for point in points:
        check_parameters(notebook, {**fixed, **point}, declared)
    return names, points


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
    old = _kept(earlier.get(name), tag)
    if old is not None:
        return old
    params = with_out_dir(notebook, {**fixed, **point}, out_dir / name)
    print(f"[colorlab] {printable(notebook.stem)} {tag} …", flush=True)
    res = run(notebook, params, out_dir, f"{name}.ipynb", progress, html=False)
    say_outcome(tag, res)
    return res


def _kept(old: RunResult | None, tag: str) -> RunResult | None:
    """An earlier run of a point that finished with results (said so), else None: it runs."""
    if old is not None and old.ok and old.results:
        print(f"[colorlab] {tag}: kept from an earlier sweep ({printable(Path(old.output).name)})",
              flush=True)
        return old
    return None


def _sweep_parallel(notebook, points, fixed, out_dir: Path, earlier: dict, columns: tuple,
                    workers: int, scheduler: str | None) -> list[RunResult]:
    """Run the points not kept from an earlier sweep at once (:mod:`colorlab.workbook.parallel`),
    rewriting the table (``columns``: the swept names, plot_keys) in grid order as each one ends.
    Returns every point's RunResult, in grid order."""
    from colorlab.workbook import parallel

    def table(done: dict):
        write_table(out_dir, columns[0], _all_points(earlier, [done[j] for j in sorted(done)]),
                    notebook.stem, columns[1])
    done, jobs, tags = {}, {}, {}
    for i, point in enumerate(points):
        name = point_name(notebook, point)
        tags[i] = printable(name[len(notebook.stem) + 1:-1])
        old = _kept(earlier.get(name), tags[i])
        if old is not None:
            done[i] = old
        else:
            params = with_out_dir(notebook, {**fixed, **point}, out_dir / name)
            jobs[i] = (notebook.resolve(), params, out_dir.resolve(), f"{name}.ipynb")
    where = f"the cluster at {printable(scheduler)}" if scheduler else f"{workers} local workers"
    print(f"[colorlab] {printable(notebook.stem)}: {len(jobs)} points to run on {where}", flush=True)

    def finished(i, res):
        say_outcome(tags[i], res)
        done[i] = res
        table(done)
    try:
        if jobs:
            parallel.run_all(jobs, finished, workers=workers, scheduler=scheduler)
    except KeyboardInterrupt:
        table(done)
        raise SweepInterrupted(len(done), len(points), out_dir) from None
    table(done)
    return [done[i] for i in range(len(points))]


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
    plots (``plot_<parameter>.png``, see :mod:`colorlab.workbook.sweep_plots`) are drawn from results.csv;
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
    md = ["| " + " | ".join(markdown_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(markdown_cell(v) for v in row) + " |" for row in rows]
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

