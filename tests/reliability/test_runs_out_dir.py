"""`run --out DIR` and `sweep` move a notebook's checkpoints with them: a notebook that declares an
``out_dir`` parameter saves into the run's folder (absolute), and every sweep point into a folder
of its own, so two runs never overwrite each other's weights."""
from pathlib import Path

import nbformat

from colorlab.__main__ import main
from colorlab.workbook import execute, notebooks, sweep

PARAMS = ('profile = "auto"  # smoke | cpu | gpu | auto\n'
          'out_dir = "../runs/interactive"  # checkpoints go here\n'
          'T = 0.38  # temperature\n')
# "trains" a model: writes out_dir/last.pt and records where it went
BODY = ("from pathlib import Path\nfrom colorlab import runs\n"
        "Path(out_dir).mkdir(parents=True, exist_ok=True)\n"
        "(Path(out_dir) / 'last.pt').write_text(str(T))\n"
        "runs.record('out_dir', out_dir)\n")


def make_notebook(path, params=PARAMS, body=BODY):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, str(path))
    return path


def test_run_out_puts_the_notebooks_checkpoints_in_that_folder(tmp_path, monkeypatch, capsys):
    (tmp_path / "nbs").mkdir()
    nb = make_notebook(tmp_path / "nbs" / "toy.ipynb")
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert main(["run", str(nb), "--out", "mine", "-p", "T", "0.5"]) == 0
    out = (tmp_path / "here" / "mine").resolve()
    assert notebooks.read(out / "toy.ipynb")["out_dir"] == str(out)
    assert (out / "last.pt").read_text() == "0.5"
    assert not (tmp_path / "runs").exists()           # not the notebook's ../runs/interactive


def test_an_out_dir_given_relative_is_taken_from_where_you_are(tmp_path, monkeypatch):
    nb = make_notebook(tmp_path / "toy.ipynb")
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    res = execute.run(nb, {"out_dir": "ckpt"}, "executed", progress=False)
    assert res.ok, res.error
    assert res.results["out_dir"] == str((tmp_path / "here" / "ckpt").resolve())
    assert (tmp_path / "here" / "ckpt" / "last.pt").exists()


def test_a_notebook_without_out_dir_is_run_without_one(tmp_path):
    nb = make_notebook(tmp_path / "toy.ipynb", params="T = 0.38\n",
                       body="from colorlab import runs\nruns.record('T', T)\n")
    res = execute.run(nb, {}, tmp_path / "out", progress=False)
    assert res.ok and "out_dir" not in res.params


def test_each_sweep_point_gets_its_own_checkpoint_folder(tmp_path):
    nb = make_notebook(tmp_path / "toy.ipynb")
    out = tmp_path / "sweep"
    results = sweep.sweep(nb, {"T": [0.1, 0.5]}, out, progress=False)
    assert [r.ok for r in results] == [True, True]
    folders = [Path(r.results["out_dir"]) for r in results]
    assert folders == [(out / "toy[T=0.1]").resolve(), (out / "toy[T=0.5]").resolve()]
    assert [(f / "last.pt").read_text() for f in folders] == ["0.1", "0.5"]
    # out_dir differs per point but is not a column of its own (only the recorded value is)
    assert (out / "results.csv").read_text().startswith("T,ok,seconds,out_dir,error")
