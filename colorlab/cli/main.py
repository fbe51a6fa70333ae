"""Command line: ``python -m colorlab <command> …`` (also ``colorlab …`` once installed).

  workbook [--profile P] [--out DIR]         run every notebook in order into a run folder
  run NB [-p NAME VALUE …] [--out DIR]       run one notebook with parameters (and write it as
        [--no-html]                          a web page beside the executed copy)
  sweep NB -p NAME V1,V2 … --out DIR         run a grid of parameters, write results.csv/.md and
        [--plot KEY1,KEY2] [--max-points N]  one plot per swept parameter (mean and min-max over
        [--workers N | --scheduler ADDR]     seeds); points that already ran in DIR are kept;
                                             Ctrl-C keeps the finished points (run it again to
                                             resume); N points at once here, or on a Dask cluster
  prepare DIR [--size S]                     decode and cache an image folder
  clean NB…                                  strip outputs from stored notebooks
  bench                                      print throughput figures against baselines
  assignments --out DIR [NB…] [--force]      write the student versions of the graded notebooks
  grade SUBMISSIONS --out DIR [--profile P]  autograde SUBMISSIONS/<student>/<NN_name>.ipynb,
        [--jobs N] [--timeout S]             each in a sandbox of its own (bubblewrap), into
        [--no-sandbox]                       DIR/grades.csv (needs nbgrader)

Errors in what you typed (a missing file, an unknown parameter) print one line, not a traceback.
"""
from __future__ import annotations

import argparse
import shlex
import sys

from colorlab import data
from colorlab.cli import bench, bench_speed
from colorlab.cli import train as cli_train
from colorlab.files import printable
from colorlab.workbook import assignments, execute, grading, notebooks, sweep, workbook
from colorlab.workbook.notebooks import parse_value

INTERRUPTED = 130   # the exit status of a program stopped by Ctrl-C (128 + SIGINT), as shells use


def _params(pairs) -> dict:
    return {name: parse_value(value) for name, value in (pairs or [])}


def cmd_workbook(args):
    run_dir = workbook.workbook(args.profile, args.out, args.notebooks or None)
    print((run_dir / "summary.md").read_text())
    print(f"[colorlab] run folder: {printable(run_dir)}")
    failed = [o for o in __import__("json").loads((run_dir / "results.json").read_text())["notebooks"]
              if not o["ok"]]
    return 1 if failed else 0


def cmd_run(args):
    params = _params(args.p)
    if args.profile:
        params["profile"] = args.profile
    res = execute.run(args.notebook, params, args.out, html=not args.no_html)
    print(f"[colorlab] {printable(res.output)}: "
          f"{'ok' if res.ok else 'FAILED — ' + printable(res.error)} ({res.seconds:.1f} s)")
    if res.html:
        print(f"[colorlab] web page: {printable(res.html)}")
    elif res.html_error:
        print(f"[colorlab] no web page: {printable(res.html_error)}")
    for k, v in res.results.items():
        print(f"  {printable(k)} = {printable(v)}")
    return 0 if res.ok else 1


def cmd_sweep(args):
    grid = {}
    for name, values in args.p or []:
        if name in grid:
            raise ValueError(f"-p {printable(name)} is given twice: give its values once, "
                             "separated by commas (-p NAME V1,V2)")
        grid[name] = [parse_value(v) for v in values.split(",")]
    if args.max_points < 1:
        raise ValueError(f"--max-points must be 1 or more, got {args.max_points}")
    if args.workers < 1 or (args.scheduler and args.workers > 1):
        raise ValueError("--workers must be 1 or more, and is not given with --scheduler "
                         "(the cluster's workers run the points)")
    fixed = {"profile": args.profile} if args.profile else {}
    plot_keys = args.plot.split(",") if args.plot else None
    outcomes = sweep.sweep(args.notebook, grid, args.out, fixed, plot_keys=plot_keys,
                          max_points=args.max_points, workers=args.workers,
                          scheduler=args.scheduler)
    print((__import__("pathlib").Path(args.out) / "results.md").read_text())
    recorded = {k for o in outcomes for k in o.results}
    for key in plot_keys or []:
        if key not in recorded:
            print(f"[colorlab] --plot {printable(key)}: no point recorded it, so it is not plotted; "
                  f"recorded: {printable(', '.join(sorted(recorded))) or 'nothing'}")
    return 0 if all(o.ok for o in outcomes) else 1


def cmd_prepare(args):
    s = data.load(args.folder, size=args.size)
    print(f"[colorlab] {s!r}")
    for line in data.skipped_lines(s):
        print(line)
    return 0


def cmd_clean(args):
    for path in args.notebooks:
        print(f"[colorlab] {printable(path)}: {'cleaned' if notebooks.clean(path) else 'already clean'}")
    return 0


def cmd_bench(args):
    if args.variants:
        bench_speed.main(quick=args.quick, names=args.models, profile=args.profile,
                         device=args.device)
    else:
        bench.main(quick=args.quick)
        if args.bf16_check:
            bench_speed.print_check()
    return 0


def cmd_assignments(args):
    for path in assignments.generate(args.out, args.notebooks or None, force=args.force):
        print(f"[colorlab] student version: {path}")
    return 0


def cmd_grade(args):
    scores = grading.grade(args.submissions, args.out, profile=args.profile,
                               isolated=not args.no_sandbox, jobs=args.jobs, timeout=args.timeout)
    print(f"{'student':20s} {'notebook':32s} {'score':>6s} {'of':>4s}  reason")
    for s in scores:
        print(f"{printable(s.student):20s} {s.notebook:32s} {s.score:6g} {s.max_score:4g}  "
              f"{printable(s.reason)}")
    out = printable(args.out)
    print(f"[colorlab] grades: {out}/grades.csv; gradebook: {out}/gradebook.db; "
          f"graded notebooks: {out}/autograded/")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: the notebook commands, the tools, the course, training."""
    p = argparse.ArgumentParser(prog="colorlab", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    _add_notebook_commands(sub)
    _add_tool_commands(sub)
    _add_course_commands(sub)
    cli_train.add_commands(sub)     # train and colorize
    return p


def _add_notebook_commands(sub) -> None:
    """workbook, run and sweep: executing notebooks (colorlab.workbook)."""
    w = sub.add_parser("workbook", help="run every notebook in order")
    w.add_argument("--profile", default="auto", help="smoke | cpu | gpu | auto (default)")
    w.add_argument("--out", default=None, help="run folder (default runs/<timestamp>-<profile>)")
    w.add_argument("--notebooks", nargs="*", help="only these notebooks (names or paths)")
    w.set_defaults(func=cmd_workbook)

    r = sub.add_parser("run", help="run one notebook with parameters")
    r.add_argument("notebook", help="a path, or a name such as 05 or 05_colorful_classification")
    r.add_argument("-p", nargs=2, action="append", metavar=("NAME", "VALUE"))
    r.add_argument("--profile", default=None)
    r.add_argument("--out", default=".",
                   help="folder for the executed notebook and its checkpoints (its out_dir)")
    r.add_argument("--no-html", action="store_true", help="do not also write the executed notebook as a web page")
    r.set_defaults(func=cmd_run)

    s = sub.add_parser("sweep", help="run a parameter grid and tabulate the results; "
                       "points already run in --out are kept, not run again")
    s.add_argument("notebook")
    s.add_argument("-p", nargs=2, action="append", metavar=("NAME", "V1,V2,…"))
    s.add_argument("--profile", default=None)
    s.add_argument("--out", required=True)
    s.add_argument("--plot", default=None, metavar="KEY1,KEY2",
                   help="the recorded results to plot (default: those the swept parameters move most)")
    s.add_argument("--max-points", type=int, default=sweep.MAX_POINTS, metavar="N",
                   help=f"refuse a grid of more points than this (default {sweep.MAX_POINTS})")
    s.add_argument("--workers", type=int, default=1, metavar="N",
                   help="run N points at once on this machine, the cores (or GPUs) shared out "
                        "(default 1: one after another)")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the points on the Dask cluster at ADDRESS (tcp://host:port of a "
                        "dask scheduler); its workers must see the notebook and --out folder")
    s.set_defaults(func=cmd_sweep)


def _add_tool_commands(sub) -> None:
    """prepare, clean and bench."""
    pr = sub.add_parser("prepare", help="decode and cache an image folder")
    pr.add_argument("folder")
    pr.add_argument("--size", type=int, default=64)
    pr.set_defaults(func=cmd_prepare)

    c = sub.add_parser("clean", help="strip outputs and widget state from stored notebooks")
    c.add_argument("notebooks", nargs="+")
    c.set_defaults(func=cmd_clean)

    b = sub.add_parser("bench", help="print throughput figures")
    b.add_argument("--quick", action="store_true", help="smaller inputs (a smoke check)")
    b.add_argument("--bf16-check", action="store_true",
                   help="also train fp32 vs bf16 on the CPU and compare validation loss/AuC")
    b.add_argument("--variants", action="store_true",
                   help="instead: every model's images/s in fp32/bf16 × NCHW/channels_last, the "
                   "fp32-vs-bf16 learning check per model, its default beside its best variant")
    b.add_argument("--models", nargs="+", default=None, metavar="NAME",
                   help="with --variants: only these models")
    b.add_argument("--profile", default="cpu", choices=["cpu", "gpu"],
                   help="with --variants: the profile's size, width and batch (default cpu)")
    b.add_argument("--device", default=None, help="with --variants: cpu, cuda … (default: the best present)")
    b.set_defaults(func=cmd_bench)


def _add_course_commands(sub) -> None:
    """assignments and grade: the student versions and autograding (nbgrader)."""
    a = sub.add_parser("assignments", help="write the student versions of the graded notebooks "
                       "(nbgrader generate_assignment: solutions and hidden tests removed)")
    a.add_argument("notebooks", nargs="*", help="only these notebooks (default: every graded one)")
    a.add_argument("--out", required=True, help="folder for the student notebooks")
    a.add_argument("--force", action="store_true",
                   help="overwrite notebooks already in --out (maybe a student's worked copies)")
    a.set_defaults(func=cmd_assignments)

    g = sub.add_parser("grade", help="autograde submitted notebooks with nbgrader into a CSV")
    g.add_argument("submissions", help="a folder holding <student>/<NN_name>.ipynb")
    g.add_argument("--out", required=True,
                   help="folder for grades.csv and the autograded notebooks")
    g.add_argument("--profile", default=grading.GRADE_PROFILE,
                   help="profile the submissions run in (default smoke)")
    g.add_argument("--jobs", type=int, default=1, help="notebooks run at once (default 1)")
    g.add_argument("--timeout", type=float, default=grading.NOTEBOOK_TIMEOUT,
                   help="seconds one submitted notebook may run in its sandbox "
                        f"(default {grading.NOTEBOOK_TIMEOUT})")
    g.add_argument("--no-sandbox", action="store_true",
                   help="run the submissions without a sandbox (bubblewrap), with your own rights "
                        "and files: only for code you trust")
    g.set_defaults(func=cmd_grade)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt as exc:
        # Ctrl-C: what finished is kept (a sweep's points and table, a workbook's summary), and
        # the same sweep command again resumes: it keeps the points that ran
        said = f"colorlab {args.command}: interrupted"
        if isinstance(exc, sweep.SweepInterrupted):
            again = printable(shlex.join(["python", "-m", "colorlab", *argv]))
            said += f": {exc}; to resume, run: {again}"
        print(said, file=sys.stderr)
        return INTERRUPTED
    except (ValueError, KeyError, FloatingPointError, OSError) as exc:
        # ParameterError and CheckpointError are ValueErrors (unknown parameters, bad profiles,
        # unsafe files); TrainingDiverged is a FloatingPointError; OSError: missing or unwritable
        # files, a full disk. One line each, never a traceback.
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        if isinstance(exc, OSError) and exc.strerror:
            msg = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
        print(f"colorlab {args.command}: error: {printable(msg)}", file=sys.stderr)
        return 2

