"""The widgets in a real browser: what a student does in JupyterLab reaches the kernel and back.

nbval never runs widget JavaScript, so this test does: for each case it writes a small notebook
into the server's folder, opens it in JupyterLab in headless Chromium, runs all cells through the
Run menu, waits for the widget to render, does what a student does (drags a slider, presses a
key, paints, clicks) and waits until the kernel's answer (new text, a new image) appears in the
page. Screenshots go to build/browser-screenshots/ (printed at the end of the run).

Adding a widget: write a ``Case`` (the cells that build and show it, a CSS selector that shows it
has rendered, and ``act``, the student's moves with a wait for each answer) and add it to
``CASES``. Fixtures (server, browser, screenshots) are in conftest.py.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
WIDGETS = ROOT / "colorlab" / "show" / "widgets"

KERNEL_IDLE_S = 180     # the kernel starts (imports nothing yet) on a busy 2-core machine
RENDER_S = 300          # the cells run: import torch, build a model, one forward pass, first draw
ANSWER_S = 120          # a slider move → the kernel redraws → the page shows it
POLL_S = 0.25

pytestmark = pytest.mark.slow


# --- helpers --------------------------------------------------------------------------------------
def photo_expr() -> str:
    """Python source for the photo the widget notebooks use: a bundled flower, else a gradient."""
    flowers = sorted((ROOT / "data" / "flowers").rglob("*.jpg"))
    if flowers:
        return repr(str(flowers[0]))
    return ("(lambda y, x: np.stack([0.5 + 0.4 * np.sin(6 * x), 0.5 + 0.4 * np.cos(5 * y), "
            "0.3 + 0.5 * x * y], -1))(*np.mgrid[0:64, 0:64] / 64.0)")


def poll(page, check: Callable[[], bool], timeout: float) -> bool:
    """Call ``check`` until it is true (→ True) or ``timeout`` s pass (→ False)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(POLL_S * 1000)
    return True


def wait_until(page, check: Callable[[], bool], timeout: float, message: Callable[[], str]):
    """Poll ``check`` until true; else fail with ``message()``, computed at that moment."""
    if not poll(page, check, timeout):
        pytest.fail(message(), pytrace=False)


# JupyterLab renders an error output as stderr text (data-mime-type .../vnd.jupyter.stderr), like
# a stream to stderr: an error is told apart by its "SomeError: …" / "SomeError   Traceback" line.
ERROR_LINE = re.compile(r"^(\w+\.)*\w*(Error|Exception|Interrupt|Exit)(:|\s+Traceback)", re.M)


def error_outputs(page) -> list[str]:
    """The text of every stderr output (warnings and tracebacks) in the open notebook."""
    return page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                        ).all_inner_texts()


def tracebacks(page) -> list[str]:
    """The text of every error output (a cell that raised) in the open notebook."""
    return [t for t in error_outputs(page) if ERROR_LINE.search(t)]


def run_all_cells(page):
    """Run ▸ Run All Cells, as a student would (JupyterLab has no default key for it)."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*Run\s*$")).click()
    page.locator(".lm-Menu-item", has_text=re.compile(r"^\s*Run All Cells\s*$")).click()


def drag_horizontally(page, handle, dx: float, steps: int = 12):
    """Press the mouse on ``handle``, move it ``dx`` px sideways in ``steps`` steps, release."""
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    assert box, "the slider handle has no box on the page (hidden?)"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(x + dx * i / steps, y)
        page.wait_for_timeout(40)
    page.mouse.up()


# --- the cases ------------------------------------------------------------------------------------
@dataclass
class Case:
    """One widget: the notebook that shows it and what a student does with it.

    module: the file in colorlab/widgets/ the case needs (the case is only listed when it exists).
    cells: code cells; the LAST one shows the widget.
    ready: CSS selector, inside the last cell's output, present once the widget has rendered.
    act(page, out, shots): the student's moves, each followed by a wait for the kernel's answer
      in the page and a screenshot; ``out`` is the last cell's output area (a Locator).
    """
    name: str
    module: str
    cells: list[str]
    ready: str
    act: Callable
    marks: list = field(default_factory=list)


T_RE = re.compile(r"T = ([0-9.]+)")


def _temperature_act(page, out, shots):
    info = out.locator(".widget-html-content", has_text="colourfulness").first
    readout = out.locator(".widget-readout").first
    handle = out.locator(".widget-slider .noUi-handle").first
    annealed = out.locator("img").first            # annealed mean at T; then mean, mode

    def info_T():
        m = T_RE.search(info.inner_text())
        return float(m.group(1)) if m else None

    def settled_on_new_T(before_T, before_src):
        """The kernel has answered the slider: info shows the slider's T and a new image."""
        def check():
            try:
                shown, wanted = info_T(), float(readout.inner_text())
            except ValueError:
                return False
            return (shown is not None and abs(shown - wanted) <= 0.0015
                    and abs(shown - before_T) > 0.0015
                    and annealed.get_attribute("src") != before_src)
        return check

    def msg(what, before_T):
        return (f"after {what} the kernel's answer did not appear within {ANSWER_S} s: the slider "
                f"reads {readout.inner_text()!r}, the info line says {info.inner_text()!r} (it "
                f"said T = {before_T:.3f} before); errors in the page: {error_outputs(page)}")

    T0 = info_T()
    assert T0 is not None and abs(T0 - 0.38) < 0.0015, \
        f"the widget should start at T = 0.380; its info line says {info.inner_text()!r}"
    src0 = annealed.get_attribute("src")
    assert src0, "the annealed-mean image has no src: the kernel's first image never arrived"

    # 1. drag the handle to the left (towards the mode, T → 0.01)
    drag_horizontally(page, handle, -160)
    moved = float(readout.inner_text())
    assert moved < T0 - 0.01, \
        f"dragging the handle 160 px to the left did not lower T: the slider reads {moved}"
    wait_until(page, settled_on_new_T(T0, src0), ANSWER_S, lambda: msg("the drag", T0))
    shots(page, "dragged", out)
    T1, src1 = info_T(), annealed.get_attribute("src")

    # 2. the keyboard: focus the handle, three steps to the right
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert float(readout.inner_text()) > T1, \
        f"ArrowRight on the focused handle did not raise T: the slider reads {readout.inner_text()}"
    wait_until(page, settled_on_new_T(T1, src1), ANSWER_S, lambda: msg("ArrowRight x3", T1))
    shots(page, "keyboard", out)


TEMPERATURE = Case(
    name="temperature",
    module="temperature.py",
    cells=["import numpy as np\nimport torch\nfrom colorlab import models, widgets\n"
           "torch.manual_seed(0)\nmodel = models.build('zhang_eccv16', width=0.125)",
           f"photo = {photo_expr()}",
           "widgets.temperature_explorer(model, photo, size=64)"],
    ready=".widget-slider .noUi-handle",
    act=_temperature_act,
)

HINT_MODEL = ("import numpy as np\nimport torch\nfrom colorlab import models, widgets\n"
              "torch.manual_seed(0)\nmodel = models.build('zhang_hints', width=0.125).eval()")


def _img_srcs(out) -> list[str]:
    """The src of every image (blob: URLs, a new one for each image the kernel sends)"""
    return out.locator(".jupyter-widgets img").evaluate_all("els => els.map(e => e.src)")


COVERAGE_RE = re.compile(r"(\d+) (points|circles) · coverage ([0-9.]+) %")


def _coverage_act(page, out, shots):
    info = out.locator(".widget-html-content", has_text="coverage").first
    readout = out.locator(".widget-slider .widget-readout").first
    handle = out.locator(".widget-slider .noUi-handle").first

    def shown():
        m = COVERAGE_RE.search(info.inner_text())
        return (int(m.group(1)), m.group(2), float(m.group(3))) if m else None

    def msg(what):
        return (f"after {what} the kernel's answer did not appear within {ANSWER_S} s: the slider "
                f"reads {readout.inner_text()!r}, the info line says {info.inner_text()!r}; "
                f"errors in the page: {error_outputs(page)}")

    n0, kind0, cov0 = shown() or (None, None, None)
    assert (n0, kind0) == (10, "points"), \
        f"the coverage widget should start with 10 points; its info line says {info.inner_text()!r}"
    srcs0 = _img_srcs(out)

    # 1. drag the number-of-hints slider to the right: more hints, more coverage
    drag_horizontally(page, handle, +120)
    n1 = int(readout.inner_text())
    assert n1 > n0, f"dragging the handle 120 px to the right did not add hints: it reads {n1}"
    wait_until(page, lambda: (s := shown()) is not None and s[:2] == (n1, "points") and s[2] > cov0
               and _img_srcs(out)[:2] != srcs0[:2], ANSWER_S, lambda: msg("the drag"))
    shots(page, "dragged", out)

    # 2. the toggle: circles instead of points (a button)
    srcs1 = _img_srcs(out)
    out.locator("button.widget-toggle-button", has_text="circles").click()
    wait_until(page, lambda: (s := shown()) is not None and s[1] == "circles"
               and int(readout.inner_text()) == s[0] and _img_srcs(out)[:2] != srcs1[:2],
               ANSWER_S, lambda: msg("clicking 'circles'"))
    shots(page, "circles", out)


COVERAGE = Case(
    name="coverage",
    module="coverage.py",
    cells=[HINT_MODEL, f"photo = {photo_expr()}",
           "widgets.coverage_explorer(model, photo, size=64, n=10)"],
    ready=".widget-slider .noUi-handle",
    act=_coverage_act,
)


PAINTER_RE = re.compile(r"coverage ([0-9.]+) % · (\d+) strokes to undo")
CANVAS_PIXEL = """(c, [x, y]) => Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data)"""


def _painter_act(page, out, shots):
    info = out.locator(".widget-html-content", has_text="strokes to undo").first
    canvas = out.locator("canvas").first
    result = out.locator(".jupyter-widgets img").first          # the network's recolouring

    def shown():
        m = PAINTER_RE.search(info.inner_text())
        return (float(m.group(1)), int(m.group(2))) if m else None

    def msg(what):
        return (f"after {what} the kernel's answer did not appear within {ANSWER_S} s: the info "
                f"line says {info.inner_text()!r}; errors in the page: {error_outputs(page)}")

    def pixel(x, y):
        return canvas.evaluate(CANVAS_PIXEL, [x, y])[:3]

    assert shown() == (0.0, 0), \
        f"the painter should start without hints; its info line says {info.inner_text()!r}"
    src0 = result.get_attribute("src")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    side = canvas.evaluate("c => [c.width, c.height]")
    assert box and abs(box["width"] - side[0]) <= 1 and abs(box["height"] - side[1]) <= 1, \
        f"the canvas is drawn at {box} but has {side} pixels: clicks would land elsewhere"

    # 1. a stroke from (12, 20) to (40, 20) in canvas pixels, brush colour #d02020 (red)
    y = 20
    page.mouse.move(box["x"] + 12, box["y"] + y)
    page.mouse.down()
    for x in range(14, 41, 2):
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(30)
    page.mouse.up()
    wait_until(page, lambda: (s := shown()) is not None and s[0] > 0 and s[1] == 1
               and result.get_attribute("src") != src0, ANSWER_S, lambda: msg("painting a stroke"))
    r, g, b = pixel(26, y)
    assert r > g + 40 and r > b + 40, \
        f"the stroke at canvas pixel (26, {y}) should show the red hint there; it is {(r, g, b)}"
    far = pixel(26, y + 30)
    assert max(far) - min(far) < 12, \
        f"canvas pixel (26, {y + 30}), far from the stroke, should stay gray: {far}"
    shots(page, "stroke", out)

    # 2. undo (a button): the hints are gone again
    src1 = result.get_attribute("src")
    out.locator("button", has_text=re.compile(r"^\s*undo\s*$")).click()
    wait_until(page, lambda: shown() == (0.0, 0) and result.get_attribute("src") != src1,
               ANSWER_S, lambda: msg("clicking 'undo'"))
    shots(page, "undo", out)


HINT_PAINTER = Case(
    name="hint_painter",
    module="hint_painter.py",
    cells=[HINT_MODEL, f"photo = {photo_expr()}",
           "widgets.hint_painter(model, photo, size=64, brush=4, colour='#d02020')"],
    ready="canvas",
    act=_painter_act,
)

QUIZ_PROGRESS_RE = re.compile(r"photo (\d+) of (\d+)")


def _quiz_act(page, out, shots):
    progress = out.locator(".widget-html-content", has_text=re.compile(r"photo \d+ of|answered")).first
    info = out.locator(".widget-html-content", has_text=re.compile(r"real, or recoloured|you said")).first
    photo = out.locator(".jupyter-widgets img").first

    def at():
        m = QUIZ_PROGRESS_RE.search(progress.inner_text())
        return (int(m.group(1)), int(m.group(2))) if m else None

    def msg(what):
        return (f"after {what} the kernel's answer did not appear within {ANSWER_S} s: the progress "
                f"line says {progress.inner_text()!r}, the info line {info.inner_text()!r}; errors in "
                f"the page: {error_outputs(page)}")

    assert at() == (1, 4), f"the quiz should start at photo 1 of 4; it says {progress.inner_text()!r}"
    # 1. answer the first photo "real": the kernel shows photo 2 (a new image) and what was said
    src0 = photo.get_attribute("src")
    out.get_by_role("button", name="real").click()
    wait_until(page, lambda: at() == (2, 4) and "you said real" in info.inner_text()
               and photo.get_attribute("src") != src0, ANSWER_S, lambda: msg("clicking 'real'"))
    shots(page, "answered", out)
    # 2. the other three "fake": the buttons switch off and the report appears beside the papers'
    for k in (2, 3, 4):
        before = info.inner_text()
        out.get_by_role("button", name="fake").click()
        wait_until(page, lambda: info.inner_text() != before and f"photo {k}: you said fake" in info.inner_text(),
                   ANSWER_S, lambda: msg(f"clicking 'fake' on photo {k}"))
    wait_until(page, lambda: "all 4 photos answered" in progress.inner_text()
               and "45.87 %" in info.inner_text() and "32.00 %" in info.inner_text(),
               ANSWER_S, lambda: msg("the last answer"))
    assert out.get_by_role("button", name="real").is_disabled(), "the buttons should switch off at the end"
    shots(page, "report", out)


QUIZ = Case(
    name="quiz",
    module="quiz.py",
    cells=["import numpy as np\nfrom colorlab import data, widgets\n"
           "flowers = data.load('flowers', size=64, limit=8, progress=False)",
           "real = flowers.images[:4]\nfake = [np.roll(im, 1, axis=-1) for im in flowers.images[4:]]  # colours swapped",
           "widgets.fake_or_real(real, fake, n=4, seed=0, size=96)"],
    ready=".widget-button",
    act=_quiz_act,
)

# More widgets, as other engineers add them to colorlab/show/widgets/: write a Case and add it below.
CASES = [TEMPERATURE, COVERAGE, HINT_PAINTER, QUIZ]


# --- the test -------------------------------------------------------------------------------------
def test_every_case_names_a_widget_module_that_exists():
    """A case whose module moved would otherwise drop out of the parametrization below unseen."""
    assert [c.name for c in CASES if not (WIDGETS / c.module).exists()] == []


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=c.marks) for c in CASES
                                  if (WIDGETS / c.module).exists()])
def test_widget_answers_a_student_in_jupyterlab(case, lab, browser, shots):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in case.cells]
    name = f"widget_{case.name}.ipynb"
    nbformat.write(nb, str(lab.notebooks / name))

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    console = []
    page.on("console", lambda m: m.type == "error" and console.append(m.text))
    t0 = time.monotonic()
    try:
        page.goto(lab.open_url(name, workspace=f"colorlab-{case.name}"), timeout=180_000)
        page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=180_000)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
            timeout=KERNEL_IDLE_S * 1000)
        page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\|\s*Idle")).first.wait_for(
            timeout=KERNEL_IDLE_S * 1000)                    # "Python 3 (ipykernel) | Idle"
        t_open = time.monotonic() - t0

        run_all_cells(page)
        first_prompt = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").first
        started = lambda: first_prompt.inner_text().strip() not in ("", "[ ]:")  # [*]: or [1]:
        if not poll(page, started, 30):      # the click came before the menu was wired: again
            run_all_cells(page)
            wait_until(page, started, 60, lambda: f"Run > Run All Cells did not start the cells "
                                                  f"of {name} (first prompt "
                                                  f"{first_prompt.inner_text()!r})")
        out = page.locator(".jp-Notebook .jp-CodeCell").nth(len(case.cells) - 1).locator(
            ".jp-OutputArea")
        wait_until(page, lambda: bool(tracebacks(page)) or out.locator(case.ready).count() > 0,
                   RENDER_S, lambda: f"the {case.name} widget did not render within {RENDER_S} s "
                                     f"of Run All Cells; browser console errors: {console[-5:]}; "
                                     f"server log:\n{lab.log_tail(15)}")
        if tracebacks(page):
            pytest.fail(f"a cell of the {case.name} notebook raised:\n"
                        + "\n".join(tracebacks(page)), pytrace=False)
        t_render = time.monotonic() - t0
        shots(page, "rendered", out)

        case.act(page, out, shots)
        print(f"\n{case.name}: notebook open {t_open:.1f} s, widget drawn {t_render:.1f} s, "
              f"student's moves answered {time.monotonic() - t0:.1f} s after opening")
    except BaseException:
        try:
            shots(page, "FAILED")
        except Exception:
            pass
        raise
    finally:
        context.close()
        try:
            lab.shut_down(name)          # its kernel would only slow the next case down
        except OSError:
            pass
