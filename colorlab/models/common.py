"""Small helpers shared by the models: channel widths, padding to a stride, cropping back.

Every model in this package accepts a lightness image of any height and width. A network that
halves the resolution k times needs a side divisible by 2**k (its *stride*), so ``forward``

1. pads L at the bottom and right up to the next multiple of the stride (``pad_to_multiple``),
2. runs the network,
3. crops the output back (``crop``): to (H, W) for a full-resolution output, or to
   (ceil(H / f), ceil(W / f)) for an output at 1/f resolution.

Padding only at the bottom and right keeps the top-left corner fixed, so output pixel (i, j) of a
1/4-resolution map still covers input pixels 4i … 4i+3, 4j … 4j+3.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def channels(c: int, width: float) -> int:
    """Channel count ``c`` scaled by the ``width`` multiplier, at least 1.

    ``channels(64, 0.125) == 8``; width 1.0 gives the published architecture.
    """
    return max(1, round(c * width))


def pad_to_multiple(x: torch.Tensor, m: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad ``x`` (N, C, H, W) at the bottom and right so that H and W are multiples of ``m``.

    Returns ``(x_padded, (H, W))``; keep (H, W) to crop the output back with ``crop``.
    Reflect padding (the mirror image, no hard edge for the convolutions to see) when the image
    is large enough, replicate padding (repeat the last row/column) when it is smaller than the
    pad, where reflection is impossible.
    """
    h, w = x.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    if ph == 0 and pw == 0:
        return x, (h, w)
    mode = "reflect" if (ph < h and pw < w) else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode), (h, w)


def crop(y: torch.Tensor, size: tuple[int, int], factor: int = 1) -> torch.Tensor:
    """Crop ``y`` (N, C, h', w') to the input size ``size = (H, W)`` seen at 1/``factor`` resolution.

    ``factor=1``: back to (H, W). ``factor=4`` (Zhang's logits): to (ceil(H/4), ceil(W/4)),
    the output pixels whose 4 x 4 footprint contains at least one real (unpadded) input pixel.
    """
    h, w = size
    return y[..., : math.ceil(h / factor), : math.ceil(w / factor)]


def count_parameters(module: torch.nn.Module, trainable_only: bool = False) -> int:
    """Number of weights (scalars) in ``module``; with ``trainable_only`` only requires_grad ones."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
