"""A full disk or a crash never costs a run's results: the executed notebook is written under a
temporary name and renamed into place when papermill has finished, web pages and tables go
through a temporary file, a notebook cut short by an earlier crash is run again, and a symlink at
an output's name (dangling or not) is replaced, never written through."""
import errno
import io
import json
import os
from pathlib import Path

import pytest

from colorlab.workbook import execute, notebooks, publish, record, sweep, workbook


def full_disk_at(monkeypatch, folder):
    """From now on, a file opened for writing in ``folder`` (or through a bare descriptor, as
    atomic writes do) takes half of what is written to it, then fails with ENOSPC."""
    real_open = io.open

    class HalfWritten:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(data[:len(data) // 2])
            self.f.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    def opener(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        here = isinstance(file, int) or Path(file).resolve().parent == Path(folder).resolve()
        return HalfWritten(f) if here and ("w" in mode or "a" in mode) else f
    monkeypatch.setattr(io, "open", opener)


def papermill_disk_fills_at_write(monkeypatch, n):
    """papermill's n-th write of its output notebook (it writes after every cell) writes half
    the notebook, then fails with ENOSPC."""
    from papermill.iorw import LocalHandler
    real, count = LocalHandler.write, [0]

    def write(self, buf, path):
        count[0] += 1
        if count[0] < n:
            return real(self, buf, path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(buf[:len(buf) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(LocalHandler, "write", write)


def test_a_full_disk_during_execution_keeps_the_earlier_executed_notebook(toy_notebook, tmp_path,
                                                                         monkeypatch, hang_limit):
    nb, out = toy_notebook(), tmp_path / "out"
    first = execute.run(nb, {"T": 0.5}, out, progress=False, html=False)
    assert first.ok, first.error
    papermill_disk_fills_at_write(monkeypatch, 2)
    second = execute.run(nb, {"T": 2.0}, out, progress=False, html=False)
    assert not second.ok and "No space left" in second.error and second.results == {}
    assert notebooks.read(out / "toy.ipynb") == {"twice_T": 1.0}     # the first run, whole
    assert sorted(p.name for p in out.iterdir()) == ["toy.ipynb"]    # no partial copy left


def test_a_notebook_cut_short_by_an_earlier_crash_is_run_again(toy_notebook, tmp_path, capsys,
                                                                hang_limit):
    nb, out = toy_notebook(), tmp_path / "out"
    out.mkdir()
    (out / "toy[T=0.1].ipynb").write_text('{"cells": [{"cell_type": "code", "sou')
    (res,) = sweep.sweep(nb, {"T": [0.1]}, out, progress=False)
    assert res.ok and res.results == {"twice_T": 0.2}
    assert notebooks.read(out / "toy[T=0.1].ipynb") == {"twice_T": 0.2}
    assert "toy[T=0.1].ipynb cannot be read" in capsys.readouterr().out


def test_a_partial_copy_left_by_a_killed_run_is_removed_by_the_next(toy_notebook, tmp_path):
    nb, out = toy_notebook(), tmp_path / "out"
    out.mkdir()
    dead = 2 ** 22 + 12345                 # above the usual pid_max: no such process
    left = out / f".toy.{dead}-0badf00d.ipynb"
    left.write_text("{")
    assert execute.run(nb, {}, out, progress=False, html=False).ok
    assert not left.exists()


def test_a_full_disk_while_the_web_page_is_written_keeps_the_old_page(toy_notebook, tmp_path,
                                                                      monkeypatch):
    nb, out = toy_notebook(), tmp_path / "out"
    res = execute.run(nb, {}, out, progress=False)
    page = Path(res.html)
    good = page.read_text()
    full_disk_at(monkeypatch, out)
    with pytest.raises(OSError) as e:
        publish.notebook_html(res.output, hide_mimes=(record.MIME,))
    assert e.value.errno == errno.ENOSPC
    assert page.read_text() == good and good.rstrip().endswith("</html>")
    assert sorted(p.name for p in out.iterdir()) == ["toy.html", "toy.ipynb"]


def outcome(T):
    return execute.RunResult("toy.ipynb", f"toy[T={T}].ipynb", True, 1.0, {"T": T}, {"twice_T": 2 * T})


def test_a_full_disk_while_the_table_is_written_keeps_the_old_table(tmp_path, monkeypatch):
    sweep.write_table(tmp_path, ["T"], [outcome(0.1), outcome(0.5)], "toy")
    before = {n: (tmp_path / n).read_text() for n in ("results.csv", "results.md")}
    full_disk_at(monkeypatch, tmp_path)
    with pytest.raises(OSError):
        sweep.write_table(tmp_path, ["T"], [outcome(0.1), outcome(0.5), outcome(1.0)], "toy")
    assert {n: (tmp_path / n).read_text() for n in before} == before


def test_a_full_disk_while_the_summary_is_written_keeps_the_old_one(tmp_path, monkeypatch):
    done = execute.RunResult("01_x.ipynb", str(tmp_path / "01_x.ipynb"), True, 1.0, {}, {"a": 1})
    workbook.write_summary(tmp_path, "smoke", [done])
    names = ("results.json", "summary.md", "index.html")
    before = {n: (tmp_path / n).read_text() for n in names}
    full_disk_at(monkeypatch, tmp_path)
    with pytest.raises(OSError):
        workbook.write_summary(tmp_path, "smoke", [done, done])
    assert {n: (tmp_path / n).read_text() for n in names} == before
    assert json.loads(before["results.json"])["profile"] == "smoke"


@pytest.mark.parametrize("live", [False, True], ids=["dangling", "live"])
def test_a_symlink_at_a_runs_outputs_is_replaced_not_written_through(toy_notebook, tmp_path, live):
    nb, out, elsewhere = toy_notebook(), tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    for name in ("toy.ipynb", "toy.html"):
        if live:
            (elsewhere / name).write_text("keep me")
        (out / name).symlink_to(elsewhere / name)
    res = execute.run(nb, {}, out, progress=False)
    assert res.ok and res.html, (res.error, res.html_error)
    for name in ("toy.ipynb", "toy.html"):
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 1000
    assert sorted(p.name for p in elsewhere.iterdir()) == (["toy.html", "toy.ipynb"] if live else [])
    assert all((elsewhere / n).read_text() == "keep me" for n in os.listdir(elsewhere))


@pytest.mark.parametrize("live", [False, True], ids=["dangling", "live"])
def test_a_symlink_at_a_tables_or_summarys_name_is_replaced(tmp_path, live):
    out, victim = tmp_path / "out", tmp_path / "victim"
    out.mkdir()
    victim.mkdir()
    names = ("results.csv", "results.md", "results.json", "summary.md", "index.html")
    for name in names:
        if live:
            (victim / name).write_text("keep me")
        (out / name).symlink_to(victim / name)
    sweep.write_table(out, ["T"], [outcome(0.1), outcome(0.5)], "toy")
    done = execute.RunResult("01_x.ipynb", str(out / "01_x.ipynb"), True, 1.0, {}, {"a": 1})
    workbook.write_summary(out, "smoke", [done])
    assert not any((out / n).is_symlink() for n in names)
    assert [p.read_text() for p in victim.iterdir()] == (["keep me"] * len(names) if live else [])
