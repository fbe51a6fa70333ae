"""Running notebooks: records, parameter checks, sweeps, failures, the smoke workbook."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from colorlab import profiles
from colorlab.workbook import execute, notebooks, record, sweep
from html_pages import linked_images

ROOT = Path(__file__).resolve().parents[1]


def make_notebook(path, body, params='profile = "auto"  # smoke | cpu | gpu | auto\n'
                  'T = 0.38  # temperature\nn: int | None = None  # optional count\nname = "x"\n'):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, str(path))
    return path


BODY = ("from colorlab import runs\n"
        "runs.record('twice_T', 2 * T)\n"
        "runs.record('name', name)\n"
        "if name == 'fail':\n    raise RuntimeError('asked to fail')\n"
        "runs.record('after', 1)\n")


@pytest.fixture
def nb(tmp_path):
    return make_notebook(tmp_path / "toy.ipynb", BODY)


def test_parameters_are_read_with_types(nb):
    p = notebooks.parameters(nb)
    assert list(p) == ["profile", "T", "n", "name"]
    assert p["T"].types == (float,) and p["n"].types == (int, type(None))
    assert p["T"].help == "temperature"


@pytest.mark.parametrize("params, message", [
    ({"temperature": 1.0}, "has no parameter 'temperature'; valid parameters: profile"),
    ({"T": "hot"}, "parameter 'T' must be float"),
    ({"n": 2.5}, "parameter 'n' must be int|NoneType"),
    ({"profile": "laptop"}, "unknown profile 'laptop'; valid profiles: smoke, cpu, gpu, auto"),
])
def test_bad_parameters_are_refused_before_any_cell_runs(nb, tmp_path, params, message):
    with pytest.raises(notebooks.ParameterError, match=message.replace("(", r"\(").replace("|", r"\|")):
        execute.run(nb, params, tmp_path / "out")
    assert not (tmp_path / "out" / "toy.ipynb").exists()


def test_ints_pass_for_floats_and_none_for_optional(nb):
    notebooks.check_parameters(nb, {"T": 1, "n": None, "name": "y"})


def test_run_records_and_reads_back(nb, tmp_path):
    res = execute.run(nb, {"T": 0.5, "name": "ok"}, tmp_path, progress=False)
    assert res.ok and res.results == {"twice_T": 1.0, "name": "ok", "after": 1}
    assert notebooks.read(res.output) == res.results


def test_failing_run_keeps_its_executed_copy(nb, tmp_path):
    res = execute.run(nb, {"name": "fail"}, tmp_path, progress=False)
    assert not res.ok and "asked to fail" in res.error
    assert Path(res.output).exists()
    assert notebooks.read(res.output) == {"twice_T": 0.76, "name": "fail"}


def test_sweep_writes_table_and_survives_a_failure(nb, tmp_path):
    out = tmp_path / "sweep"
    results = sweep.sweep(nb, {"T": [0.1, 1.0], "name": ["a", "fail"]}, out, progress=False)
    assert [r.ok for r in results] == [True, False, True, False]
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert len(rows) == 4 and rows[0]["T"] == "0.1" and rows[0]["twice_T"] == "0.2"
    assert rows[1]["ok"] == "False" and rows[1]["after"] == ""
    assert (out / "results.md").read_text().startswith("| T | name | ok |")
    assert len(list(out.glob("toy[[]*.ipynb"))) == 4


def test_sweep_checks_every_point_first(nb, tmp_path):
    with pytest.raises(notebooks.ParameterError):
        sweep.sweep(nb, {"T": [0.1, "x"]}, tmp_path / "s", progress=False)
    assert not (tmp_path / "s").exists()


def test_cli_refuses_unknown_parameter_in_one_line(nb, tmp_path):
    r = subprocess.run([sys.executable, "-m", "colorlab", "run", str(nb), "-p", "bogus", "1",
                        "--out", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "no parameter 'bogus'" in r.stderr and "valid parameters" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_sweep(nb, tmp_path):
    r = subprocess.run([sys.executable, "-m", "colorlab", "sweep", str(nb), "-p", "T", "0.5,2",
                        "--out", str(tmp_path / "s")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "| 0.5 |" in r.stdout and (tmp_path / "s" / "results.csv").exists()


def test_cli_sweep_plots_the_keys_asked_for_and_names_unknown_ones(nb, tmp_path):
    r = subprocess.run([sys.executable, "-m", "colorlab", "sweep", str(nb), "-p", "T", "0.5,2",
                        "--plot", "twice_T,nothing_like_it", "--out", str(tmp_path / "s")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "s" / "plot_T.png").exists()
    assert "--plot nothing_like_it: no point recorded it" in r.stdout and "twice_T" in r.stdout


def test_cli_run_writes_the_web_page_unless_told_not_to(nb, tmp_path):
    r = subprocess.run([sys.executable, "-m", "colorlab", "run", str(nb), "--out", str(tmp_path / "a")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    pages = list((tmp_path / "a").glob("*.html"))
    assert len(pages) == 1 and f"web page: {pages[0]}" in r.stdout
    r = subprocess.run([sys.executable, "-m", "colorlab", "run", str(nb), "--out", str(tmp_path / "b"),
                        "--no-html"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not list((tmp_path / "b").glob("*.html")) and "web page" not in r.stdout


def test_profiles(monkeypatch):
    assert profiles.get("smoke").size < profiles.get("cpu").size
    monkeypatch.setenv("COLORLAB_PROFILE", "smoke")
    assert profiles.get("auto").name == "smoke"
    monkeypatch.setenv("COLORLAB_PROFILE", "fast")
    with pytest.raises(ValueError, match="COLORLAB_PROFILE"):
        profiles.get("auto")
    monkeypatch.delenv("COLORLAB_PROFILE")
    assert profiles.get("auto").name in ("cpu", "gpu")
    assert profiles.get("cpu", epochs=2).epochs == 2
    with pytest.raises(ValueError, match="unknown profile"):
        profiles.get("laptop")


def test_profile_threads():
    import torch
    before = torch.get_num_threads()
    try:
        assert profiles.set_threads(profiles.get("smoke")) == 1 == torch.get_num_threads()
        torch.set_num_threads(before)
        assert profiles.get("cpu").threads is None
        assert profiles.set_threads(profiles.get("cpu")) == before   # None: left as it was
        assert profiles.set_threads(profiles.get("cpu", threads=2)) == 2
    finally:
        torch.set_num_threads(before)


def test_clean_strips_outputs_but_keeps_checked_ones(tmp_path):
    path = make_notebook(tmp_path / "c.ipynb", "print(1)")
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(2)"))
    for cell in nb.cells[1:]:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x\n")]
        cell.execution_count = 3
    nb.metadata["widgets"] = {"state": {}}
    nbformat.write(nb, str(path))
    assert notebooks.clean(path) and not notebooks.clean(path)
    nb = nbformat.read(str(path), as_version=4)
    assert nb.cells[1].outputs == [] and len(nb.cells[2].outputs) == 1
    assert "widgets" not in nb.metadata


@pytest.mark.slow
def test_workbook_smoke_run(tmp_path):
    """The whole workbook in the smoke profile: every notebook ok, summary and results."""
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "colorlab", "workbook", "--profile", "smoke",
                        "--out", str(out)], capture_output=True, text=True, timeout=1200)
    summary = (out / "summary.md").read_text()
    assert r.returncode == 0, summary + r.stderr[-3000:]
    data = json.loads((out / "results.json").read_text())
    stems = [Path(n["notebook"]).stem for n in data["notebooks"]]
    assert stems == [p.stem for p in notebooks.workbook_notebooks()] and len(stems) >= 2
    assert all(n["ok"] for n in data["notebooks"]) and "Failed: none" in summary
    index = (out / "index.html").read_text()
    for n in data["notebooks"]:
        assert (out / Path(n["notebook"]).name).exists()
        page = out / (Path(n["notebook"]).stem + ".html")        # every notebook as a web page,
        assert n["html"] == str(page) and n["html_error"] == ""  # linked from index.html,
        assert f'<a href="{page.name}">' in index                 # its figures inline
        assert "data:image/png;base64," in page.read_text() and linked_images(page.read_text()) == []
    results = {k: v for n in data["notebooks"] for k, v in n["results"].items()}
    assert results["backprop/z_after"] == 8.5
    assert results["bins/published_count"] == 313
    if "averaging/regression_gap_to_mean" in results:
        for key in ("zhang/colorfulness/T0.38", "zhang/auc/plain", "vgg16/baseline/val_loss"):
            assert isinstance(results[key], float)
    assert f"| {stems[0]} | ok |" in summary


def test_record_keeps_a_kernel_table_and_shows_no_text(capsys):
    record._RESULTS.clear()
    assert record.record("t/a", 1.5) == 1.5
    record.record("t/b", 2)
    record.record("u/c", "x")
    assert record.results("t/") == {"t/a": 1.5, "t/b": 2}
    tab = record.table("t/")
    assert tab.rows == [["t/a", "1.5"], ["t/b", "2"]]
    assert "| t/a | 1.5 |" in tab._repr_markdown_()
    assert "t/a = 1.5" not in capsys.readouterr().out   # recording prints no key = value line


def test_check_flags_expectations_that_do_not_hold():
    values = {"auc/model": 0.81, "auc/gray": 0.80, "cf": 40.0}
    exp = [record.Expect("auc/model", "model beats gray", above="auc/gray"),
           record.Expect("cf", "colourfulness", near=43.0, tol=5.0),
           record.Expect("cf", "colourfulness, tight", near=43.0, tol=1.0),
           record.Expect("missing", "never recorded", near=1.0, tol=0.1),
           record.Expect("auc/gray", "gray below model", below="auc/model")]
    tab = record.check(exp, profile="smoke", values=values)
    assert [r[-1] for r in tab.rows] == ["yes", "yes", "**NO**", "not recorded", "yes"]
    assert "1 of 5" in tab.note and "smoke" in tab.note
    assert "All 1" in record.check(exp[:1], profile="cpu", values=values).note


def test_recorded_values_survive_a_module_reload():
    import importlib
    record._RESULTS.clear()
    record._RESULTS["kept"] = 1.0
    again = importlib.reload(record)    # what %autoreload does after an edit to record.py
    assert again.results() == {"kept": 1.0}
