"""Toy data sets that make one idea exact. Here: the *averaging problem* (notebook 03).

Daly & Zhao (§3.1, fig. 1) point out that gray-scale conversion is not injective: a red car and
a blue car of the same lightness give the same gray photo, so no function of the gray image can
tell them apart, and a network trained with mean squared error learns to paint the *average*
colour. :func:`two_color_shapes` builds that situation with nothing else in the picture: one
shape (a disc or a square, random position and size) on a plain gray background, painted red in
half of the images and blue in the other half, both at the same lightness L. The gray input a
network sees is then the same for both colours (up to 8-bit rounding: 0.002 L units, see
:func:`rgb8`), so the best any network can do is to learn the *distribution* of the shape's
colour: 50 % red, 50 % blue.

- MSE regression predicts the mean of that distribution, :data:`MEAN_AB`: a dull mauve that
  neither colour has.
- A 313-way classifier (Zhang et al. 2016) predicts the distribution itself: two peaks, and its
  mode is one of the two real colours.

Colours are given in Lab (L in [0, 100], a and b in Lab units); images come out as 8-bit sRGB.
"""
from __future__ import annotations

import itertools

import numpy as np

from colorlab.color import lab_to_rgb, rgb_to_lab

L_SHAPE = 50.0                 # lightness of the shape, whichever its colour
RED_AB = (60.0, 40.0)          # a red: sRGB ≈ (217, 61, 55) at L = 50; a bin centre of bins.ab_bins()
BLUE_AB = (10.0, -50.0)        # a blue: sRGB ≈ (62, 118, 204) at L = 50; also a bin centre
COLORS = (RED_AB, BLUE_AB)    # (red, blue), in that order everywhere below
MEAN_AB = tuple((r + b) / 2 for r, b in zip(RED_AB, BLUE_AB))   # (35, -5): what MSE predicts
BACKGROUND_L = 80.0            # the background: neutral gray (a = b = 0) at this lightness
RADIUS = (0.15, 0.3)           # shape "radius" (disc radius, half the square's side), × image side
KINDS = ("disc", "square")
L_WEIGHT = 100.0               # rgb8: how much more an error in L counts than one in a or b


def rgb8(L: float, a: float, b: float, search: int = 3) -> np.ndarray:
    """The 8-bit sRGB colour closest to Lab (L, a, b), with L matched most closely.

    Rounding ``lab_to_rgb`` to 8 bits moves L by up to ~0.3 units, and two colours that should
    share one lightness would then differ in gray. So we try every 8-bit colour within
    ±``search`` levels of the rounded one and keep the one minimising
    (``L_WEIGHT`` · ΔL)² + Δa² + Δb². Returns (3,) uint8. Raises ValueError if (L, a, b) is far
    outside the sRGB gamut (no 8-bit colour nearby).
    """
    target = np.array([L, a, b], dtype=np.float64)
    centre = np.round(lab_to_rgb(target, clip=False) * 255)
    if np.any(centre < -search) or np.any(centre > 255 + search):
        raise ValueError(f"Lab {tuple(target)} is outside the sRGB gamut "
                         f"(sRGB ≈ {tuple(centre)}); pick another colour")
    steps = np.array(list(itertools.product(range(-search, search + 1), repeat=3)))
    cand = np.clip(centre + steps, 0, 255)
    err = rgb_to_lab(cand / 255.0) - target
    cost = (L_WEIGHT * err[:, 0]) ** 2 + err[:, 1] ** 2 + err[:, 2] ** 2
    return cand[np.argmin(cost)].astype(np.uint8)


def gray8(L: float) -> np.ndarray:
    """The 8-bit neutral gray (R = G = B, so a = b = 0) closest to lightness L: (3,) uint8."""
    levels = np.arange(256)
    Ls = rgb_to_lab(np.repeat(levels[:, None] / 255.0, 3, axis=1))[:, 0]
    return np.full(3, levels[np.argmin(np.abs(Ls - L))], dtype=np.uint8)


def palette(colors=COLORS, L: float = L_SHAPE) -> np.ndarray:
    """The 8-bit sRGB of each ab colour at lightness L: ``(len(colors), 3)`` uint8."""
    return np.stack([rgb8(L, a, b) for a, b in colors])


def palette_lab(colors=COLORS, L: float = L_SHAPE) -> np.ndarray:
    """The Lab values the images really contain (after 8-bit rounding): ``(len(colors), 3)``."""
    return rgb_to_lab(palette(colors, L) / 255.0)


def shape_mask(size: int, centre, radius: float, kind: str = "disc") -> np.ndarray:
    """A filled disc or square on a ``size`` × ``size`` grid: ``(size, size)`` bool.

    centre: (row, col) in pixels (pixel (i, j) sits at (i, j)); radius: the disc's radius or half
    the square's side, in pixels. kind: "disc" or "square".
    """
    rows, cols = np.ogrid[:size, :size]
    dy, dx = rows - centre[0], cols - centre[1]
    if kind == "disc":
        return dy ** 2 + dx ** 2 <= radius ** 2
    if kind == "square":
        return (np.abs(dy) <= radius) & (np.abs(dx) <= radius)
    raise ValueError(f"unknown shape kind {kind!r}; use one of {KINDS}")


def two_color_shapes(n: int, size: int = 32, rng=0, colors=COLORS, L: float = L_SHAPE,
                      background_L: float = BACKGROUND_L, radius=RADIUS, kinds=KINDS,
                      return_masks: bool = False):
    """``n`` toy photos: one shape on a gray background, red in half of them, blue in the rest.

    n: number of images; size: their side in px (≥ 8). rng: a seed or ``np.random.Generator``
    (the same seed gives the same images). colors: two ab pairs (first = "red"); L: their
    common lightness; background_L: the lightness of the neutral gray background; radius:
    (min, max) shape radius as a fraction of ``size``; kinds: the shapes to draw from.
    Each shape lies wholly inside the image, at least one pixel from the border. Exactly
    ⌈n/2⌉ images are red, in random order.

    Returns ``images`` (n, size, size, 3) uint8 and ``is_red`` (n,) bool; with
    ``return_masks`` also ``masks`` (n, size, size) bool, True on the shape.
    """
    if size < 8:
        raise ValueError(f"size must be at least 8 px, got {size}")
    if len(colors) != 2:
        raise ValueError(f"expected two colours (red, blue), got {len(colors)}")
    rng = np.random.default_rng(rng)
    rgb = palette(colors, L)                                    # (2, 3) uint8
    bg = gray8(background_L)
    is_red = rng.permutation(np.arange(n) < (n + 1) // 2)
    images = np.broadcast_to(bg, (n, size, size, 3)).copy()
    masks = np.zeros((n, size, size), dtype=bool)
    lo, hi = (r * size for r in radius)
    for i in range(n):
        r = rng.uniform(lo, hi)
        kind = kinds[rng.integers(len(kinds))]
        margin = r + 1                                           # keep a pixel of background
        cy, cx = rng.uniform(margin, size - 1 - margin, size=2)
        masks[i] = shape_mask(size, (cy, cx), r, kind)
        images[i][masks[i]] = rgb[0] if is_red[i] else rgb[1]
    if return_masks:
        return images, is_red, masks
    return images, is_red


def nearest_color(ab, colors=COLORS) -> tuple[np.ndarray, np.ndarray]:
    """For ab points ``(..., 2)``: the distance to the nearest of ``colors`` and its index.

    Returns (distance (...,) in Lab units, index (...,) int: 0 = the first colour ("red")).
    """
    ab = np.asarray(ab, dtype=np.float64)
    c = np.asarray(colors, dtype=np.float64)                    # (K, 2)
    d = np.linalg.norm(ab[..., None, :] - c, axis=-1)            # (..., K)
    return d.min(-1), d.argmin(-1)
