"""A second sweep into the same folder never replaces the first one's results: points that ran
without error are kept (not run again), results.csv/.md list every point, and a failed point's
error is in the table."""
import csv

import nbformat
import pytest

from colorlab.workbook import execute, notebooks, sweep

PARAMS = ('profile = "auto"  # smoke | cpu | gpu | auto\n'
          'T = 0.38  # temperature\nname = "x"\n')
# every execution appends its T to runs.log beside the notebook, so a test can count them
BODY = ("from colorlab import runs\n"
        "with open('runs.log', 'a') as f:\n    f.write(f'{T}\\n')\n"
        "runs.record('twice_T', 2 * T)\n"
        "if name == 'fail':\n    raise RuntimeError('asked to fail')\n")


@pytest.fixture
def nb(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell(PARAMS)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(BODY)]
    nbformat.write(nb, str(tmp_path / "toy.ipynb"))
    return tmp_path / "toy.ipynb"


def executions(nb) -> list[str]:
    log = nb.parent / "runs.log"
    return log.read_text().split() if log.exists() else []


def rows(out) -> list[dict]:
    with open(out / "results.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_a_second_sweep_keeps_the_first_ones_points_and_lists_all(nb, tmp_path):
    out = tmp_path / "sweep"
    sweep.sweep(nb, {"T": [0.1, 0.5]}, out, progress=False)
    second = sweep.sweep(nb, {"T": [0.5, 1.0]}, out, progress=False)
    assert executions(nb) == ["0.1", "0.5", "1.0"]          # T=0.5 was not run again
    assert [r.ok for r in second] == [True, True] and second[0].results == {"twice_T": 1.0}
    assert [(r["T"], r["twice_T"], r["ok"]) for r in rows(out)] == [
        ("0.1", "0.2", "True"), ("0.5", "1.0", "True"), ("1.0", "2.0", "True")]
    md = (out / "results.md").read_text()
    assert all(f"| {t} |" in md for t in ("0.1", "0.5", "1"))


def test_a_failed_points_error_is_in_the_table_and_it_runs_again(nb, tmp_path):
    out = tmp_path / "sweep"
    first = sweep.sweep(nb, {"T": [0.1], "name": ["fail"]}, out, progress=False)
    assert not first[0].ok
    (row,) = rows(out)
    assert row["ok"] == "False" and "RuntimeError: asked to fail" in row["error"]
    assert "RuntimeError: asked to fail" in (out / "results.md").read_text()
    sweep.sweep(nb, {"T": [0.1], "name": ["fail"]}, out, progress=False)
    assert executions(nb) == ["0.1", "0.1"]                  # a failed point is not kept


def test_a_folder_swept_with_other_fixed_parameters_is_refused(nb, tmp_path):
    out = tmp_path / "sweep"
    sweep.sweep(nb, {"T": [0.1]}, out, {"profile": "smoke"}, progress=False)
    with pytest.raises(notebooks.ParameterError, match=r"ran with .*'profile': 'smoke'.*another folder"):
        sweep.sweep(nb, {"T": [0.1]}, out, {"profile": "cpu"}, progress=False)
    assert executions(nb) == ["0.1"]


def test_an_interrupted_run_counts_as_failed(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"T": 0.1}, "end_time": None, "exception": None}
    nb.cells = [nbformat.v4.new_code_cell("1")]
    nbformat.write(nb, str(tmp_path / "toy[T=0.1].ipynb"))
    res = execute.executed(tmp_path / "toy[T=0.1].ipynb")
    assert not res.ok and "did not finish" in res.error and res.params == {"T": 0.1}
