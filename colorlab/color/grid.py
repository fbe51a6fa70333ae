"""A photo's colours on a coarse grid: Massachi's "sixteen color values" and the 4 × 4 baseline.

Massachi (§4.5) gave the colorization network, besides the full-resolution lightness L, the
photo's a and b channels "severely down sampled" to 4 × 4: sixteen (a, b) pairs per photo. The
same sixteen values painted straight back onto L, with no network at all, are the thesis's
baseline ("downsample the a and b channels of the image to a four by four pixel square, and then
overlay these values over the image"), which scored higher than every network it trained.

- :func:`grid_ab` — ab (N, 2, H, W) → the mean ab over each cell of a k × k grid, (N, 2, k, k);
- :func:`paint` — a k × k grid of ab → ab at any size, interpolated bilinearly;
- :func:`baseline` — the two together: the 4 × 4 baseline's prediction of ab.

Averaging happens in Lab (the mean a and the mean b of the cell's pixels). Bilinear painting is
our choice: the thesis does not say how it "overlaid" the values; blocks of constant colour
(nearest neighbour) score about 0.1 dB lower on the bundled flowers at 64 px.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

K = 4   # Massachi §4.5: a and b down-sampled to a 4 × 4 square, "sixteen color values"


def grid_ab(ab: torch.Tensor, k: int = K) -> torch.Tensor:
    """The mean ab over each cell of a k × k grid laid over the photo.

    ab: (N, 2, H, W) float, Lab units. Returns (N, 2, k, k), Lab units. When H or W is not a
    multiple of k the cells differ by a pixel (``F.adaptive_avg_pool2d``'s cells).
    """
    if ab.ndim != 4 or ab.shape[1] != 2:
        raise ValueError(f"grid_ab wants ab as (N, 2, H, W), got {tuple(ab.shape)}")
    if k < 1 or k > min(ab.shape[-2:]):
        raise ValueError(f"k must be between 1 and the photo's shorter side "
                         f"({min(ab.shape[-2:])}), got {k}")
    return F.adaptive_avg_pool2d(ab.float(), k)


def paint(grid: torch.Tensor, size) -> torch.Tensor:
    """A grid of ab (N, 2, k, k) → ab (N, 2, H, W) at ``size`` = (H, W), bilinear.

    Each grid value sits at the centre of its cell; between centres the colour changes linearly,
    beyond the outer centres it stays constant (``align_corners=False``).
    """
    if grid.ndim != 4 or grid.shape[1] != 2:
        raise ValueError(f"paint wants a grid of ab as (N, 2, k, k), got {tuple(grid.shape)}")
    return F.interpolate(grid.float(), size=tuple(size), mode="bilinear", align_corners=False)


def baseline(ab: torch.Tensor, k: int = K) -> torch.Tensor:
    """Massachi's baseline: the photo's own ab averaged over a k × k grid and painted back.

    ab: (N, 2, H, W) true chroma, Lab units. Returns the predicted ab, (N, 2, H, W) Lab units;
    with the photo's L it makes the baseline image (``color.merge_l_ab(L, baseline(ab))``).
    """
    return paint(grid_ab(ab, k), ab.shape[-2:])
