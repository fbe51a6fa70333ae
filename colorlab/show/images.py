"""Showing photos: image grids, a side-by-side of colorizers, single channels with their scale.

Every helper draws with matplotlib's object API and returns what it drew on (a ``Figure`` or an
``Axes``); none calls ``plt.show()``. Helpers that take ``ax=None`` make their own figure.
Conventions (as in :mod:`colorlab.color`): numpy images are channel-last ``(H, W, 3)``, torch
tensors channel-first ``(3, H, W)`` or ``(N, 3, H, W)``; RGB is float in [0, 1] or uint8.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from colorlab.color import gray_like, lab_to_rgb, yuv_to_rgb
from colorlab.evaluate.inference import as_uint8_rgb, colorize


def _is_torch(x) -> bool:
    return isinstance(x, torch.Tensor)


def _numpy(x) -> np.ndarray:
    """numpy or torch (on any device, with or without grad) → numpy."""
    return x.detach().cpu().numpy() if _is_torch(x) else np.asarray(x)


# --- images -------------------------------------------------------------------------------------

def to_hwc(image) -> np.ndarray:
    """One image → numpy float ``(H, W, 3)`` in [0, 1], or ``(H, W)`` for a one-channel image.

    image: numpy ``(H, W, 3)`` / ``(H, W)`` / ``(H, W, 1)`` (uint8 or float in [0, 1]), or torch
    ``(3, H, W)`` / ``(1, H, W)`` / ``(H, W)``. Float values are clipped to [0, 1].
    Raises ValueError for any other shape.
    """
    torch_in = _is_torch(image)
    x = _numpy(image)
    if torch_in and x.ndim == 3 and x.shape[0] in (1, 3):
        x = np.moveaxis(x, 0, -1)
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    if not (x.ndim == 2 or (x.ndim == 3 and x.shape[-1] == 3)):
        layout = "(3, H, W) or (H, W)" if torch_in else "(H, W, 3) or (H, W)"
        raise ValueError(f"expected one image {layout}, got shape {tuple(image.shape)}")
    if x.dtype == np.uint8:
        return x / 255.0
    return np.clip(x.astype(np.float64), 0.0, 1.0)


def _image_list(images) -> list:
    """A batch (numpy (N, H, W, 3), torch (N, 3, H, W)), one image, or a list → list of images."""
    if isinstance(images, (list, tuple)):
        return list(images)
    x = images
    shape = tuple(x.shape)
    if _is_torch(x):
        if len(shape) == 4:
            return list(x)
        return [x]
    if len(shape) == 4 or (len(shape) == 3 and shape[-1] not in (1, 3)):
        return list(x)          # (N, H, W, 3) or a stack of gray (N, H, W)
    return [x]


def show_images(images, titles=None, ncols: int | None = None, size: float = 2.0,
                cmap: str = "gray", suptitle: str | None = None):
    """A grid of images; returns the Figure (its first ``len(images)`` axes hold the images).

    images: numpy ``(N, H, W, 3)`` (uint8 or float in [0, 1]), torch ``(N, 3, H, W)``, one image,
      or a list of images of any of the layouts :func:`to_hwc` accepts (sizes may differ;
      one-channel images are drawn with ``cmap``, 0 = black, 1 = white).
    titles: None or one string per image. ncols: images per row (default: up to 8).
    size: inches per image. Raises ValueError for a bad shape or a wrong number of titles.
    """
    items = [to_hwc(im) for im in _image_list(images)]
    if not items:
        raise ValueError("show_images: no images to show")
    if titles is not None and len(titles) != len(items):
        raise ValueError(f"show_images: {len(items)} images but {len(titles)} titles")
    ncols = min(len(items), ncols or 8)
    nrows = math.ceil(len(items) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= len(items):
            continue
        ax.imshow(items[i], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def compare_grid(models: dict, photos, T: float | None = None, size: int | None = None,
                 image_size: float = 2.0, suptitle: str | None = None):
    """One row per photo: the gray input | each model's colorization | the truth.

    models: {column title: trained model} (any registered model; ``colorize`` asks its task).
    photos: a list of paths or (H, W, 3) uint8 / float arrays (any size), or an ``ImageSet``
    (its ``paths`` are read, so the photos are shown at their stored size). T, size: passed to
    ``colorize`` (None: each model's task decides). Returns the Figure.
    """
    photos = list(getattr(photos, "paths", photos))
    images, titles = [], []
    for photo in photos:
        truth = as_uint8_rgb(photo) / 255.0
        images += [gray_like(truth)] + [colorize(m, truth, T=T, size=size) for m in models.values()] + [truth]
        titles += ["gray input"] + list(models) + ["truth"]
    return show_images(images, titles=titles, ncols=len(models) + 2, size=image_size, suptitle=suptitle)


def show_channels(channels, names, ranges, cmaps=None, size: float = 2.6, colorbar: bool = True):
    """The channels of one image side by side, each with its own colour map and value range.

    channels: numpy ``(H, W, C)`` (e.g. Lab or YUV from :mod:`colorlab.color`).
    names: C titles. ranges: C pairs (vmin, vmax). cmaps: C colour-map names (default gray).
    Returns the Figure (C axes, plus one colour bar each if ``colorbar``).
    """
    x = _numpy(channels)
    if x.ndim != 3:
        raise ValueError(f"show_channels: expected (H, W, C), got shape {x.shape}")
    c = x.shape[-1]
    cmaps = cmaps or ["gray"] * c
    if not (len(names) == len(ranges) == len(cmaps) == c):
        raise ValueError(f"show_channels: {c} channels need {c} names, ranges and cmaps")
    fig, axes = plt.subplots(1, c, figsize=(size * c * (1.2 if colorbar else 1.0), size),
                             squeeze=False)
    for i, ax in enumerate(axes[0]):
        im = ax.imshow(x[..., i], cmap=cmaps[i], vmin=ranges[i][0], vmax=ranges[i][1])
        ax.set_title(names[i], fontsize=10)
        ax.set_axis_off()
        if colorbar:
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    fig.tight_layout()
    return fig


def channel_cmap(space: str = "lab", channel: int = 1, lim: float | None = None, n: int = 256):
    """A colour map that shows what a chroma channel means: its colours along that one axis.

    space "lab": channel 1 (a) or 2 (b), the other chroma 0, at L = 60, values −lim…lim
    (default 80). space "yuv": channel 1 (U, default lim 0.436) or 2 (V, 0.615) at Y = 0.5.
    Use with ``vmin=-lim, vmax=lim``. Returns a ``ListedColormap``.
    """
    from matplotlib.colors import ListedColormap
    if channel not in (1, 2) or space not in ("lab", "yuv"):
        raise ValueError(f"channel_cmap: space 'lab' or 'yuv', channel 1 or 2; "
                         f"got {space!r}, {channel!r}")
    if lim is None:
        lim = 80.0 if space == "lab" else (0.436, 0.615)[channel - 1]
    x = np.zeros((n, 3))
    x[:, 0] = 60.0 if space == "lab" else 0.5
    x[:, channel] = np.linspace(-lim, lim, n)
    rgb = lab_to_rgb(x) if space == "lab" else yuv_to_rgb(x)
    return ListedColormap(rgb, name=f"{space}-{'ab'[channel - 1] if space == 'lab' else 'UV'[channel - 1]}")
