"""The temperature widget: Zhang et al. 2016's annealed mean under a log-scale slider.

Move the temperature T from 1 (the mean of the predicted distribution, dull) down to 0.01 (almost
the mode, vivid but patchy) and watch the colours change. The model runs once; each slider step
only recomputes softmax(logits / T) · bin centres.
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from colorlab import metrics, tasks
from colorlab.color import bins, lab_to_rgb, rgb_to_lab
from colorlab.show.widgets.common import (LazyWidget, as_rgb_float, png, resize_rgb, still,
                                          torch_threads)

T_MIN, T_MAX = 0.01, 1.0    # slider range; 0.01 is the mode for any practical purpose
STILL_T = (1.0, 0.38, 0.01)  # the temperatures of the still picture


class TemperatureExplorer(LazyWidget):
    """The annealed mean of a 313-way model at any temperature T, under a log-scale slider.

    model: a model whose task predicts a distribution over the 313 ab bins
      (``tasks.Classification`` or a task built on it, e.g. ``zhang_eccv16``): its output is
      logits (N, 313, h, w) at 1/4 resolution.
    image: a path or an (H, W) / (H, W, 3) array (uint8 or float in [0, 1]); colour images are
      reduced to their lightness L. size: the short side, px, that the image is resized to
      before anything else (None: keep it); the model sees L at that size and the result is
      shown at that size.
    T: the starting temperature (0.38, Zhang et al. 2016 §2.3).
    threads: torch threads for a redraw (default 1: a redraw is a few small tensor operations,
      and on a busy 2-core machine two threads fighting other jobs were measured several times
      slower than one; None: torch's current setting). Restored after each redraw.

    The model runs ONCE, here: ``.logits`` (1, 313, h, w) float32. Each new T only recomputes
    softmax(logits / T) · centres at 1/4 resolution, upsamples ab bilinearly, adds L and
    encodes a PNG. Attributes: ``.L`` (H, W) float, ``.logits``, ``.T`` (the current
    temperature), ``.last_ms`` (milliseconds of the last redraw), ``.colorfulness_now`` (of the
    image shown), ``.widget`` (the ipywidgets container, built on first use), ``.slider``,
    ``.images`` (the three ``ipywidgets.Image``s: annealed mean at T, mean, mode), ``.info`` (an
    ``ipywidgets.HTML`` with T, the colourfulness and the redraw time).
    """

    def __init__(self, model, image, T: float = bins.T_ANNEAL, size: int | None = 256,
                 threads: int | None = 1):
        task = tasks.of(model)
        if not isinstance(task, tasks.Classification):
            raise ValueError(f"the temperature explorer needs a model that predicts a distribution "
                             f"over the 313 ab bins; a {type(model).__name__} is trained by "
                             f"{type(task).__name__}")
        if not T_MIN <= T <= T_MAX:
            raise ValueError(f"T must lie in [{T_MIN}, {T_MAX}], got {T}")
        rgb = as_rgb_float(image)
        if size is not None:
            rgb = resize_rgb(rgb, size)
        self.L = rgb_to_lab(rgb)[..., 0].astype(np.float32)                 # (H, W), 0…100
        self._L_t = torch.from_numpy(self.L)[None, None]                     # (1, 1, H, W)
        try:
            device = next(model.parameters()).device
        except StopIteration:
            device = torch.device("cpu")
        was_training = model.training
        model.eval()
        with torch.no_grad():
            batch = task.inference_batch(self._L_t.to(device))
            self.logits = task.forward(model, batch).float().cpu()          # the only forward
        model.train(was_training)
        self._centres = torch.as_tensor(bins.ab_bins(), dtype=torch.float32)   # (313, 2)
        # one row per network pixel, the 313 logits contiguous: a fast softmax over the last axis
        self._flat = self.logits[0].flatten(1).T.contiguous()                 # (h·w, 313)
        self.T = float(T)
        self.threads = threads
        self.last_ms = float("nan")          # ms of the last redraw (NaN until the widget draws)
        self.colorfulness_now = float("nan")  # colourfulness of the image on screen
        self._widget = None

    # --- computation (no widgets) ----------------------------------------------------------------
    def _upsample(self, ab_small: torch.Tensor) -> torch.Tensor:
        """ab (1, 2, h, w) at the network's resolution → (1, 2, H, W) at the image's."""
        return F.interpolate(ab_small, size=self.L.shape, mode="bilinear", align_corners=False)

    def _to_rgb(self, ab: torch.Tensor) -> np.ndarray:
        lab = torch.cat([self._L_t, ab], dim=1)                              # (1, 3, H, W)
        return lab_to_rgb(lab)[0].permute(1, 2, 0).numpy()

    def ab(self, T: float) -> torch.Tensor:
        """Annealed-mean ab at temperature T, upsampled to the image: (1, 2, H, W) Lab units."""
        with torch.no_grad():
            probs = torch.softmax(self._flat / T, dim=1)                      # (h·w, 313)
            ab_small = (probs @ self._centres).T.reshape(1, 2, *self.logits.shape[-2:])
            return self._upsample(ab_small)

    def render(self, T: float) -> np.ndarray:
        """The colorization at temperature T: (H, W, 3) float RGB in [0, 1]."""
        return self._to_rgb(self.ab(T))

    def render_mode(self) -> np.ndarray:
        """The mode (the most probable bin per network pixel), upsampled: (H, W, 3) float RGB."""
        with torch.no_grad():
            return self._to_rgb(self._upsample(bins.mode(self.logits)))

    def colorfulness(self, T: float) -> float:
        """Hasler & Süsstrunk colourfulness of :meth:`render` (T)."""
        return float(metrics.colorfulness(self.render(T)))

    # --- the widget ------------------------------------------------------------------------------
    @property
    def slider(self):
        """The ``ipywidgets.FloatLogSlider`` for T (10^-2 … 10^0)."""
        return self.widget.children[0]

    @property
    def images(self) -> list:
        """The three ``ipywidgets.Image``s: annealed mean at T, mean (T = 1), mode."""
        _ = self.widget
        return self._images

    @property
    def info(self):
        """The ``ipywidgets.HTML`` line under the images: T, colourfulness, redraw time."""
        _ = self.widget
        return self._info

    def _build(self):
        """The ipywidgets container: the slider, three images side by side, one line of text."""
        import ipywidgets as W
        slider = W.FloatLogSlider(value=self.T, base=10, min=math.log10(T_MIN),
                                  max=math.log10(T_MAX), step=0.01, description="T",
                                  readout_format=".3f", continuous_update=True,
                                  layout=W.Layout(width="480px"))
        side = self.L.shape[1]
        self._images = [W.Image(format="png", width=side, height=self.L.shape[0])
                        for _ in range(3)]
        mean_rgb = self.render(1.0)
        self._cf_mean = float(metrics.colorfulness(mean_rgb))
        self._images[1].value = png(mean_rgb)
        self._images[2].value = png(self.render_mode())
        self._captions = [W.HTML(), W.HTML("<b>mean</b> (T = 1)"), W.HTML("<b>mode</b> (T → 0)")]
        self._info = W.HTML()
        panels = [W.VBox([c, im]) for c, im in zip(self._captions, self._images)]
        self._widget = W.VBox([slider, W.HBox(panels), self._info])
        slider.observe(self._on_slider, names="value")
        self._redraw(self.T)

    def _on_slider(self, change):
        self._redraw(float(change["new"]))

    def _redraw(self, T: float):
        """Recompute the image at T and put it on screen; sets ``last_ms``."""
        t0 = time.perf_counter()
        with torch_threads(self.threads):
            rgb = self.render(T)
            self.T = T
            self._images[0].value = png(rgb)
            m = float(metrics.colorfulness(rgb))
        self._captions[0].value = f"<b>annealed mean</b> (T = {T:.3f})"
        self.last_ms = (time.perf_counter() - t0) * 1000
        self.colorfulness_now = m
        self._info.value = (f"T = {T:.3f} · colourfulness {m:.1f} "
                           f"(mean {self._cf_mean:.1f}) · redraw {self.last_ms:.0f} ms")

    def update(self, T: float) -> None:
        """Move the slider to T (clipped to its range); the image and the text follow."""
        T = float(np.clip(T, T_MIN, T_MAX))
        slider = self.slider
        if math.isclose(slider.value, T, rel_tol=1e-12):
            self._redraw(T)          # the same value fires no change event: redraw anyway
        else:
            slider.value = T

    def still(self, temperatures=STILL_T):
        """A matplotlib figure of the photo at a few temperatures: what the widget shows, kept."""
        return still([self.render(T) for T in temperatures],
                     [f"T = {T:g} (colourfulness {self.colorfulness(T):.0f})" for T in temperatures],
                     "temperature widget, still")

    def _ipython_display_(self):
        import matplotlib.pyplot as plt
        from IPython.display import display
        display(self.widget)
        fig = self.still()
        display(fig)
        plt.close(fig)


def temperature_explorer(model, image, T: float = bins.T_ANNEAL, size: int | None = 256,
                         threads: int | None = 1) -> TemperatureExplorer:
    """A :class:`TemperatureExplorer` for ``model`` on ``image``; show it by making it the last
    value of a cell (or ``display(explorer.widget)``)."""
    return TemperatureExplorer(model, image, T=T, size=size, threads=threads)
