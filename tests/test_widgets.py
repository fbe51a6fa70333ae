"""colorlab.show.widgets without a browser: the temperature explorer's images, slider and logits."""
import io
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

ipywidgets = pytest.importorskip("ipywidgets")

from colorlab import bins, metrics, models, widgets  # noqa: E402
from colorlab.color import lab_to_rgb, rgb_to_lab  # noqa: E402


class Counting(torch.nn.Module):
    """Wraps a model and counts its forward calls."""

    task = "classification"

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0

    def forward(self, L):
        self.calls += 1
        return self.model(L)


class FixedLogits(torch.nn.Module):
    """A stand-in network: the same logits (N, 313, ceil(H/4), ceil(W/4)) for any L of a size.

    scale: the logits' standard deviation; gap: if given, each pixel's top logit is raised so it
    leads the second by at least ``gap`` (a clear mode).
    """

    task = "classification"

    def __init__(self, scale=1.0, gap=None, seed=0):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))
        self.scale, self.gap, self.seed, self.calls = scale, gap, seed, 0

    def forward(self, L):
        self.calls += 1
        n, _, h, w = L.shape
        g = torch.Generator().manual_seed(self.seed)
        z = torch.randn(n, bins.Q, math.ceil(h / 4), math.ceil(w / 4), generator=g) * self.scale
        if self.gap is not None:
            top2 = z.topk(2, dim=1).values
            z.scatter_(1, z.argmax(1, keepdim=True), (top2[:, :1] + self.gap))
        return z


@pytest.fixture(scope="module")
def photo():
    """A smooth 48 x 64 colour photo stand-in, uint8."""
    y, x = np.mgrid[0:48, 0:64] / 64.0
    rgb = np.stack([0.5 + 0.4 * np.sin(6 * x), 0.5 + 0.4 * np.cos(5 * y), 0.3 + 0.5 * x * y], -1)
    return np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return models.build("zhang_eccv16", width=0.125).eval()


def test_render_at_T1_is_the_annealed_mean_merged_with_L(tiny, photo):
    ex = widgets.temperature_explorer(tiny, photo, size=None)
    L = torch.from_numpy(rgb_to_lab(photo / 255.0)[..., 0]).float()[None, None]
    with torch.no_grad():
        ab = bins.annealed_mean(tiny(L), T=1.0)
    ab = F.interpolate(ab, size=L.shape[-2:], mode="bilinear", align_corners=False)
    expected = lab_to_rgb(torch.cat([L, ab], 1))[0].permute(1, 2, 0).numpy()
    got = ex.render(1.0)
    assert got.shape == (48, 64, 3)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert ex.logits.shape == (1, bins.Q, 12, 16)


def test_size_sets_the_short_side(tiny, photo):
    ex = widgets.temperature_explorer(tiny, photo, size=32)
    assert ex.render(0.38).shape == (32, 43, 3)


def test_low_temperature_gives_the_mode():
    gray = np.full((32, 32), 128, np.uint8)
    ex = widgets.temperature_explorer(FixedLogits(scale=1.0, gap=0.5), gray, size=None)
    # a lead of 0.5 at T = 0.01 leaves the runner-up a weight of exp(-50): the mode, exactly
    np.testing.assert_allclose(ex.render(0.01), ex.render_mode(), atol=1e-5)
    assert np.abs(ex.render(1.0) - ex.render_mode()).max() > 0.05


def test_lower_temperature_is_more_colourful():
    # Random logits of spread 1: at T = 1 every pixel's distribution is nearly flat, so every
    # pixel gets about the centroid of the bins (one dull colour); as T falls each pixel moves
    # towards its own top bin, a random one of the 313, spread over the whole ab plane.
    ex = widgets.temperature_explorer(FixedLogits(scale=1.0), np.full((64, 64), 140, np.uint8),
                                      size=None)
    cf = [ex.colorfulness(T) for T in (1.0, 0.38, 0.1, 0.01)]
    assert all(a < b for a, b in zip(cf, cf[1:])), cf
    assert cf[-1] > 3 * cf[0]


def test_logits_are_computed_once(tiny, photo):
    model = Counting(tiny)
    ex = widgets.temperature_explorer(model, photo, size=None)
    _ = ex.widget
    for T in np.geomspace(0.01, 1, 12):
        ex.update(T)
        ex.render(T)
    assert model.calls == 1


def test_update_moves_the_slider_and_changes_the_image(tiny, photo):
    threads = torch.get_num_threads()
    ex = widgets.temperature_explorer(tiny, photo, T=0.38, size=None)
    before = ex.images[0].value
    assert ex.slider.value == pytest.approx(0.38)
    ex.update(0.02)
    assert ex.slider.value == pytest.approx(0.02)
    assert ex.T == pytest.approx(0.02)
    after = ex.images[0].value
    assert after != before
    shown = np.asarray(Image.open(io.BytesIO(after)).convert("RGB"))
    np.testing.assert_array_equal(shown, metrics.to_uint8(ex.render(0.02))[0])
    assert math.isfinite(ex.last_ms) and ex.last_ms > 0
    assert "colourfulness" in ex.info.value
    assert torch.get_num_threads() == threads          # the one-thread redraw restores it
    ex.update(0.02)                                      # same value: still redrawn
    assert ex.images[0].value == after


def test_the_slider_is_logarithmic_from_0_01_to_1(tiny, photo):
    s = widgets.temperature_explorer(tiny, photo, size=None).slider
    assert isinstance(s, ipywidgets.FloatLogSlider)
    assert s.base == 10
    assert s.base ** s.min == pytest.approx(0.01)
    assert s.base ** s.max == pytest.approx(1.0)


def test_the_mean_and_mode_panels_are_static(tiny, photo):
    ex = widgets.temperature_explorer(tiny, photo, size=None)
    mean, mode = ex.images[1].value, ex.images[2].value
    ex.update(0.1)
    assert (ex.images[1].value, ex.images[2].value) == (mean, mode)


def test_refuses_a_regression_model(photo):
    with pytest.raises(ValueError, match="313 ab bins"):
        widgets.temperature_explorer(models.build("regression", width=0.125), photo)
