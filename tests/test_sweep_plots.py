"""Sweeps a course can use: one plot per swept parameter, its means and spreads taken from
results.csv, failed points in the table but not in the plots, resume keeping the plots."""
import csv
from collections import defaultdict
from pathlib import Path

import pytest

from colorlab.workbook import sweep, sweep_plots
from test_runs import make_notebook

PARAMS = ('profile = "auto"  # smoke | cpu | gpu | auto\nseed = 0  # seed\n'
          'T = 0.38  # temperature\nmode = "a"  # a | b | fail\n')
# a recorded number that depends on every parameter, one that depends on T only, a constant,
# one that depends on the seed only, text, and a failure after some records
BODY = ("from colorlab import runs\n"
        "runs.record('score', T * (2 if mode == 'b' else 1) + 0.25 * seed ** 2)\n"
        "runs.record('half_T', T / 2)\n"
        "runs.record('always', 7)\n"
        "runs.record('noise', 3 * seed)\n"
        "runs.record('label', mode)\n"
        "if mode == 'fail' and T > 0.5:\n    raise RuntimeError('asked to fail')\n"
        "runs.record('late', seed + T)\n")


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """One sweep of 2 T × 2 modes × 2 seeds (2 failed points), run once for every test here."""
    tmp = tmp_path_factory.mktemp("sweep")
    nb = make_notebook(tmp / "toy.ipynb", BODY, PARAMS)
    out = tmp / "out"
    grid = {"T": [0.1, 1.0], "mode": ["a", "fail"], "seed": [0, 1]}
    results = sweep.sweep(nb, grid, out, progress=False)
    return nb, out, grid, results


def test_one_plot_per_parameter_and_seed_is_averaged(swept):
    nb, out, grid, results = swept
    assert sorted(p.name for p in out.glob("*.png")) == ["plot_T.png", "plot_mode.png"]
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    md = (out / "results.md").read_text()
    assert "![results against T](plot_T.png)" in md and "(plot_mode.png)" in md
    assert "mean over seeds 0, 1" in md and "min–max" in md and "2 failed points left out" in md


def test_plotted_mean_and_spread_equal_a_direct_computation_from_the_csv(swept):
    _, out, _, _ = swept
    rows = list(csv.DictReader(open(out / "results.csv")))
    direct = defaultdict(list)          # (mode, T) -> scores of the successful seeds
    for r in rows:
        if r["ok"] == "True":
            direct[r["mode"], r["T"]].append(float(r["score"]))
    table = sweep_plots.read_table(out / "results.csv")
    lines = sweep_plots.aggregate(table, "T", "score")
    assert list(lines) == ["mode=a", "mode=fail"]
    for label, stats in lines.items():
        mode = label.split("=")[1]
        assert [s.x for s in stats] == [t for t in ("0.1", "1.0") if (mode, t) in direct]
        for s in stats:
            seeds = direct[mode, s.x]
            assert s.n == len(seeds) == 2
            assert s.mean == pytest.approx(sum(seeds) / len(seeds))
            assert (s.low, s.high) == (min(seeds), max(seeds))
            assert s.high - s.low == pytest.approx(0.25)    # seed 1 adds 0.25 to every score
    # the failed points (mode=fail, T=1.0, both seeds) are not in the plot
    assert [s.x for s in lines["mode=a"]] == ["0.1", "1.0"] and [s.x for s in lines["mode=fail"]] == ["0.1"]
    # the plot against mode: one line per T, categories in the order they ran
    by_mode = sweep_plots.aggregate(table, "mode", "score")
    assert list(by_mode) == ["T=0.1", "T=1.0"]
    assert [s.x for s in by_mode["T=0.1"]] == ["a", "fail"] and [s.x for s in by_mode["T=1.0"]] == ["a"]
    assert by_mode["T=1.0"][0].mean == pytest.approx((1.0 + 1.25) / 2)


def test_only_numbers_that_change_are_plotted(swept):
    _, out, _, _ = swept
    table = sweep_plots.read_table(out / "results.csv")
    # 'always' is constant, 'label' is text; 'late' is missing in failed rows but numeric elsewhere
    assert sweep_plots.numeric_keys(table) == ["half_T", "late", "noise", "score"]
    # 'noise' changes with the seed only: named under the plots, not drawn
    assert [k for k in table.keys if sweep_plots.seed_only(table, k)] == ["noise"]
    # panels: the numbers the parameters move most against the seeds' spread first. half_T:
    # the seeds agree (inf); score: condition means 0.1+0.125 .. 1+0.125 over a seed range of
    # 0.25 (3.6); late = seed + T: 0.9 over a seed range of 1 (0.9)
    assert sweep_plots.effect(table, "score") == pytest.approx(0.9 / 0.25)
    assert sweep_plots.effect(table, "late") == pytest.approx(0.9)
    assert sweep_plots.choose_keys(table) == (["half_T", "score", "late"], [], ["noise"])
    assert sweep_plots.choose_keys(table, ["score", "label", "noise"]) == (["score", "noise"], [], [])
    assert "change with the seed only (1): noise" in (out / "results.md").read_text()


def test_failed_points_are_in_the_table_with_their_error(swept):
    _, out, _, results = swept
    assert sum(not r.ok for r in results) == 2
    rows = list(csv.DictReader(open(out / "results.csv")))
    failed = [r for r in rows if r["ok"] == "False"]
    assert [(r["T"], r["mode"], r["seed"]) for r in failed] == [("1.0", "fail", "0"), ("1.0", "fail", "1")]
    assert all("asked to fail" in r["error"] for r in failed)
    assert "RuntimeError: asked to fail" in (out / "results.md").read_text()


def test_resume_keeps_the_points_and_redraws_the_plots(swept):
    nb, out, grid, _ = swept
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("toy[[]*.ipynb")}
    more = sweep.sweep(nb, {**grid, "T": [0.1]}, out, progress=False)
    assert all(r.ok for r in more)
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("toy[[]*.ipynb")}
    assert after == before                       # nothing ran again
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert len(rows) == 8                        # this grid's 4 and the earlier T=1.0 points
    assert sorted(p.name for p in out.glob("*.png")) == ["plot_T.png", "plot_mode.png"]


def test_a_plot_that_fails_to_draw_costs_only_the_plot(tmp_path, monkeypatch):
    nb = make_notebook(tmp_path / "toy.ipynb", BODY, PARAMS)

    def broken(*a, **k):
        raise RuntimeError("no canvas")
    monkeypatch.setattr(sweep_plots, "plot", broken)
    res = sweep.sweep(nb, {"T": [0.1, 0.4]}, tmp_path / "s", progress=False)
    assert all(r.ok for r in res)
    md = (tmp_path / "s" / "results.md").read_text()
    assert "| 0.1 |" in md and "No plots: drawing them failed (RuntimeError: no canvas)" in md


def test_a_single_seed_sweep_shows_no_spread(tmp_path):
    rows = [["T", "seed", "ok", "seconds", "score", "error"],
            ["0.1", "0", "True", "1", "1.0", ""], ["0.2", "0", "True", "1", "3.0", ""]]
    with open(tmp_path / "results.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    paths, md = sweep_plots.write_plots(tmp_path, "toy")
    assert [p.name for p in paths] == ["plot_T.png"] and "one seed: no spread" in md
    (line,) = sweep_plots.aggregate(sweep_plots.read_table(tmp_path / "results.csv"), "T", "score").values()
    assert [(s.mean, s.low, s.high) for s in line] == [(1.0, 1.0, 1.0), (3.0, 3.0, 3.0)]


def test_equal_seeds_and_empty_parameter_values_still_plot(tmp_path):
    """Three equal floats whose mean rounds above them (0.1 * 3 / 3 > 0.1), and None (an empty
    cell) as a parameter value: labelled 'default', not blank."""
    rows = [["epochs", "seed", "ok", "seconds", "score", "error"]]
    rows += [[e, s, "True", "1", 0.1 if e == "" else 0.2 + s, ""] for e in ("", "2") for s in (0, 1, 2)]
    with open(tmp_path / "results.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    paths, md = sweep_plots.write_plots(tmp_path, "toy")
    assert [p.name for p in paths] == ["plot_epochs.png"]
    table = sweep_plots.read_table(tmp_path / "results.csv")
    assert sweep_plots.values_of(table, "epochs") == ["", "2"] and sweep_plots.shown("") == "default"
    (line,) = sweep_plots.aggregate(table, "epochs", "score").values()
    assert line[0].mean > line[0].high == 0.1          # the rounding the bars must survive


def test_gray_and_true_baselines_are_found_by_name_when_constant(tmp_path):
    header = ["lr", "ok", "seconds", "a/psnr", "a/psnr_gray", "a/chroma_pred", "a/chroma_true",
              "b/auc/l1", "b/auc/gray", "c/mae", "c/mae_gray", "error"]
    rows = [header, ["0.1", "True", "1", "20", "18", "10", "25", "0.8", "0.79", "3", "5", ""],
            ["0.2", "True", "1", "21", "18", "11", "25", "0.81", "0.79", "2", "6", ""],
            ["0.3", "False", "1", "", "17", "", "", "", "", "", "9", "RuntimeError: x"]]
    with open(tmp_path / "results.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    table = sweep_plots.read_table(tmp_path / "results.csv")
    assert sweep_plots.references(table, "a/psnr") == {"gray": 18.0}      # key + _gray (failed row ignored)
    assert sweep_plots.references(table, "a/chroma_pred") == {"true": 25.0}   # _pred → _true
    assert sweep_plots.references(table, "b/auc/l1") == {"gray": 0.79}    # last part → gray
    assert sweep_plots.references(table, "c/mae") == {}                   # c/mae_gray changes: not a level
    # constant baselines are levels, not panels (constants are never panels)
    assert sorted(sweep_plots.choose_keys(table)[0]) == ["a/chroma_pred", "a/psnr", "b/auc/l1",
                                                         "c/mae", "c/mae_gray"]
    paths, md = sweep_plots.write_plots(tmp_path, "toy")
    assert [p.name for p in paths] == ["plot_lr.png"] and "dashed level" in md
