"""A sweep's grid: too many points are refused before any work, a value given twice runs once,
and two distinct points never share a file name."""
from pathlib import Path

import pytest

from colorlab.__main__ import main
from colorlab.workbook import execute, notebooks, sweep


@pytest.fixture
def calls(monkeypatch):
    """Replace the point runner by one that only notes what it was asked to run (no kernel)."""
    asked = []

    def fake_run(notebook, params, out_dir, output_name=None, *args, **kwargs):
        asked.append((dict(params), output_name))
        return execute.RunResult(str(notebook), str(Path(out_dir) / output_name), True, 0.1,
                                 dict(params), {"twice_T": 2 * params.get("T", 0.38)})
    monkeypatch.setattr(sweep, "run", fake_run)
    return asked


def test_a_grid_past_the_limit_is_refused_before_any_point_is_checked(toy_notebook, tmp_path,
                                                                      monkeypatch, hang_limit):
    nb = toy_notebook()
    checked = []
    monkeypatch.setattr(sweep, "check_parameters", lambda *a, **k: checked.append(a) or
                        pytest.fail("a point was checked: the grid's size was not refused first"))
    grid = {"T": [i / 1000 for i in range(1000)], "name": [f"n{i}" for i in range(1000)]}
    with pytest.raises(notebooks.ParameterError) as e:
        sweep.sweep(nb, grid, tmp_path / "out", progress=False)
    message = str(e.value)
    assert "1000000 points" in message and "--max-points 1000000" in message
    assert "\n" not in message and not checked and not (tmp_path / "out").exists()


def test_the_cli_refuses_a_grid_past_max_points_in_one_line(toy_notebook, tmp_path, capsys):
    nb = toy_notebook()
    code = main(["sweep", str(nb), "-p", "T", "0.1,0.2,0.3", "--out", str(tmp_path / "o"),
                 "--max-points", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "3 points" in err and "--max-points 3" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


def test_a_grid_within_a_raised_limit_runs(toy_notebook, tmp_path, calls):
    nb = toy_notebook()
    sweep.sweep(nb, {"T": [0.1, 0.2, 0.3]}, tmp_path / "o", progress=False, max_points=3)
    assert len(calls) == 3


def test_a_value_given_twice_runs_once_with_a_note_naming_it(toy_notebook, tmp_path, calls, capsys):
    nb = toy_notebook()
    main(["sweep", str(nb), "-p", "T", "0.01,1e-2,0.5,0.01", "--out", str(tmp_path / "o")])
    assert [p["T"] for p, _ in calls] == [0.01, 0.5]
    notes = [line for line in capsys.readouterr().out.splitlines() if "dropped" in line]
    assert len(notes) == 1 and "0.01, 0.01" in notes[0] and notes[0].startswith("[colorlab] T:")


def test_equal_seeds_are_one_point_but_true_is_not_the_number_one():
    assert sweep.distinct_values("seed", [7, 7, 7.0, 8]) == [7, 8]
    assert sweep.distinct_values("x", [1, True, "1"]) == [1, True, "1"]


def test_out_dirs_that_sanitize_alike_get_their_own_files(toy_notebook, tmp_path, calls):
    nb = toy_notebook()
    sweep.sweep(nb, {"out_dir": ["runs/a", "runs_a"]}, tmp_path / "o", progress=False)
    names = [name for _, name in calls]
    assert len(set(names)) == 2, names
    folders = [p["out_dir"] for p, _ in calls]
    assert len(set(folders)) == 2, folders


def test_a_text_value_and_the_number_it_spells_get_their_own_files():
    nb = Path("toy.ipynb")
    assert sweep.point_name(nb, {"name": "1"}) != sweep.point_name(nb, {"name": 1})
    assert sweep.point_name(nb, {"name": "a,T=1"}) != sweep.point_name(nb, {"name": "a_T_1"})


def test_plain_values_keep_the_names_earlier_sweeps_used_so_they_resume():
    nb = Path("toy.ipynb")
    assert sweep.point_name(nb, {"T": 0.1, "lam": 0.5}) == "toy[T=0.1,lam=0.5]"
    assert sweep.point_name(nb, {"seed": 7, "name": "gan", "flag": True}) == \
        "toy[seed=7,name=gan,flag=True]"


def test_a_long_value_still_makes_a_file_name_the_system_accepts():
    name = sweep.point_name(Path("toy.ipynb"), {"out_dir": "/very/long/" + "x" * 400})
    assert len(f"{name}.ipynb".encode()) < 255
