"""What every widget needs: PNG encoding, a bounded number of torch threads, resizing, stills.

Widgets keep their computation in plain methods (``render`` returns an RGB array) so that tests
check them without a browser; this module holds the small pieces they share.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorlab import metrics
from colorlab.evaluate.inference import as_uint8_rgb

PNG_COMPRESS = 1            # PNG compress level for the shown images: fast over small


class LazyWidget:
    """The ipywidgets of a widget are built the first time ``widget`` is asked for (each widget's
    ``_build``), so its computation (``render``) runs, and is tested, without ipywidgets."""

    _widget = None

    @property
    def widget(self):
        """The ipywidgets container to display; built on first use."""
        if self._widget is None:
            self._build()
        return self._widget


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run the body with ``n`` torch threads (None: leave the setting alone), then restore it."""
    before = torch.get_num_threads()
    if n is not None and n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def png(rgb: np.ndarray) -> bytes:
    """(H, W, 3) float RGB in [0, 1] → PNG bytes (8-bit, light compression: fast)."""
    buf = io.BytesIO()
    Image.fromarray(metrics.to_uint8(rgb)[0]).save(buf, format="png", compress_level=PNG_COMPRESS)
    return buf.getvalue()


def resize_rgb(rgb: np.ndarray, size: int) -> np.ndarray:
    """(H, W, 3) float RGB → the same photo with its short side ``size`` px (antialiased)."""
    h, w = rgb.shape[:2]
    if min(h, w) == size:
        return rgb
    scale = size / min(h, w)
    hs, ws = max(1, round(h * scale)), max(1, round(w * scale))
    x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float()
    x = F.interpolate(x, size=(hs, ws), mode="bicubic", align_corners=False, antialias=True)
    return x[0].permute(1, 2, 0).clamp(0, 1).double().numpy()


def as_rgb_float(image) -> np.ndarray:
    """A path, or an (H, W) / (H, W, 3) uint8 or float array → (H, W, 3) float64 in [0, 1]."""
    if not isinstance(image, np.ndarray) or image.dtype == np.uint8 or image.ndim == 2:
        return as_uint8_rgb(image) / 255.0
    return np.asarray(image[..., :3], dtype=np.float64)


def still(panels: list[np.ndarray], captions: list[str], title: str = ""):
    """A static picture of a widget's state: panels side by side with captions, shown below the
    widget so that a saved or rendered notebook (where the live widget cannot draw) keeps it."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 2.9), squeeze=False)
    for ax, img, cap in zip(axes[0], panels, captions):
        ax.imshow(np.clip(img, 0, 1))
        ax.set_title(cap, fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
