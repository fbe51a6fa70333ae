"""The ab plane: the sRGB gamut at a lightness, the 313 bins, histograms of ab and priors.

a runs left → right (green → red/magenta) and b bottom → top (blue → yellow), both in Lab units.
Every helper returns what it drew on (``ax=None``: a new figure); none calls ``plt.show()``.
ab values are numpy ``(..., 2)`` channel-last or torch ``(N, 2, H, W)``, in Lab units.
"""
from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.colors import LogNorm, Normalize
from matplotlib.patches import Rectangle

from colorlab.color import bins, in_gamut, lab_to_rgb
from colorlab.show.images import _is_torch, _numpy

AB_LIM = 110.0        # half-width of the ab plane we draw, Lab units (the grid of Zhang et al.)
OUT_OF_GAMUT = 0.9    # gray level of ab points that no sRGB colour has


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

    ab_bins: ``(M, 2)`` centres in Lab units (e.g. :func:`colorlab.color.bins.ab_bins`, ``(313, 2)``).
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
    :func:`colorlab.color.bins.ab_bins`); cells with no bin are blank, and so are cells with p <= 0
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
