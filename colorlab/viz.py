"""Figure helpers the notebooks share: image grids, channels, the ab plane, bins and priors.

Every helper draws with matplotlib's object API and returns what it drew on (a ``Figure`` or an
``Axes``); none calls ``plt.show()``. Helpers that take ``ax=None`` make their own figure.

Conventions (as in :mod:`colorlab.color`): numpy images are channel-last ``(H, W, 3)``, torch
tensors channel-first ``(3, H, W)`` or ``(N, 3, H, W)``; RGB is float in [0, 1] or uint8.
In the ab plane, a runs left → right (green → red/magenta) and b bottom → top (blue → yellow),
both in Lab units.

Sections: images · the ab plane (gamut, bins, histograms, priors) · training curves (later).
"""
from __future__ import annotations

import math
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.collections import PatchCollection
from matplotlib.colors import LogNorm, Normalize
from matplotlib.patches import Rectangle

from colorlab import bins
from colorlab.color import gray_like, in_gamut, lab_to_rgb, yuv_to_rgb
from colorlab.inference import as_uint8_rgb, colorize

AB_LIM = 110.0        # half-width of the ab plane we draw, Lab units (the grid of Zhang et al.)
OUT_OF_GAMUT = 0.9    # gray level of ab points that no sRGB colour has


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


# --- the ab plane -------------------------------------------------------------------------------

def _new_ax(ax, figsize=(3.2, 3.2)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _ab_axes(ax, lim=AB_LIM, title=None):
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("a")
    ax.set_ylabel("b")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def _ab_points(ab) -> np.ndarray:
    """ab values → ``(P, 2)`` numpy: numpy ``(..., 2)`` channel-last, torch ``(N, 2, H, W)``."""
    if _is_torch(ab):
        if ab.ndim != 4 or ab.shape[1] != 2:
            raise ValueError(f"expected a torch ab tensor (N, 2, H, W), got {tuple(ab.shape)}")
        return _numpy(ab).transpose(0, 2, 3, 1).reshape(-1, 2)
    x = np.asarray(ab, dtype=np.float64)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(f"expected numpy ab values (..., 2), got shape {x.shape}")
    return x.reshape(-1, 2)


def ab_colors(ab_points, L: float = 50.0) -> np.ndarray:
    """The sRGB colour of each ab point at lightness L: ``(P, 2)`` → ``(P, 3)`` in [0, 1].

    Points outside the sRGB gamut at this L are clipped, as :func:`colorlab.color.lab_to_rgb` does.
    """
    pts = _ab_points(ab_points)
    return lab_to_rgb(np.concatenate([np.full((len(pts), 1), float(L)), pts], axis=1))


def ab_scatter(ax, ab_points, values=None, L: float = 50.0, s: float = 12.0, cmap="viridis",
               **kw):
    """Scatter ab points: coloured by their own colour at lightness L, or by ``values``.

    ab_points: ``(P, 2)`` Lab units (or any layout :func:`ab_histogram` accepts).
    values: None or ``(P,)`` numbers mapped through ``cmap``. Returns the PathCollection.
    """
    pts = _ab_points(ab_points)
    if values is None:
        colours = ab_colors(pts, L)
        coll = ax.scatter(pts[:, 0], pts[:, 1], c=colours, s=s, **kw)
    else:
        values = np.asarray(values).reshape(-1)
        if len(values) != len(pts):
            raise ValueError(f"ab_scatter: {len(pts)} points but {len(values)} values")
        coll = ax.scatter(pts[:, 0], pts[:, 1], c=values, s=s, cmap=cmap, **kw)
    _ab_axes(ax, lim=max(AB_LIM, float(np.abs(pts).max(initial=0)) + 5))
    return coll


def plot_bins(ab_bins, ax=None, L: float = 50.0, step: float = 10.0, facecolor=None,
              edgecolor="none", linewidth: float = 0.5, title=None, **kw):
    """Draw bin centres as the ``step`` × ``step`` cells they stand for.

    ab_bins: ``(M, 2)`` centres in Lab units (e.g. :func:`colorlab.bins.ab_bins`, ``(313, 2)``).
    Each cell is filled with its centre's colour at lightness L (Zhang et al. 2016, fig. 3a, use
    L = 50), or with ``facecolor`` if given ("none" for outlines only).
    Returns the Axes; the cells are one PatchCollection (``ax.collections[-1]``, M paths).
    """
    pts = _ab_points(ab_bins)
    ax = _new_ax(ax)
    cells = [Rectangle((a - step / 2, b - step / 2), step, step) for a, b in pts]
    fill = ab_colors(pts, L) if facecolor is None else facecolor
    coll = PatchCollection(cells, facecolor=fill, edgecolor=edgecolor, linewidth=linewidth, **kw)
    ax.add_collection(coll)
    _ab_axes(ax, lim=AB_LIM + step / 2, title=title)
    return ax


def _gamut_key(L):
    """L as a hashable cache key: a float, or a (lo, hi) pair of floats. Raises ValueError."""
    if np.ndim(L) == 0:
        return float(L)
    if np.shape(L) == (2,) and L[0] <= L[1]:
        return (float(L[0]), float(L[1]))
    raise ValueError(f"L must be a number or a range (lo, hi) with lo <= hi, got {L!r}")


@lru_cache(maxsize=32)
def _gamut_planes(L_key, step: float, lim: float):
    """(in_gamut (n, n) bool, the L to colour each point at (n, n)); cached: figures reuse them."""
    axis = np.arange(-lim, lim + step / 2, step)
    b, a = np.meshgrid(axis, axis, indexing="ij")
    Ls = (np.array([L_key]) if isinstance(L_key, float)
          else np.arange(L_key[0], L_key[1] + 0.5, 1.0))
    inside = np.stack([in_gamut(np.stack([np.full_like(a, l), a, b], -1)) for l in Ls])  # (nL, n, n)
    ok = inside.any(0)
    L_mid = np.where(ok, (inside * Ls[:, None, None]).sum(0) / np.maximum(inside.sum(0), 1), 50.0)
    ok.flags.writeable = L_mid.flags.writeable = False
    return ok, L_mid


def gamut_image(L, step: float = 1.0, lim: float = AB_LIM, background: float = OUT_OF_GAMUT):
    """The ab plane at lightness L as an RGB image: ``(n, n, 3)`` float, n = 2·lim/step + 1.

    L: one lightness (0…100), or a range ``(lo, hi)``: then a point is shown if it is in gamut
    at some L of lo, lo + 1, …, hi, in its colour at the middle of those L.
    Row i is b = −lim + i·step (draw with ``origin="lower"``), column j is a = −lim + j·step.
    Out-of-gamut points get the gray level ``background``. Returns (image, in_gamut (n, n) bool).
    """
    ok, L_mid = _gamut_planes(_gamut_key(L), float(step), float(lim))
    axis = np.arange(-lim, lim + step / 2, step)
    b, a = np.meshgrid(axis, axis, indexing="ij")
    rgb = lab_to_rgb(np.stack([L_mid, a, b], -1))
    rgb[~ok] = background
    return rgb, ok.copy()


def gamut_slice(L, ax=None, step: float = 1.0, lim: float = AB_LIM,
                background: float = OUT_OF_GAMUT, title=None):
    """Draw the ab plane at lightness L (or an L range), out-of-gamut points gray.

    As in Massachi (2018) fig. 3.2 / Zhang et al. (2016) fig. 3: which (a, b) an sRGB colour can
    have depends on L. L: a number or ``(lo, hi)`` (see :func:`gamut_image`).
    Returns the Axes; ``ax.images[0]`` holds the ``(n, n, 3)`` image, n = 2·lim/step + 1.
    """
    rgb, _ = gamut_image(L, step, lim, background)
    ax = _new_ax(ax)
    ax.imshow(rgb, origin="lower", extent=(-lim - step / 2, lim + step / 2) * 2,
              interpolation="nearest")
    if title is None:
        title = f"L = {L:g}" if np.ndim(L) == 0 else f"L in [{L[0]:g}, {L[1]:g}]"
    return _ab_axes(ax, lim + step / 2, title)


def gamut_outline(L, ax, step: float = 1.0, lim: float = AB_LIM, **kw):
    """Draw the border of the sRGB gamut in ab at lightness L (or an L range) as a contour.

    kw go to ``ax.contour`` (default: a thin black line). Returns the contour set.
    """
    _, ok = gamut_image(L, step, lim)
    axis = np.arange(-lim, lim + step / 2, step)
    kw = {"colors": "k", "linewidths": 0.8, **kw}
    return ax.contour(axis, axis, ok.astype(float), levels=[0.5], **kw)


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


def ab_hist2d(ab, step: float = 2.0, lim: float = AB_LIM) -> tuple[np.ndarray, np.ndarray]:
    """Empirical p(a, b): returns (p, edges); p ``(n, n)`` sums to 1 (row = a, column = b).

    ab: numpy ``(..., 2)`` channel-last (e.g. ``lab[..., 1:]`` or ``(P, 2)``) or torch
    ``(N, 2, H, W)``. Values outside ±lim are clipped onto the border cells.
    """
    pts = np.clip(_ab_points(ab), -lim, lim)
    if len(pts) == 0:
        raise ValueError("ab_hist2d: no ab values")
    edges = np.arange(-lim, lim + step / 2, step)
    counts, _, _ = np.histogram2d(pts[:, 0], pts[:, 1], bins=(edges, edges))
    return counts / counts.sum(), edges


def ab_histogram(ab, ax=None, log: bool = True, step: float = 2.0, lim: float = AB_LIM,
                 cmap: str = "viridis", vmin: float | None = None, vmax: float | None = None,
                 colorbar: bool = True, title=None):
    """Draw the 2-D histogram of ab values as an image of p(a, b), log scale by default.

    ab: any layout :func:`ab_hist2d` accepts. Empty cells are left blank (white). With ``log``,
    the colour scale is logarithmic (``vmin`` defaults to 1e-6 · max, ``vmax`` to the max; give
    both to put several panels on one scale and draw one colour bar for them).
    Returns the Axes; ``ax.images[0]`` holds the ``(n, n)`` histogram, n = 2·lim/step.
    """
    p, edges = ab_hist2d(ab, step, lim)
    shown = np.ma.masked_equal(p.T, 0)            # rows = b for origin="lower"
    top = p.max() if vmax is None else vmax
    norm = (LogNorm(vmin=top * 1e-6 if vmin is None else vmin, vmax=top) if log
            else Normalize(vmin=0 if vmin is None else vmin, vmax=top))
    ax = _new_ax(ax, figsize=(3.8, 3.2) if colorbar else (3.2, 3.2))
    im = ax.imshow(shown, origin="lower", extent=(edges[0], edges[-1]) * 2, cmap=cmap,
                   norm=norm, interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.03,
                           label="p(a, b)" + (" (log)" if log else ""))
    return _ab_axes(ax, lim, title)


def prior_map(p, ax=None, log: bool = True, centres=None, cmap: str = "viridis",
              vmin: float | None = None, vmax: float | None = None, colorbar: bool = True,
              label: str | None = None, title=None):
    """Draw a distribution over the quantised ab bins on the 23 × 23 grid, log scale by default.

    p: ``(M,)`` one value per centre of ``centres`` (default the 313 published bins,
    :func:`colorlab.bins.ab_bins`); cells with no bin are blank, and so are cells with p <= 0
    when ``log``. With ``log=False`` any real values work (e.g. a log-ratio of two priors, with a
    diverging ``cmap`` and ``vmin=-vmax``).
    Returns the Axes; ``ax.images[0]`` holds the ``(23, 23)`` grid (rows = b, columns = a).
    """
    centres = bins.ab_bins() if centres is None else _ab_points(centres)
    p = np.asarray(_numpy(p), dtype=np.float64)
    if p.ndim != 1 or len(p) != len(centres):
        raise ValueError(f"prior_map: expected ({len(centres)},) values, one per bin, "
                         f"got shape {np.shape(p)}")
    step, n = bins.GRID_STEP, len(bins.GRID)
    ia = np.rint((centres[:, 0] - bins.GRID[0]) / step).astype(int)
    ib = np.rint((centres[:, 1] - bins.GRID[0]) / step).astype(int)
    if ia.min() < 0 or ib.min() < 0 or ia.max() >= n or ib.max() >= n:
        raise ValueError("prior_map: centres must lie on the 10-unit grid −110…110")
    grid = np.zeros((n, n))
    grid[ib, ia] = p
    mask = np.ones((n, n), bool)
    mask[ib, ia] = False
    if log:
        positive = p[p > 0]
        if not len(positive):
            raise ValueError("prior_map: log scale needs some p > 0")
        top = positive.max() if vmax is None else vmax
        norm = LogNorm(vmin=vmin if vmin is not None else max(positive.min(), top * 1e-6),
                       vmax=top)
        mask |= grid <= 0
    else:
        norm = Normalize(vmin=min(0.0, p.min()) if vmin is None else vmin,
                         vmax=p.max() if vmax is None else vmax)
    half = (n * step) / 2
    ax = _new_ax(ax, figsize=(3.8, 3.2) if colorbar else (3.2, 3.2))
    im = ax.imshow(np.ma.masked_array(grid, mask), origin="lower", extent=(-half, half) * 2,
                   cmap=cmap, norm=norm, interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.03,
                           label=label or ("p (log scale)" if log else "p"))
    return _ab_axes(ax, half, title)


# --- training curves ----------------------------------------------------------------------------
# (plot_history and friends: added by the training notebooks)
