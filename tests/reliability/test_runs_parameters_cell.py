"""A notebook's parameters cell that is not valid Python, or whose values are not literals, is a
clear error naming the notebook and the line (the grader reads students' notebooks this way)."""
import pytest

from colorlab.__main__ import main
from colorlab.workbook import notebooks


def test_a_syntax_error_in_the_parameters_cell_names_the_notebook_and_line(toy_notebook):
    nb = toy_notebook("student.ipynb", params='T = 0.38\nname = "x\nseed = 0\n')
    with pytest.raises(ValueError) as e:
        notebooks.parameters(nb)
    message = str(e.value)
    assert "student.ipynb" in message and "line 2" in message and "\n" not in message


def test_the_cli_reports_it_in_one_line(toy_notebook, tmp_path, capsys):
    nb = toy_notebook("student.ipynb", params="T = = 0.38\n")
    assert main(["run", str(nb), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "student.ipynb" in err and "line 1" in err


def test_computed_values_are_not_parameters_and_not_errors(toy_notebook):
    nb = toy_notebook(params='T: float = float("0.5")\nd = {[1]: 2}\nname = "x"\n')
    assert list(notebooks.parameters(nb)) == ["name"]
