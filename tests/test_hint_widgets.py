"""The hint painter and the coverage widget, driven through their callbacks without a browser:
strokes land where the mouse was, the eyedropper takes the true colour, undo and clear work,
save writes the PNG the command line reads, and both widgets work for zhang_hints and hnet."""
import numpy as np
import pytest
import torch

from colorlab import hints, models, tasks
from tests.test_train import toy_photos

pytest.importorskip("ipywidgets")
pytest.importorskip("ipycanvas")
from colorlab import widgets  # noqa: E402


def hint_model(name):
    torch.manual_seed(0)
    if name == "hnet":
        model = models.HNet.from_rtnet(models.build("rtnet", width=0.125, activation="sigmoid"))  # never all-zero
        model.task_state = tasks.PaletteFromHints(size=16, profile="smoke").state()
    else:
        model = models.build(name, width=0.125)
        model.task_state = tasks.UserHints(size=16, profile="smoke").state()
    return model.eval()


@pytest.mark.parametrize("name", ["zhang_hints", "hnet"])
def test_painter_strokes_undo_clear_and_save(tmp_path, name):
    photo = toy_photos(1, size=48)[0]
    p = widgets.hint_painter(hint_model(name), photo, truth=photo, size=48, brush=2)
    _ = p.widget                                           # builds the canvas; draws once
    assert p.canvas.width == 48 and p.canvas.layout.width == "48px"
    before = p.output.copy()
    p.colour = "#00ff00"
    p.stroke([(10, 20), (14, 20), (18, 20)])
    m = p.hints["hint_mask"][0, 0]
    assert m[20, 10] == 1 and m[20, 18] == 1 and m[20, 10 + 12] == 0 and m[5, 5] == 0
    assert p.hints["hint_ab"][0, 0, 20, 14] < -50          # green: a strongly negative
    assert 0 < p.coverage < 0.2 and not np.array_equal(before, p.output)   # the network saw the stroke
    assert np.isfinite(p.last_ms) and len(p.redraw_ms) == 2
    # eyedropper: the true colour at the click
    p.eyedropper = True
    p.mouse_down(30, 5)
    assert p.colour == "#{:02x}{:02x}{:02x}".format(*photo[5, 30])
    assert p._picker.value == p.colour
    p.eyedropper = False
    p.stroke([(40, 40)])
    assert p.hints["hint_mask"][0, 0, 40, 40] == 1
    p.undo()
    assert p.hints["hint_mask"][0, 0, 40, 40] == 0 and p.hints["hint_mask"][0, 0, 20, 14] == 1
    p.save(tmp_path / "h.png")
    back = hints.from_image(tmp_path / "h.png")
    assert torch.equal(back["hint_mask"], p.hints["hint_mask"])
    p.clear()
    assert p.coverage == 0
    p.undo()
    assert p.coverage > 0


def test_painter_refuses_a_model_without_hints():
    torch.manual_seed(0)
    model = models.build("regression", width=0.125)
    with pytest.raises(ValueError, match="takes hints"):
        widgets.hint_painter(model, toy_photos(1, size=16)[0])


@pytest.mark.parametrize("name", ["zhang_hints", "hnet"])
def test_coverage_widget_redraws_nested_hints(name):
    photo = toy_photos(1, size=32)[0]
    ex = widgets.coverage_explorer(hint_model(name), photo, size=32)
    r0, r10 = ex.render("points", 0), ex.render("points", 10)
    assert r0["coverage"] == 0 and r10["coverage"] > 0 and r10["error"].shape == (32, 32, 3)
    m5, m10 = ex.hints_for("points", 5)["hint_mask"], ex.hints_for("points", 10)["hint_mask"]
    assert torch.all(m10 >= m5)                              # nested: hints are only added
    c3, c4 = ex.hints_for("circles", 3)["hint_mask"], ex.hints_for("circles", 4)["hint_mask"]
    assert torch.all(c4 >= c3)
    _ = ex.widget
    ex.update("points", 50)
    assert ex.slider.value == 50 and "50 points" in ex._info.value and np.isfinite(ex.last_ms)
    ex.update("circles")
    assert ex.slider.max == 25 and ex.slider.value == 25 and ex.kind == "circles"
