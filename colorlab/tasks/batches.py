"""Photos in, Lab batches out: the two steps every task's ``batch`` starts with.

``random_crop_flip`` draws a crop (and a left-right mirror) per photo from the run's seeded
generator; ``to_lab`` turns the uint8 crops into the float Lab the networks see.
"""
from __future__ import annotations

import torch

from colorlab.color import rgb_to_lab


def to_lab(images_u8: torch.Tensor) -> torch.Tensor:
    """(N, H, W, 3) uint8 photos → (N, 3, H, W) float Lab, on the same device.

    The same numbers as ``rgb_to_lab(images_u8.permute(0, 3, 1, 2).float() / 255)``; the sRGB
    curve of the 256 byte values is looked up rather than computed (``color.rgb_to_lab``).
    """
    return rgb_to_lab(images_u8.permute(0, 3, 1, 2))


def random_crop_flip(images_u8: torch.Tensor, size: int, gen: torch.Generator | None,
                     flip: bool = True) -> torch.Tensor:
    """A random ``size`` × ``size`` crop of each photo, mirrored left-right with probability ½.

    images_u8: (N, H, W, 3) uint8; gen: the generator that draws offsets (on CPU), or None
    for a centre crop and no flip. Returns (N, size, size, 3) uint8, on the input's device.
    """
    n, h, w, _ = images_u8.shape
    if h < size or w < size:
        raise ValueError(f"cannot crop {size} px from images of {h} x {w}; load the data "
                         f"with size >= {size}")
    if gen is None:
        top, left = (h - size) // 2, (w - size) // 2
        return images_u8[:, top:top + size, left:left + size]
    top = torch.randint(0, h - size + 1, (n,), generator=gen)
    left = torch.randint(0, w - size + 1, (n,), generator=gen)
    mirror = (torch.rand(n, generator=gen) < 0.5) if flip else torch.zeros(n, dtype=torch.bool)
    # one gather of whole pixels (3 bytes) from the flattened photos: pixel (i, j) of crop k is
    # pixel k·h·w + (top_k + i)·w + col_k(j), col_k(j) = left_k + j, or left_k + size − 1 − j
    ar = torch.arange(size)
    rows = (top + torch.arange(n) * h)[:, None] + ar                         # (N, size)
    cols = left[:, None] + torch.where(mirror[:, None], size - 1 - ar, ar)   # (N, size)
    rows, cols = rows.to(images_u8.device), cols.to(images_u8.device)
    pixel = rows[:, :, None] * w + cols[:, None, :]                          # (N, size, size)
    flat = images_u8.reshape(n * h * w, images_u8.shape[-1])
    return flat.index_select(0, pixel.view(-1)).view(n, size, size, -1)
