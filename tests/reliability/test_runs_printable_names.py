"""A notebook or folder name with a newline or an ANSI escape cannot forge a line of colorlab's
output: every name run, sweep, workbook and their errors print is shown with its control
characters escaped."""
from colorlab.__main__ import main

FORGED = "\x1b[2K\n[colorlab] forged"


def printed_lines(capsys) -> list[str]:
    seen = capsys.readouterr()
    return (seen.out + seen.err).splitlines()


def assert_not_forged(lines):
    assert not [line for line in lines if line.startswith("[colorlab] forged")]
    assert not [line for line in lines if "\x1b" in line]


def test_a_missing_notebooks_name_cannot_forge_a_line(tmp_path, capsys):
    assert main(["run", str(tmp_path / f"nb{FORGED}.ipynb"), "--out", str(tmp_path)]) == 2
    assert_not_forged(printed_lines(capsys))


def test_a_sweeps_notebook_and_folder_names_cannot_forge_a_line(toy_notebook, tmp_path, capsys,
                                                                 hang_limit):
    nb = toy_notebook(f"toy{FORGED}.ipynb")
    out = tmp_path / f"out{FORGED}"
    assert main(["sweep", str(nb), "-p", "T", "0.1", "-p", "name", f"a{FORGED}",
                 "--out", str(out)]) == 0
    lines = printed_lines(capsys)
    assert any("twice_T" in line for line in lines)         # the table was printed
    assert_not_forged(lines)


def test_a_workbook_notebooks_name_cannot_forge_a_line(toy_notebook, tmp_path, capsys, hang_limit):
    nb = toy_notebook(f"01{FORGED}.ipynb", body=f"raise RuntimeError({FORGED!r})\n")
    assert main(["workbook", "--profile", "smoke", "--out", str(tmp_path / f"run{FORGED}"),
                 "--notebooks", str(nb)]) == 1
    assert_not_forged(printed_lines(capsys))
