"""Colouring photos with a trained model: ``colorize`` and ``predict_ab``.

``colorize(model, image)`` keeps the photo's own lightness at full resolution and asks the model
for ab at a bounded working resolution (by default the size the model was trained at, on the
short side), then upsamples ab bilinearly onto the full-size L. Chroma varies slowly, so this is
how Zhang et al.'s demo works too; it also keeps a 36-megapixel photo within a few hundred MB,
because the full-size image is only ever touched a strip of rows at a time.

Everything model-specific (what the model is fed, how its output reads as ab) is asked of the
model's task (``tasks.of(model)``), so these functions work for every registered model.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorlab import tasks
from colorlab.color import lab_to_rgb, rgb_to_lab
from colorlab.data import hints
from colorlab.data.images import load_image, to_uint8_pixels

MAX_NET_SIDE = 1024      # px: the longest side the network ever sees
MAX_ASPECT = 20.0        # longest side / shortest side that colorize accepts
STRIP_PIXELS = 1 << 18   # pixels per strip when converting a full-size photo (~25 MB of work)
MAX_PHOTO_PIXELS = hints.MAX_IMAGE_PIXELS   # a larger photo file is refused by its header


def as_uint8_rgb(image) -> np.ndarray:
    """A photo → (H, W, 3) uint8 RGB.

    image: a path (read with :func:`read_photo`), or an (H, W) / (H, W, 3|4) array or nested
    list: uint8 (0..255), uint16 (0..65535), floats in [0, 1], or another integer type whose
    values fit 0..255 (read as 8-bit) or 0..65535 (read as 16-bit). Anything else (bool, NaN,
    floats outside [0, 1], an empty image) raises ValueError saying what was seen and what to do.
    """
    if isinstance(image, (str, Path)):
        return read_photo(image)
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None].repeat(3, axis=-1)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        raise ValueError(f"expected an image (H, W) or (H, W, 3), got shape {image.shape}")
    if image.size == 0:
        raise ValueError(f"the image is empty (shape {image.shape}): give a photo of at least 1 x 1 px")
    return to_uint8_pixels(image[..., :3])


def read_photo(path) -> np.ndarray:
    """A photo file → (H, W, 3) uint8 RGB (``data.load_image``), after checking that it is a
    regular file (a FIFO would block) of at most ``MAX_PHOTO_PIXELS`` by its header."""
    with hints.open_image(path, "photo", MAX_PHOTO_PIXELS):
        pass                    # opening checks the file and its header; load_image decodes
    return load_image(path)


def network_size(h: int, w: int, size: int) -> tuple[int, int]:
    """(hs, ws) the network sees for an h × w photo: short side ``size``, long side at most
    ``MAX_NET_SIDE``. Raises ValueError for an aspect ratio beyond ``MAX_ASPECT``."""
    if max(h, w) / min(h, w) > MAX_ASPECT:
        raise ValueError(f"the photo is {w} x {h} px, an aspect ratio of {max(h, w) / min(h, w):.0f}:1; "
                         f"colorize handles up to {MAX_ASPECT:.0f}:1: crop it into pieces first")
    scale = min(size / min(h, w), MAX_NET_SIDE / max(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale))


def _lightness(rgb_u8: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 → L (1, 1, H, W) float32."""
    x = torch.tensor(rgb_u8).permute(2, 0, 1)[None].float() / 255
    return rgb_to_lab(x)[:, :1]


def _upsample_rows(ab: torch.Tensor, H: int, W: int, r0: int, r1: int) -> torch.Tensor:
    """Rows r0:r1 of ``F.interpolate(ab, (H, W), mode="bilinear", align_corners=False)``,
    without making the full-size map: ab (1, 2, h, w) → (1, 2, r1 - r0, W)."""
    ys = (2 * (torch.arange(r0, r1, dtype=torch.float32) + 0.5) / H) - 1
    xs = (2 * (torch.arange(W, dtype=torch.float32) + 0.5) / W) - 1
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)[None]   # (1, rows, W, 2)
    return F.grid_sample(ab, grid, mode="bilinear", padding_mode="border", align_corners=False)


@torch.no_grad()
def predict_ab(model, L: torch.Tensor, T: float | None = None, batch_size: int = 64,
               **extra) -> torch.Tensor:
    """L (N, 1, H, W) Lab → ab (N, 2, H, W) Lab units, as the model's task reads its output.

    Runs ``batch_size`` images at a time on the model's device, in eval mode; T: the annealed-mean
    temperature (tasks with a distribution over colours). extra: further batch entries (hints),
    (N, …) tensors, batched alongside L. Returns a CPU tensor.
    """
    task = tasks.of(model)
    device = _device(model)
    was_training = model.training
    model.eval()
    parts = []
    for s in range(0, len(L), batch_size):
        more = {k: v[s:s + batch_size].to(device) for k, v in extra.items()}
        batch = task.inference_batch(L[s:s + batch_size].to(device), **more)
        parts.append(task.predict_ab(model, batch, T).float().cpu())
    model.train(was_training)
    return torch.cat(parts)


def _device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def check_temperature(T) -> None:
    """Refuse a temperature outside (0, 1] (or NaN) with a message that says why."""
    if T is not None and not (isinstance(T, (int, float)) and math.isfinite(T) and 0 < T <= 1):
        raise ValueError(f"T must be a number in (0, 1] (1: the mean, 0.38: Zhang et al., "
                         f"towards 0: the mode), got {T!r}")


def check_size(size) -> None:
    """Refuse a ``size`` (the short side the network sees, px) that is not a positive integer."""
    if size is not None and not (isinstance(size, (int, np.integer)) and not isinstance(size, bool)
                                 and size >= 1):
        raise ValueError(f"size must be a whole number of pixels >= 1 (the short side the network "
                         f"sees), or None for the size the model was trained at; got {size!r}")


@torch.no_grad()
def colorize(model, image, T: float | None = None, size: int | None = None,
             dtype=np.float32, hints: dict | None = None) -> np.ndarray:
    """Colour ``image`` with ``model``; returns (H, W, 3) float32 RGB in [0, 1] at full size.

    image: a path or an array of any size (aspect ratio up to 20:1), gray or colour (colour is
    reduced to its lightness L first). T: annealed-mean temperature for models that predict a
    distribution (None: the task's, 0.38). size: the short side, px, that the network sees
    (None: the size the model was trained at; the long side is capped at 1024 px).
    hints: for a model that takes hints, ``{"hint_ab": (1, 2, h, w), "hint_mask": (1, 1, h, w)}``
    (``colorlab.data.hints``) at any size; the model's task fits them to the size the network sees.
    dtype: ``np.uint8`` returns RGB in 0..255 instead, as a PNG stores it: a quarter of the
    memory (a 36-megapixel photo: 108 MB, not 432 MB).
    """
    check_temperature(T)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.uint8):
        raise ValueError(f"dtype must be np.float32 or np.uint8, got {dtype!r}")
    check_size(size)
    task = tasks.of(model)
    rgb = as_uint8_rgb(image)
    H, W = rgb.shape[:2]
    hs, ws = network_size(H, W, int(size or task.size))
    small = np.asarray(Image.fromarray(rgb).resize((ws, hs), Image.Resampling.LANCZOS))
    ab = predict_ab(model, _lightness(small), T, **(hints or {}))          # (1, 2, hs, ws)
    if not torch.isfinite(ab).all():           # NaN colours would be saved as a black picture
        raise FloatingPointError("the model predicted NaN or infinite colours: its weights or its "
                                 "task are broken (a diverged run?); nothing was saved")
    out = np.empty((H, W, 3), dtype=dtype)
    rows = max(1, STRIP_PIXELS // W)
    for r0 in range(0, H, rows):                 # a strip of rows at a time: bounded memory
        r1 = min(H, r0 + rows)
        L = _lightness(rgb[r0:r1])
        strip = lab_to_rgb(torch.cat([L, _upsample_rows(ab, H, W, r0, r1)], dim=1))[0]
        out[r0:r1] = _to_uint8(strip) if dtype == np.uint8 else strip.permute(1, 2, 0).numpy()
    return out


def _to_uint8(rgb: torch.Tensor) -> np.ndarray:
    """(3, h, w) float RGB in [0, 1] → (h, w, 3) uint8, rounded."""
    return (rgb * 255).round_().clamp_(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
