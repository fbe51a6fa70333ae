"""Colour hints: what a user (or a simulated one) tells the network about the true colours.

A hint is a set of pixels whose true colour is revealed. Two simulated users from the papers:

- :func:`circles` — Daly & Zhao: 1–25 circles per image (uniform), radius 25–35 px at 224 px
  (uniform, scaled to the image), overlapping allowed. The hint image is the mask times the
  true chroma, pixel by pixel. Returns a float mask (N, 1, H, W) in {0, 1}.
- :func:`points` — SIGGRAPH17 (Zhang et al. 2017, §3.2): the number of hints is geometric with
  p = 1/8 (zero allowed: mean 7), each a square patch of side 1–9 px (uniform), its top-left
  corner drawn from a normal centred on the image with a standard deviation of a quarter of the
  image (clipped to the image; the authors' released sampler), and each patch reveals the MEAN
  ab over the patch. Returns patch ids (N, 1, H, W) int64: 0 = no hint, k = the k-th patch.

:func:`reveal` turns a mask (or patch ids) and the true ab into the hint ab image (zero outside
the hints); :func:`coverage` gives the share of hinted pixels per image. :func:`from_image`
reads hints painted in any image editor (an RGBA PNG: alpha > 0 marks a hint, its RGB the
colour), :func:`to_image` writes them, :func:`from_reference` draws point hints from a colour
photo of the scene.

Everything random is drawn from the torch generator ``gen`` you pass (a CPU generator, as
``train.fit`` gives each batch), a handful of numbers per image; the masks are then built with
tensor operations on ``device`` (the batch's), with no loop over images. A run is therefore a
function of its seed and resumes bit for bit.

A batch of hints is the dict ``{"hint_ab": (N, 2, H, W) Lab units, "hint_mask": (N, 1, H, W)
float}``: what the hint tasks add to a batch and what ``inference.colorize(..., hints=...)``
passes on.
"""
from __future__ import annotations

import contextlib
import math
import os
import re
import stat
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorlab.color import lab_to_rgb, rgb_to_lab
from colorlab.data.images import to_uint8_pixels
from colorlab.files import printable

# Daly & Zhao, "Training" (hint images for HNet)
CIRCLES_N = (1, 25)          # circles per image, uniform, inclusive
CIRCLES_RADIUS = (25, 35)    # px at CIRCLES_AT px, uniform
CIRCLES_AT = 224             # the image side the radii are given for
# SIGGRAPH17 (Zhang et al. 2017), §3.2 "Simulating user interactions"
POINTS_P = 1 / 8             # number of hints ~ geometric(p), zero allowed: mean (1 - p) / p = 7
POINTS_SIZES = range(1, 10)  # side of the square patches, px, uniform
MAX_POINTS = 64              # the geometric draw is capped here (P(k >= 64) ≈ 2e-4)
# The largest image file (a photo or a hint PNG) read, by its header: 80 megapixels (240 MB as
# RGB) is more than a 61-megapixel camera gives, and under PIL's own decompression-bomb warning
# (89 megapixels), so a larger file is refused here in one line before any pixel is decoded.
MAX_IMAGE_PIXELS = 80_000_000


class NoHintsWarning(UserWarning):
    """A hint image in which no pixel is visible (alpha 0 everywhere): colouring is automatic."""


def _gen(gen) -> torch.Generator:
    if gen is None:
        return torch.Generator().manual_seed(0)
    if isinstance(gen, int):
        return torch.Generator().manual_seed(gen)
    return gen


# --- simulated users ---------------------------------------------------------------------------

def circles(h: int, w: int, batch: int = 1, n=CIRCLES_N, radius=CIRCLES_RADIUS, gen=None,
            device=None) -> torch.Tensor:
    """Daly & Zhao's hint masks: (batch, 1, h, w) float, 1 inside any circle.

    n: (lo, hi) circles per image, uniform, inclusive; or an int for exactly that many.
    radius: (lo, hi) px at 224 px, uniform, scaled by min(h, w) / 224. Centres uniform over the
    image. gen: a torch.Generator (or an int seed; None: seed 0). device: where the mask lives.
    """
    g = _gen(gen)
    lo, hi = (n, n) if isinstance(n, int) else n
    k_max = max(hi, 0)
    count = torch.randint(lo, hi + 1, (batch,), generator=g)
    scale = min(h, w) / CIRCLES_AT
    r = (radius[0] + (radius[1] - radius[0]) * torch.rand(batch, k_max, generator=g)) * scale
    cy = torch.rand(batch, k_max, generator=g) * h
    cx = torch.rand(batch, k_max, generator=g) * w
    active = torch.arange(k_max)[None] < count[:, None]
    r = torch.where(active, r, torch.full_like(r, -1.0))          # inactive: an empty circle
    r, cy, cx = (t.to(device) for t in (r, cy, cx))
    ys = torch.arange(h, device=device, dtype=torch.float32) + 0.5
    xs = torch.arange(w, device=device, dtype=torch.float32) + 0.5
    mask = torch.zeros(batch, h, w, dtype=torch.bool, device=device)
    for k in range(k_max):               # a loop over circle slots, never over images
        dy = (ys[None, :] - cy[:, k:k + 1]) ** 2                  # (N, h)
        dx = (xs[None, :] - cx[:, k:k + 1]) ** 2                  # (N, w)
        mask |= (dy[:, :, None] + dx[:, None, :]) <= (r[:, k] ** 2 * (r[:, k] > 0))[:, None, None]
    return mask[:, None].float()


def points(h: int, w: int, batch: int = 1, n=None, p: float = POINTS_P, sizes=POINTS_SIZES,
           centres: str = "normal", gen=None, device=None, max_points: int = MAX_POINTS) -> torch.Tensor:
    """SIGGRAPH17's simulated user: square patches, as patch ids (batch, 1, h, w) int64.

    n: None — the number of patches per image is geometric with ``p`` (zero allowed, capped at
    ``max_points``); an int — exactly n patches in every image (the coverage study).
    sizes: the patch sides to choose from, px (uniform). centres: "normal" — the patch's corner
    ~ N((H - s + 1) / 2, (H - s + 1) / 4) per axis, clipped into the image (the released
    sampler: hints gather near the centre, where the subject usually is); "uniform" — anywhere.
    Overlapping patches: the later one owns the overlap. 0 = no hint; ids > 0 are patches, so
    ``ids > 0`` is the mask and :func:`reveal` paints each patch with its mean ab.
    """
    g = _gen(gen)
    if n is None:
        u = torch.rand(batch, generator=g).clamp_min(1e-12)
        count = torch.floor(torch.log(u) / math.log(1 - p)).long().clamp(max=max_points)
        k_max = max_points
    else:
        count = torch.full((batch,), int(n), dtype=torch.long)
        k_max = int(n)
    ids = torch.zeros(batch, h * w, dtype=torch.long, device=device)
    if k_max == 0:
        return ids.view(batch, 1, h, w)
    sizes_t = torch.as_tensor(list(sizes), dtype=torch.long)
    side = sizes_t[torch.randint(len(sizes_t), (batch, k_max), generator=g)]
    side = torch.minimum(side, torch.tensor(min(h, w)))
    if centres == "normal":
        span_y, span_x = (h - side + 1).float(), (w - side + 1).float()
        y0 = span_y / 2 + span_y / 4 * torch.randn(batch, k_max, generator=g)
        x0 = span_x / 2 + span_x / 4 * torch.randn(batch, k_max, generator=g)
    elif centres == "uniform":
        y0 = torch.rand(batch, k_max, generator=g) * (h - side + 1).float()
        x0 = torch.rand(batch, k_max, generator=g) * (w - side + 1).float()
    else:
        raise ValueError(f"centres must be 'normal' or 'uniform', got {centres!r}")
    y0 = torch.minimum(y0.floor().long().clamp_min(0), h - side)
    x0 = torch.minimum(x0.floor().long().clamp_min(0), w - side)
    # every patch as the pixels of a 9 x 9 (largest side) window, those beyond its side dropped
    s_max = int(side.max())
    off = torch.arange(s_max)
    yy = y0[..., None, None] + off[:, None]                        # (N, K, s, 1)
    xx = x0[..., None, None] + off[None, :]                        # (N, K, 1, s)
    inside = (off[:, None] < side[..., None, None]) & (off[None, :] < side[..., None, None])
    active = (torch.arange(k_max)[None] < count[:, None])[..., None, None] & inside
    flat = torch.where(active, yy * w + xx, 0)                     # dropped pixels: index 0, label 0
    label = (torch.arange(1, k_max + 1)[None, :, None, None] * active).expand_as(flat)
    flat, label = flat.reshape(batch, -1).to(device), label.reshape(batch, -1).to(device)
    ids.scatter_reduce_(1, flat, label, reduce="amax")             # the later patch wins
    return ids.view(batch, 1, h, w)


# --- from a mask to the hint image -------------------------------------------------------------

def as_mask(mask: torch.Tensor) -> torch.Tensor:
    """A float mask (N, 1, H, W) in {0, 1} from a mask or from patch ids."""
    return (mask > 0).float()


def reveal(ab: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The hint ab image: (N, 2, H, W), the true colour where hinted, zero elsewhere.

    ab: (N, 2, H, W) true chroma (Lab units, or UV: any two channels). mask: a float/bool mask
    (N, 1, H, W) — each hinted pixel shows its own colour (Daly & Zhao's circles) — or int
    patch ids from :func:`points` — each patch shows its mean colour (SIGGRAPH17).
    """
    if mask.dtype in (torch.bool,) or mask.is_floating_point():
        return ab * (mask > 0).to(ab.dtype)
    n, _, h, w = mask.shape
    ids = mask.view(n, -1)
    k = int(ids.max()) + 1 if ids.numel() else 1
    key = ids + torch.arange(n, device=ids.device)[:, None] * k       # one bin per (image, patch)
    flat_ab = ab.reshape(n, 2, -1).permute(1, 0, 2).reshape(2, -1)     # (2, N·H·W)
    sums = torch.zeros(2, n * k, dtype=ab.dtype, device=ab.device).index_add_(1, key.flatten(), flat_ab)
    counts = torch.zeros(n * k, dtype=ab.dtype, device=ab.device).index_add_(
        0, key.flatten(), torch.ones_like(flat_ab[0]))
    means = sums / counts.clamp_min(1)
    out = means[:, key.flatten()].view(2, n, h * w).permute(1, 0, 2).reshape(n, 2, h, w)
    return out * (mask > 0).to(ab.dtype)


def coverage(mask: torch.Tensor):
    """The share of hinted pixels: (N,) tensor for a batch (N, 1, H, W); a float for one
    image (H, W) or (1, H, W)."""
    m = (torch.as_tensor(mask) > 0).float()
    if m.ndim == 4:
        return m.flatten(1).mean(1)
    return float(m.mean())


def make(ab: torch.Tensor, mask: torch.Tensor) -> dict:
    """The hint entries of a batch: ``{"hint_ab": reveal(ab, mask), "hint_mask": 0/1 float}``."""
    return {"hint_ab": reveal(ab, mask), "hint_mask": as_mask(mask)}


def none_like(L: torch.Tensor) -> dict:
    """No hints for L (N, 1, H, W): zero ab, zero mask (what automatic colouring sees)."""
    n, _, h, w = L.shape
    return {"hint_ab": L.new_zeros(n, 2, h, w), "hint_mask": L.new_zeros(n, 1, h, w)}


# --- hints painted by people -------------------------------------------------------------------

@contextlib.contextmanager
def open_image(path, what: str = "image", max_pixels: int = MAX_IMAGE_PIXELS):
    """``PIL.Image.open(path)`` for a file a person named, checked before any pixel is decoded:
    a regular file (a FIFO would block, a device never end), at most ``max_pixels`` by its header
    (PIL reads the header only, lazily). Raises ValueError naming the file and what it is."""
    name = printable(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ValueError(f"{what} {name}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket"
        raise ValueError(f"{what} {name} is {kind}, not a regular file: give an image file")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            seen = re.search(r"\((\d+) pixels\)", str(exc))
            raise ValueError(_too_large(what, name, f"{seen[1]} pixels" if seen else "too many pixels",
                                        max_pixels)) from None
        except (OSError, SyntaxError) as exc:
            raise ValueError(f"cannot read {what} {name}: not an image PNG/JPEG/WebP/TIFF "
                             f"({type(exc).__name__})") from None
    with im:
        w, h = im.size
        if w * h > max_pixels:
            raise ValueError(_too_large(what, name, f"{w} x {h} px", max_pixels))
        yield im


def _too_large(what: str, name: str, size: str, max_pixels: int) -> str:
    return (f"{what} {name} is {size}, more than the {max_pixels / 1e6:.0f} megapixels colorlab "
            "reads (a possible decompression bomb): downscale it first")


def _read_rgba(image, name: str = "the hint image") -> np.ndarray:
    if isinstance(image, (str, Path)):
        name = printable(image)
        with open_image(image, "hint image") as im:
            if "A" not in im.getbands() and "transparency" not in im.info:
                raise ValueError(f"{name} has no alpha channel: hints are an RGBA PNG where alpha > 0 "
                                 "marks a hinted pixel and its RGB gives the colour (paint on a "
                                 "transparent layer)")
            image = np.asarray(im.convert("RGBA"))
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 4:
        raise ValueError(f"{name} has no alpha channel (shape {image.shape}): hints are an RGBA "
                         "image where alpha > 0 marks a hinted pixel and its RGB gives the colour")
    if image.size == 0:
        raise ValueError(f"{name} is empty (shape {image.shape})")
    return to_uint8_pixels(image)


def from_image(rgba, size: tuple[int, int] | None = None, name: str = "the hint image") -> dict:
    """Hints from an RGBA image or PNG path: alpha > 0 marks a hint, its RGB gives the colour.

    size: (H, W) the hints must have (the photo's); a hint image of another size is resized
    (nearest neighbour, so colours are not mixed) and a one-line note says so.
    Returns ``{"hint_ab": (1, 2, H, W) Lab units, "hint_mask": (1, 1, H, W) float}``.
    Raises ValueError for an image without alpha (or a path that is no image file, or one past
    ``MAX_IMAGE_PIXELS``); warns (:class:`NoHintsWarning`) when no pixel is visible.
    """
    name = printable(rgba if isinstance(rgba, (str, Path)) else name)
    rgba = _read_rgba(rgba, name)
    if not (rgba[..., 3] > 0).any():
        warnings.warn(f"{name} has no visible pixel (alpha is 0 everywhere): no hints, the photo "
                      "is coloured automatically; paint hints on it with opaque pixels",
                      NoHintsWarning, stacklevel=2)
    if size is not None and tuple(rgba.shape[:2]) != tuple(size):
        print(f"[colorlab] {name} is {rgba.shape[1]} x {rgba.shape[0]} px, the photo "
              f"{size[1]} x {size[0]}: resized the hints to the photo (nearest neighbour)")
        rgba = np.asarray(Image.fromarray(rgba, "RGBA").resize((size[1], size[0]), Image.Resampling.NEAREST))
    rgb = torch.from_numpy(rgba[..., :3].copy()).permute(2, 0, 1)[None].float() / 255
    mask = torch.from_numpy(rgba[..., 3].copy() > 0)[None, None].float()
    return {"hint_ab": rgb_to_lab(rgb)[:, 1:] * mask, "hint_mask": mask}


def to_image(hint_ab: torch.Tensor, hint_mask: torch.Tensor, L: torch.Tensor | None = None) -> np.ndarray:
    """The RGBA image (H, W, 4) uint8 that :func:`from_image` reads: hinted pixels opaque in
    their colour, the rest transparent. hint_ab (1, 2, H, W), hint_mask (1, 1, H, W); L (1, 1, H, W):
    the photo's lightness, used to show each hint colour at its pixel's brightness (default 60).
    """
    L = torch.full_like(hint_mask, 60.0) if L is None else L
    rgb = lab_to_rgb(torch.cat([L.float(), hint_ab.float()], 1))[0].permute(1, 2, 0).numpy()
    out = np.zeros((*rgb.shape[:2], 4), np.uint8)
    out[..., :3] = np.clip(np.rint(rgb * 255), 0, 255)
    out[..., 3] = np.where(hint_mask[0, 0].numpy() > 0, 255, 0)
    return out


def from_reference(rgb, n: int, gen=None, sizes=(3,), centres: str = "uniform",
                   size: tuple[int, int] | None = None) -> dict:
    """``n`` point hints drawn from a colour photo of the scene (SIGGRAPH17 patches).

    rgb: (H, W, 3) uint8 or float [0, 1] array. size: (H, W) of the photo to colour (the reference
    is resized to it first). sizes, centres: as :func:`points`. Returns the hint dict.
    """
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8:
        rgb = np.clip(np.rint(rgb.astype(np.float64) * 255), 0, 255).astype(np.uint8)
    rgb = rgb[..., :3]
    if size is not None and tuple(rgb.shape[:2]) != tuple(size):
        rgb = np.asarray(Image.fromarray(rgb).resize((size[1], size[0]), Image.Resampling.LANCZOS))
    x = torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255
    ab = rgb_to_lab(x)[:, 1:]
    ids = points(*rgb.shape[:2], 1, n=n, sizes=sizes, centres=centres, gen=gen)
    return make(ab, ids)


def resize(hints: dict, size: tuple[int, int]) -> dict:
    """Hints at another size (H, W). Area-weighted: a hinted output pixel gets the mean colour of
    the hinted input pixels it covers, so a 1-px hint survives a downscale (it becomes one pixel)."""
    ab, mask = hints["hint_ab"].float(), hints["hint_mask"].float()
    if tuple(mask.shape[-2:]) == tuple(size):
        return {"hint_ab": ab, "hint_mask": mask}
    area = F.interpolate(mask, size=tuple(size), mode="area")
    ab_s = F.interpolate(ab * mask, size=tuple(size), mode="area") / area.clamp_min(1e-8)
    m = (area > 0).float()
    return {"hint_ab": ab_s * m, "hint_mask": m}
