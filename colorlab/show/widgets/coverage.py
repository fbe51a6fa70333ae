"""The coverage widget: how much colour must a user give before the network gets the photo right?

A slider sets the number of simulated hints (SIGGRAPH17 point patches or Daly & Zhao circles, a
toggle picks the kind); each move redraws the hints, the network's colouring, the error map and
the PSNR for one photo. The hints are nested: moving from n to n + 1 adds one hint and keeps the
others, so what changes on screen is what that hint did.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from colorlab import metrics, tasks
from colorlab.color import lab_to_rgb, rgb_to_lab
from colorlab.data import hints
from colorlab.show.widgets.common import (LazyWidget, as_rgb_float, png, resize_rgb, still,
                                          torch_threads)

ERROR_MAX = 50.0         # Lab units: the error map's colour scale saturates here
KINDS = ("points", "circles")
MAX_HINTS = {"points": 200, "circles": 25}   # slider range per kind (Daly & Zhao draw 1–25 circles)


def error_map(ab_pred: torch.Tensor, ab_true: torch.Tensor, vmax: float = ERROR_MAX) -> np.ndarray:
    """Per-pixel ab error |Δab| (Lab units) as an (H, W, 3) RGB picture, 0 black → ``vmax`` white
    (matplotlib's "magma"). ab_pred, ab_true: (1, 2, H, W)."""
    import matplotlib
    err = (ab_pred - ab_true).float().norm(dim=1)[0].numpy()
    return matplotlib.colormaps["magma"](np.clip(err / vmax, 0, 1))[..., :3]


def hint_overlay(L: torch.Tensor, hint: dict) -> np.ndarray:
    """The gray photo with the hinted pixels in their hint colour: (H, W, 3) float RGB."""
    m = hint["hint_mask"]
    return lab_to_rgb(torch.cat([L, hint["hint_ab"] * m], 1))[0].permute(1, 2, 0).numpy()


class CoverageExplorer(LazyWidget):
    """Colour one photo with 0 … n simulated hints and show what they change.

    model: a model whose task takes hints (``tasks.WithHints``: ``zhang_hints``, ``hnet``).
    image: a colour photo (path or array): its lightness is coloured, its colours give the hints
      and the truth. size: the short side the network sees (None: the size the model was
      trained at). seed: the hints' generator. point_sizes: patch sides of the point hints, px.
    threads: torch threads per redraw (1 by default: fastest on a busy 2-core machine).

    ``render(kind, n)`` → dict with ``hints`` / ``output`` / ``error`` pictures (H, W, 3),
    ``psnr`` (dB, 8-bit sRGB, against the photo) and ``coverage``; the widget shows these under a
    slider and a toggle. ``last_ms``: the last redraw's milliseconds (model, pictures, PNGs).
    """

    def __init__(self, model, image, size: int | None = None, seed: int = 0,
                 point_sizes=(2,), kind: str = "points", n: int = 10, threads: int | None = 1):
        task = tasks.of(model)
        if not isinstance(task, tasks.WithHints):
            raise ValueError(f"the coverage explorer needs a model that takes hints; a "
                             f"{type(tasks.unwrap(model)).__name__} is trained by {type(task).__name__}")
        rgb = resize_rgb(as_rgb_float(image), int(size or task.size))
        self.model, self.task, self.threads = model, task, threads
        self.rgb = rgb
        lab = torch.from_numpy(rgb_to_lab(rgb).astype(np.float32)).permute(2, 0, 1)[None]
        self.L, self.ab = lab[:, :1], lab[:, 1:]
        h, w = rgb.shape[:2]
        g = torch.Generator().manual_seed(seed)
        # nested hints: point patch k is hint k; circle masks accumulate one circle at a time
        self._ids = hints.points(h, w, 1, n=MAX_HINTS["points"], sizes=point_sizes, gen=g)
        circ = [torch.zeros(1, 1, h, w)]
        for _ in range(MAX_HINTS["circles"]):
            circ.append(torch.maximum(circ[-1], hints.circles(h, w, 1, n=1, gen=g)))
        self._circles = circ
        self.kind, self.n = kind, n
        self.last_ms = float("nan")
        self.psnr_now = float("nan")
        self._widget = None

    # --- computation (no widgets) --------------------------------------------------------------
    def hints_for(self, kind: str, n: int) -> dict:
        """The first ``n`` hints of ``kind`` for this photo: the hint dict (1, …, H, W)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        n = int(np.clip(n, 0, MAX_HINTS[kind]))
        mask = self._ids * (self._ids <= n) if kind == "points" else self._circles[n]
        return hints.make(self.ab, mask)

    @torch.no_grad()
    def predict(self, hint: dict) -> torch.Tensor:
        """ab (1, 2, H, W) the model paints with these hints."""
        dev = next(self.model.parameters()).device
        was = self.model.training
        self.model.eval()
        batch = self.task.inference_batch(self.L.to(dev), **{k: v.to(dev) for k, v in hint.items()})
        ab = self.task.predict_ab(self.model, batch).float().cpu()
        self.model.train(was)
        return ab

    def render(self, kind: str, n: int) -> dict:
        """Hints, colouring, error map, PSNR and coverage for ``n`` hints of ``kind``."""
        hint = self.hints_for(kind, n)
        ab = self.predict(hint)
        out = lab_to_rgb(torch.cat([self.L, ab], 1))[0].permute(1, 2, 0).numpy()
        return {"hints": hint_overlay(self.L, hint), "output": out, "error": error_map(ab, self.ab),
                "psnr": float(metrics.psnr(out, self.rgb)),
                "coverage": float(hints.coverage(hint["hint_mask"])[0])}

    # --- the widget -----------------------------------------------------------------------------
    @property
    def slider(self):
        _ = self.widget
        return self._slider

    @property
    def toggle(self):
        _ = self.widget
        return self._toggle

    def _build(self):
        """Toggle (kind) and slider (number of hints) over three images and one line of text."""
        import ipywidgets as W
        h, w = self.rgb.shape[:2]
        scale = max(1, 192 // max(h, w))            # show small photos larger
        self._toggle = W.ToggleButtons(options=list(KINDS), value=self.kind, description="hints")
        self._slider = W.IntSlider(value=self.n, min=0, max=MAX_HINTS[self.kind], description="number",
                                   continuous_update=True, layout=W.Layout(width="480px"))
        self._images = [W.Image(format="png", width=w * scale, height=h * scale) for _ in range(3)]
        caps = [W.HTML("<b>hints</b>"), W.HTML("<b>network</b>"), W.HTML(f"<b>|Δab|</b> (white ≥ {ERROR_MAX:g})")]
        self._info = W.HTML()
        self._widget = W.VBox([self._toggle, self._slider,
                               W.HBox([W.VBox([c, im]) for c, im in zip(caps, self._images)]), self._info])
        self._slider.observe(lambda ch: self._redraw(self._toggle.value, int(ch["new"])), names="value")
        self._toggle.observe(self._on_kind, names="value")
        self._redraw(self.kind, self.n)

    def _on_kind(self, change):
        kind = change["new"]
        self._slider.max = MAX_HINTS[kind]
        self._redraw(kind, min(self._slider.value, MAX_HINTS[kind]))

    def _redraw(self, kind: str, n: int):
        t0 = time.perf_counter()
        with torch_threads(self.threads):
            r = self.render(kind, n)
            for im, key in zip(self._images, ("hints", "output", "error")):
                im.value = png(r[key])
        self.kind, self.n, self.psnr_now = kind, n, r["psnr"]
        self.last_ms = (time.perf_counter() - t0) * 1000
        self._info.value = (f"{n} {kind} · coverage {100 * r['coverage']:.1f} % · PSNR {r['psnr']:.2f} dB"
                            f" · redraw {self.last_ms:.0f} ms")

    def update(self, kind: str | None = None, n: int | None = None) -> None:
        """Set the toggle and the slider (as a user would); the pictures follow."""
        _ = self.widget
        kind = kind or self._toggle.value
        if kind != self._toggle.value:
            self._toggle.value = kind
        n = int(np.clip(self._slider.value if n is None else n, 0, MAX_HINTS[kind]))
        if n == self._slider.value:
            self._redraw(kind, n)
        else:
            self._slider.value = n

    def still(self, kind: str | None = None, counts=(0, 10, 100)):
        """A matplotlib figure: the colouring with a few numbers of hints (what the widget shows)."""
        kind = kind or self.kind
        counts = [min(c, MAX_HINTS[kind]) for c in counts]
        rs = [self.render(kind, c) for c in counts]
        return still([r["output"] for r in rs] + [self.rgb],
                     [f"{c} {kind}: {r['psnr']:.1f} dB" for c, r in zip(counts, rs)] + ["truth"],
                     "coverage widget, still")

    def _ipython_display_(self):
        import matplotlib.pyplot as plt
        from IPython.display import display
        display(self.widget)
        fig = self.still()
        display(fig)
        plt.close(fig)


def coverage_explorer(model, image, size: int | None = None, seed: int = 0, point_sizes=(2,),
                      kind: str = "points", n: int = 10, threads: int | None = 1) -> CoverageExplorer:
    """A :class:`CoverageExplorer` for ``model`` on ``image``; show it as a cell's last value."""
    return CoverageExplorer(model, image, size=size, seed=seed, point_sizes=point_sizes, kind=kind,
                            n=n, threads=threads)
