"""The hint painter: paint colour hints on a gray photo and watch the network recolour it.

Click or drag on the gray photo (an ipycanvas canvas) to paint hints with the chosen colour and
brush size; the eyedropper takes the colour from the true photo when one is given; undo and
clear work stroke by stroke. After each stroke the network runs once and the recoloured photo and
the coverage update. ``painter.hints`` are the hints (the dict every hint model takes) and
``painter.save(path)`` writes them as the RGBA PNG that ``python -m colorlab colorize --hints``
reads.

The mouse logic is plain methods (``mouse_down`` / ``mouse_move`` / ``mouse_up`` in canvas pixels,
``undo``, ``clear``, ``pick``), so tests drive it without a browser.
"""
from __future__ import annotations

import time

import numpy as np
import torch
from PIL import Image

from colorlab import tasks
from colorlab.color import lab_to_rgb, rgb_to_lab
from colorlab.data import hints
from colorlab.show.widgets.common import (LazyWidget, as_rgb_float, png, resize_rgb, still,
                                          torch_threads)

SIZE = 224               # px, short side of the photo the painter works on (the 224²)
BRUSHES = (1, 12)        # brush radius range, px


def hex_to_rgb(value: str) -> np.ndarray:
    """"#rrggbb" → (3,) float RGB in [0, 1]."""
    v = value.lstrip("#")
    if len(v) != 6:
        raise ValueError(f"expected a colour as #rrggbb, got {value!r}")
    return np.array([int(v[i:i + 2], 16) for i in (0, 2, 4)], dtype=np.float64) / 255


def rgb_to_hex(rgb) -> str:
    r, g, b = (int(round(float(c) * 255)) for c in np.clip(rgb, 0, 1))
    return f"#{r:02x}{g:02x}{b:02x}"


class HintPainter(LazyWidget):
    """Paint hints on ``image`` for a hint model (``zhang_hints``, ``hnet``).

    model: a model whose task takes hints (``tasks.WithHints``). image: the photo to colour (its
    lightness is used; a path or an array). truth: a colour photo of the same scene for the
    eyedropper (None: ``image`` itself if it has colour). size: the short side the painter and
    the network work at (224). colour: the starting brush colour; brush: radius in px.
    threads: torch threads per redraw (1: fastest on a busy 2-core machine).
    """

    def __init__(self, model, image, truth=None, size: int = SIZE, colour: str = "#d02020",
                 brush: int = 4, threads: int | None = 1):
        task = tasks.of(model)
        if not isinstance(task, tasks.WithHints):
            raise ValueError(f"the hint painter needs a model that takes hints (zhang_hints, hnet); "
                             f"a {type(tasks.unwrap(model)).__name__} is trained by {type(task).__name__}")
        self.model, self.task, self.threads = model, task, threads
        rgb = resize_rgb(as_rgb_float(image), size)
        self.H, self.W = rgb.shape[:2]
        self.L = torch.from_numpy(rgb_to_lab(rgb)[..., 0].astype(np.float32))[None, None]
        self.gray = lab_to_rgb(torch.cat([self.L, torch.zeros(1, 2, self.H, self.W)], 1))[0].permute(1, 2, 0).numpy()
        self.truth = None if truth is None else resize_rgb(as_rgb_float(truth), size)
        if self.truth is not None and self.truth.shape[:2] != (self.H, self.W):
            self.truth = np.asarray(Image.fromarray((self.truth * 255).astype(np.uint8)).resize(
                (self.W, self.H), Image.Resampling.LANCZOS)) / 255.0
        self.colour, self.brush = colour, int(brush)
        self.eyedropper = False
        self.hint_ab = torch.zeros(1, 2, self.H, self.W)
        self.hint_mask = torch.zeros(1, 1, self.H, self.W)
        self._undo: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._down = False
        self._yy, self._xx = torch.meshgrid(torch.arange(self.H, dtype=torch.float32),
                                            torch.arange(self.W, dtype=torch.float32), indexing="ij")
        self.output = self.gray
        self.last_ms = float("nan")
        self.redraw_ms: list[float] = []
        self._widget = None

    # --- the hints --------------------------------------------------------------------------------
    @property
    def hints(self) -> dict:
        """The painted hints: ``{"hint_ab": (1, 2, H, W) Lab units, "hint_mask": (1, 1, H, W)}``."""
        return {"hint_ab": self.hint_ab.clone(), "hint_mask": self.hint_mask.clone()}

    @property
    def coverage(self) -> float:
        return float(hints.coverage(self.hint_mask)[0])

    def save(self, path) -> None:
        """Write the hints as an RGBA PNG (alpha 255 on hints): what ``colorize --hints`` reads."""
        Image.fromarray(hints.to_image(self.hint_ab, self.hint_mask, self.L), "RGBA").save(path)

    def _ab_of(self, colour: str) -> torch.Tensor:
        rgb = torch.tensor(hex_to_rgb(colour), dtype=torch.float32).view(1, 3, 1, 1)
        return rgb_to_lab(rgb)[0, 1:, 0, 0]                      # (2,)

    def paint(self, x: float, y: float) -> None:
        """Paint a disc of radius ``brush`` at canvas pixel (x, y) with the current colour."""
        disc = ((self._yy - y) ** 2 + (self._xx - x) ** 2) <= self.brush ** 2
        ab = self._ab_of(self.colour)
        self.hint_mask[0, 0][disc] = 1.0
        self.hint_ab[0, :, disc] = ab[:, None]

    def pick(self, x: float, y: float) -> str:
        """The eyedropper: set the brush colour to the true photo's colour at (x, y)."""
        if self.truth is None:
            raise ValueError("the eyedropper needs the true photo: hint_painter(model, image, truth=...)")
        i, j = int(np.clip(round(y), 0, self.H - 1)), int(np.clip(round(x), 0, self.W - 1))
        self.colour = rgb_to_hex(self.truth[i, j])
        if self._widget is not None:
            self._picker.value = self.colour
        return self.colour

    # --- mouse callbacks (canvas pixels) ------------------------------------------------------------
    def mouse_down(self, x: float, y: float) -> None:
        if self.eyedropper:
            self.pick(x, y)
            return
        self._undo.append((self.hint_ab.clone(), self.hint_mask.clone()))
        self._down = True
        self.paint(x, y)
        self._draw_canvas()

    def mouse_move(self, x: float, y: float) -> None:
        if self._down:
            self.paint(x, y)
            self._draw_canvas()

    def mouse_up(self, x: float | None = None, y: float | None = None) -> None:
        """End of a stroke: the network recolours the photo."""
        if self._down:
            self._down = False
            self.redraw()

    def stroke(self, points) -> None:
        """A whole stroke through the canvas pixels ``points`` [(x, y), …] (what a drag sends)."""
        (x0, y0), rest = points[0], points[1:]
        self.mouse_down(x0, y0)
        for x, y in rest:
            self.mouse_move(x, y)
        self.mouse_up()

    def undo(self) -> None:
        """Take back the last stroke."""
        if self._undo:
            self.hint_ab, self.hint_mask = self._undo.pop()
            self.redraw()

    def clear(self) -> None:
        """Remove every hint (undo brings them back)."""
        self._undo.append((self.hint_ab.clone(), self.hint_mask.clone()))
        self.hint_ab.zero_()
        self.hint_mask.zero_()
        self.redraw()

    # --- computation ----------------------------------------------------------------------------
    @torch.no_grad()
    def render(self) -> np.ndarray:
        """The photo recoloured with the current hints: (H, W, 3) float RGB in [0, 1]."""
        dev = next(self.model.parameters()).device
        was = self.model.training
        self.model.eval()
        batch = self.task.inference_batch(self.L.to(dev), hint_ab=self.hint_ab.to(dev),
                                          hint_mask=self.hint_mask.to(dev))
        ab = self.task.predict_ab(self.model, batch).float().cpu()
        self.model.train(was)
        return lab_to_rgb(torch.cat([self.L, ab], 1))[0].permute(1, 2, 0).numpy()

    def overlay(self) -> np.ndarray:
        """The gray photo with the painted hints in their colours: (H, W, 3) float RGB."""
        hint_rgb = lab_to_rgb(torch.cat([torch.full_like(self.L, 60.0), self.hint_ab], 1))[0].permute(1, 2, 0).numpy()
        m = self.hint_mask[0, 0].numpy()[..., None]
        return self.gray * (1 - m) + hint_rgb * m

    def redraw(self) -> None:
        """Run the network, show the result and the coverage; sets ``last_ms``."""
        t0 = time.perf_counter()
        with torch_threads(self.threads):
            self.output = self.render()
            if self._widget is not None:
                self._out_image.value = png(self.output)
                self._draw_canvas()
        self.last_ms = (time.perf_counter() - t0) * 1000
        self.redraw_ms.append(self.last_ms)
        if self._widget is not None:
            self._info.value = (f"coverage {100 * self.coverage:.2f} % · {len(self._undo)} strokes to undo"
                                f" · redraw {self.last_ms:.0f} ms")

    # --- the widget ---------------------------------------------------------------------------------
    @property
    def canvas(self):
        _ = self.widget
        return self._canvas

    def _draw_canvas(self) -> None:
        if self._widget is not None:
            self._canvas.put_image_data(np.clip(np.rint(self.overlay() * 255), 0, 255).astype(np.uint8), 0, 0)

    def _build(self):
        """Canvas (paint here) and the recoloured photo side by side, tools above, a line below."""
        import ipywidgets as W
        from ipycanvas import Canvas
        self._canvas = Canvas(width=self.W, height=self.H,
                              layout=W.Layout(width=f"{self.W}px", height=f"{self.H}px"))
        self._canvas.on_mouse_down(self.mouse_down)
        self._canvas.on_mouse_move(self.mouse_move)
        self._canvas.on_mouse_up(self.mouse_up)
        self._canvas.on_mouse_out(self.mouse_up)
        self._picker = W.ColorPicker(value=self.colour, description="colour", concise=False)
        self._picker.observe(lambda ch: setattr(self, "colour", ch["new"]), names="value")
        self._brush = W.IntSlider(value=self.brush, min=BRUSHES[0], max=BRUSHES[1], description="brush")
        self._brush.observe(lambda ch: setattr(self, "brush", int(ch["new"])), names="value")
        self._dropper = W.ToggleButton(value=False, description="eyedropper", disabled=self.truth is None,
                                       tooltip="click the photo to take the true colour there")
        self._dropper.observe(lambda ch: setattr(self, "eyedropper", bool(ch["new"])), names="value")
        undo, clear = W.Button(description="undo"), W.Button(description="clear")
        undo.on_click(lambda _: self.undo())
        clear.on_click(lambda _: self.clear())
        self._out_image = W.Image(format="png", width=self.W, height=self.H)
        self._info = W.HTML()
        tools = W.HBox([self._picker, self._brush, self._dropper, undo, clear])
        self._widget = W.VBox([tools, W.HBox([W.VBox([W.HTML("<b>paint hints here</b>"), self._canvas]),
                                              W.VBox([W.HTML("<b>network</b>"), self._out_image])]),
                               self._info])
        self.redraw()

    def still(self):
        """A matplotlib figure of the painter's state: hints, recoloured photo (and the truth)."""
        panels = [self.overlay(), self.output] + ([self.truth] if self.truth is not None else [])
        caps = [f"hints ({100 * self.coverage:.1f} %)", "network"] + (["truth"] if self.truth is not None else [])
        return still(panels, caps, "hint painter, still")

    def _ipython_display_(self):
        import matplotlib.pyplot as plt
        from IPython.display import display
        display(self.widget)
        fig = self.still()
        display(fig)
        plt.close(fig)


def hint_painter(model, image, truth=None, size: int = SIZE, colour: str = "#d02020", brush: int = 4,
                 threads: int | None = 1) -> HintPainter:
    """A :class:`HintPainter` for ``model`` on ``image``; show it as a cell's last value."""
    return HintPainter(model, image, truth=truth, size=size, colour=colour, brush=brush, threads=threads)
