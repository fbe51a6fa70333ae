"""A run anyone can read: the workbook writes each executed notebook as a self-contained HTML page
and an index.html that links them with times, status and recorded results."""
import json
import re

import pytest

from colorlab.workbook import publish, record, workbook
from html_pages import linked_images
from test_runs import make_notebook

PARAMS = 'profile = "auto"  # smoke | cpu | gpu | auto\nout_dir = "."  # checkpoints\n'
PLOT = ("import matplotlib.pyplot as plt\nfrom colorlab import runs\n"
        "plt.plot([0, 1, 2], [0, 1, 4]); plt.title('a parabola'); plt.show()\n"
        "runs.record('toy/peak', 4.25)\n")
FAIL = ("from colorlab import runs\nruns.record('toy/before', 'recorded')\n"
        "raise ValueError('this notebook fails on purpose')\n")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wb")
    notebooks = [make_notebook(tmp / "01_plot.ipynb", PLOT, PARAMS),
                 make_notebook(tmp / "02_fail.ipynb", FAIL, PARAMS)]
    return workbook.workbook("smoke", tmp / "run", notebooks, progress=False)


def test_every_notebook_has_a_self_contained_page(run_dir):
    for name in ("01_plot", "02_fail"):
        page = (run_dir / f"{name}.html").read_text()
        assert "<html" in page and linked_images(page) == []
    plot = (run_dir / "01_plot.html").read_text()
    images = re.findall(r'<img[^>]*src="data:image/png;base64,([A-Za-z0-9+/=]{1000,})"', plot)
    assert len(images) == 1                       # the figure, inline
    assert "this notebook fails on purpose" in (run_dir / "02_fail.html").read_text()
    assert record.MIME not in plot                  # recorded values are not shown as raw JSON
    body = plot[plot.index("<body"):]
    assert body.index('href="index.html"') < body.index("<img")   # a way back, at the top


def test_index_links_pages_and_shows_status_times_and_results(run_dir):
    index = (run_dir / "index.html").read_text()
    assert '<a href="01_plot.html">01_plot</a>' in index
    assert '<a href="02_fail.html">02_fail</a>' in index
    assert '<a href="01_plot.ipynb">' in index
    assert "<code>toy/peak</code></td><td class=\"num\">4.25</td>" in index
    assert "FAILED" in index and "ValueError: this notebook fails on purpose" in index
    data = json.loads((run_dir / "results.json").read_text())
    for nb in data["notebooks"]:
        assert f'{nb["seconds"]:.1f}</td>' in index
        assert nb["html"].endswith(".html") and nb["html_error"] == ""
    summary = (run_dir / "summary.md").read_text()
    assert "[index.html](index.html)" in summary and "[html](01_plot.html)" in summary


def test_a_failed_export_is_logged_and_marked_not_fatal(tmp_path, monkeypatch, capsys):
    def broken(*a, **k):
        raise RuntimeError("template missing")
    monkeypatch.setattr(publish, "notebook_html", broken)
    nb = make_notebook(tmp_path / "01_plot.ipynb", PLOT, PARAMS)
    run_dir = workbook.workbook("smoke", tmp_path / "run", [nb], progress=False)
    (res,) = json.loads((run_dir / "results.json").read_text())["notebooks"]
    assert res["ok"] and res["html"] == "" and "template missing" in res["html_error"]
    assert "no HTML page (RuntimeError: template missing)" in capsys.readouterr().out
    index = (run_dir / "index.html").read_text()
    assert "no HTML page: RuntimeError: template missing" in index and "4.25" in index
    assert "no HTML: RuntimeError: template missing" in (run_dir / "summary.md").read_text()


def test_linked_images_finds_what_is_not_embedded():
    page = '<img src="data:image/png;base64,AAAA"><img alt="x" src="fig.png"><img src=\'a/b.svg\'>'
    assert linked_images(page) == ["fig.png", "a/b.svg"]
