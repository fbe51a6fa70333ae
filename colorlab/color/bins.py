"""The quantised ab space of Zhang, Isola & Efros 2016 ("Colorful Image Colorization", §2).

Colorization as classification: the ab plane is cut into a grid of 10 × 10-unit cells and a
network predicts, for every pixel, a probability for each of the Q = 313 cells that hold
colours of the sRGB gamut. This module holds everything about that grid:

- :func:`ab_bins` — the 313 published bin centres, ``(313, 2)`` in Lab units;
- :func:`soft_encode` — a colour as a soft one-hot over its 5 nearest bins (the training target);
- :func:`prior` — how often each bin occurs in a data set (for ImageNet: published);
- :func:`rebalance_weights` — per-bin loss weights that boost rare, saturated colours;
- :func:`annealed_mean` — from the network's 313 logits back to one ab value per pixel.

Tensors are channel-first like PyTorch: ab is ``(N, 2, H, W)`` float in Lab units.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from colorlab.color.spaces import in_gamut, rgb_to_lab

# --- constants (Zhang et al. 2016, §2.1–2.3 and their released code) --------------------------------
GRID_STEP = 10.0          # ab grid spacing, Lab units
GRID = np.arange(-110, 111, 10)  # the 23 grid values on each axis: 23 × 23 = 529 centres
K_NEIGHBOURS = 5          # soft encoding uses the 5 nearest bins (the released code used 10)
SIGMA = 5.0               # Gaussian kernel width of the soft encoding and of the prior smoothing
LAMBDA = 0.5              # rebalancing mix between the prior and a uniform distribution
T_ANNEAL = 0.38           # annealed-mean temperature (the Caffe deploy scaled logits by 2.606)
Q = 313                   # number of in-gamut bins

_ZHANG_DIR = Path(__file__).resolve().parents[2] / "data" / "zhang_ecc16"   # the repository's data/


def _data_file(name: str) -> Path:
    import os
    root = Path(os.environ.get("COLORLAB_DATA", _ZHANG_DIR.parent)) / "zhang_ecc16"
    path = root / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: it ships with colorlab in data/zhang_ecc16/ "
                                "(restore it from the repository)")
    return path


@lru_cache(maxsize=None)
def _ab_bins_np() -> np.ndarray:
    return np.load(_data_file("pts_in_hull.npy")).astype(np.float64)


def ab_bins() -> np.ndarray:
    """The 313 in-gamut bin centres of Zhang et al.: ``(313, 2)`` float, Lab units.

    Ordered by a, then b; index 120 is (0, 0). Loaded from ``data/zhang_ecc16/pts_in_hull.npy``.
    """
    return _ab_bins_np().copy()


def grid_centres() -> np.ndarray:
    """All 23 × 23 = 529 centres of the 10-unit ab grid, ``(529, 2)``, ordered by a then b."""
    a, b = np.meshgrid(GRID, GRID, indexing="ij")
    return np.stack([a.ravel(), b.ravel()], axis=1).astype(np.float64)


def gamut_bins(L_values=None, step: float = 1.0) -> np.ndarray:
    """Grid centres (a, b) that are inside the sRGB gamut at some lightness.

    A centre counts when the Lab colour (L, a, b) maps into the sRGB cube for at least one L of
    ``L_values`` (default 0, 1, …, 100). Returns ``(M, 2)`` float, ordered like :func:`ab_bins`.
    This is the plain gamut test; notebook 01 compares it with the published 313.
    """
    L_values = np.arange(0, 100 + step, step) if L_values is None else np.asarray(L_values)
    centres = grid_centres()
    lab = np.concatenate([np.broadcast_to(L_values[:, None, None], (len(L_values), len(centres), 1)),
                          np.broadcast_to(centres[None], (len(L_values), len(centres), 2))], -1)
    keep = in_gamut(lab).any(axis=0)
    return centres[keep]


# --- nearest bins, exactly and fast ----------------------------------------------------------------
# Brute force compares every pixel with all 313 centres. Because the centres sit on a 10-unit grid,
# most of them can never be among a pixel's 5 nearest. We cut the ab plane into small square cells
# and list, for each cell, the few bins that could be among the k nearest of ANY point in it:
# the k-th nearest distance moves by at most |x - c| when the point moves from the cell centre c to
# x, so a bin whose distance to the cell exceeds d_k(c) + half the cell diagonal is never needed.
# Exact distances to those candidates then decide the k nearest.
_CELL = 2.5                 # candidate-table cell size, Lab units
_LO, _HI = -130.0, 130.0    # table extent; points outside fall back to brute force


@lru_cache(maxsize=None)
def _candidate_table(k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For every table cell, the bins that can be among the k nearest of a point in it.

    Returns ``index`` (cells, M) long (padded with the dummy index Q) and the candidates'
    coordinates ``a``, ``b`` (cells, M) float (the dummy sits far away, at 10⁴).
    """
    centres = _ab_bins_np()
    n = int(round((_HI - _LO) / _CELL))
    mids = _LO + _CELL * (np.arange(n) + 0.5)
    ca, cb = np.meshgrid(mids, mids, indexing="ij")
    cell_centre = np.stack([ca.ravel(), cb.ravel()], 1)                      # (n², 2)
    d = np.linalg.norm(cell_centre[:, None] - centres[None], axis=-1)        # (n², Q)
    d_k = np.sort(d, axis=1)[:, k - 1]
    gap = np.maximum(np.abs(cell_centre[:, None] - centres[None]) - _CELL / 2, 0)
    d_min = np.linalg.norm(gap, axis=-1)                                      # bin to cell square
    cand = d_min <= (d_k + _CELL * np.sqrt(0.5) + 1e-6)[:, None]
    m = cand.sum(1).max()
    table = np.full((n * n, m), len(centres), dtype=np.int64)
    for i, row in enumerate(cand):
        idx = np.flatnonzero(row)
        table[i, :len(idx)] = idx
    padded = np.concatenate([centres, [[1e4, 1e4]]])[table]                   # (n², M, 2)
    return (torch.from_numpy(table), torch.from_numpy(padded[..., 0]),
            torch.from_numpy(padded[..., 1]))


def _as_ab_tensor(ab) -> torch.Tensor:
    ab = torch.as_tensor(ab) if not isinstance(ab, torch.Tensor) else ab
    if ab.ndim != 4 or ab.shape[1] != 2:
        raise ValueError(f"expected ab as (N, 2, H, W), got {tuple(ab.shape)}")
    return ab if ab.is_floating_point() else ab.float()


@lru_cache(maxsize=None)
def _candidates_on(k: int, device: torch.device, dtype: torch.dtype):
    """``_candidate_table(k)`` on ``device``, the coordinates in ``dtype`` (made once, kept)."""
    table, cand_a, cand_b = (t.to(device) for t in _candidate_table(k))
    return table, cand_a.to(dtype), cand_b.to(dtype)


def _knn_flat(x: torch.Tensor, k: int, chunk: int = 1 << 18):
    """x: (P, 2) float ab values → (P, k) squared distances and (P, k) bin indices, nearest first."""
    table, cand_a, cand_b = _candidates_on(k, x.device, x.dtype)
    n = int(round((_HI - _LO) / _CELL))
    if len(x) <= chunk:
        return _knn_chunk(x, k, n, table, cand_a, cand_b)
    d2_out = torch.empty(len(x), k, dtype=x.dtype, device=x.device)
    idx_out = torch.empty(len(x), k, dtype=torch.long, device=x.device)
    for s in range(0, len(x), chunk):
        d2_out[s:s + chunk], idx_out[s:s + chunk] = _knn_chunk(x[s:s + chunk], k, n, table,
                                                               cand_a, cand_b)
    return d2_out, idx_out


def _knn_chunk(xs, k, n, table, cand_a, cand_b):
    cell = ((xs - _LO) / _CELL).floor().long()
    lo, hi = cell.aminmax()
    inside = None if (lo >= 0 and hi < n) else ((cell >= 0) & (cell < n)).all(1)
    if inside is not None:
        cell = cell.clamp(0, n - 1)
    row = cell[:, 0] * n + cell[:, 1]
    # (x − c)² with x − c computed as −(c − x): the same float, in place
    d2 = cand_a.index_select(0, row).sub_(xs[:, 0:1]).square_()
    d2.add_(cand_b.index_select(0, row).sub_(xs[:, 1:2]).square_())
    best, pos = d2.topk(k, dim=1, largest=False)
    idx = table.index_select(0, row).gather(1, pos)
    if inside is not None:                                                  # rare: far outside
        out = ~inside
        centres = torch.as_tensor(_ab_bins_np(), dtype=xs.dtype, device=xs.device)
        best[out], idx[out] = (torch.cdist(xs[out], centres) ** 2).topk(k, dim=1, largest=False)
    return best, idx


def nearest_bin(ab) -> torch.Tensor:
    """Index of the nearest of the 313 bins for every pixel: ab (N, 2, H, W) → (N, H, W) long."""
    ab = _as_ab_tensor(ab)
    n, _, h, w = ab.shape
    _, idx = _knn_flat(ab.permute(0, 2, 3, 1).reshape(-1, 2), 1)
    return idx.view(n, h, w)


def soft_encode_sparse(ab, k: int = K_NEIGHBOURS, sigma: float = SIGMA):
    """The soft target as k indices and k weights per pixel (what the loss needs).

    ab: (N, 2, H, W) float, Lab units. Returns ``idx`` (N, k, H, W) long, bin indices nearest
    first, and ``weight`` (N, k, H, W) float: exp(−d²/2σ²) over the k nearest, summing to 1.
    """
    ab = _as_ab_tensor(ab)
    n, _, h, w = ab.shape
    d2, idx = _knn_flat(ab.permute(0, 2, 3, 1).reshape(-1, 2), k)
    # subtract the nearest distance first: same weights after normalising, no underflow
    wgt = d2.sub(d2[:, :1]).div_(-2 * sigma ** 2).exp_()            # exp(−(d² − d₁²)/2σ²)
    wgt.div_(wgt.sum(1, keepdim=True))
    unflat = lambda t: t.view(n, h, w, k).permute(0, 3, 1, 2)
    return unflat(idx), unflat(wgt)


def soft_encode(ab, k: int = K_NEIGHBOURS, sigma: float = SIGMA) -> torch.Tensor:
    """Soft-encode ab values over the 313 bins: ab (N, 2, H, W) → (N, 313, H, W), rows sum to 1.

    Each pixel spreads its unit mass over its ``k`` nearest bin centres with Gaussian weights
    exp(−d²/2σ²) (Zhang et al. 2016, §2.1: k = 5, σ = 5). Exact nearest neighbours.
    A dense target is large: (16, 313, 256, 256) float is 1.3 GB; losses use
    :func:`soft_encode_sparse` instead.
    """
    idx, wgt = soft_encode_sparse(ab, k, sigma)
    out = torch.zeros(idx.shape[0], Q, *idx.shape[2:], dtype=wgt.dtype, device=wgt.device)
    return out.scatter_(1, idx, wgt)


# --- priors and rebalancing ---------------------------------------------------------------------

def smooth(p: np.ndarray, sigma: float = SIGMA) -> np.ndarray:
    """Smooth a distribution over the 313 bins with a Gaussian of width ``sigma`` in ab.

    p: (313,) non-negative. Returns (313,) summing to 1.
    """
    c = _ab_bins_np()
    d2 = ((c[:, None] - c[None]) ** 2).sum(-1)
    kernel = np.exp(-d2 / (2 * sigma ** 2))
    q = kernel @ np.asarray(p, dtype=np.float64)
    return q / q.sum()


def count_bins(ab) -> np.ndarray:
    """How many pixels fall nearest to each bin: ab (N, 2, H, W) → (313,) float counts."""
    idx = nearest_bin(ab).reshape(-1)
    return torch.bincount(idx, minlength=Q).double().numpy()


def prior(name_or_data="imagenet", sigma: float = SIGMA) -> np.ndarray:
    """Prior probability of each of the 313 bins, ``(313,)`` summing to 1.

    - ``"imagenet"``: Zhang et al.'s published ImageNet prior (already smoothed);
    - ``"uniform"``: every bin equally likely;
    - an ``ImageSet`` or RGB images ``(N, H, W, 3)`` uint8: pixel counts per nearest bin,
      smoothed with σ = ``sigma`` (for a data set by name: ``prior(data.load("flowers"))``).
    """
    if isinstance(name_or_data, str) and name_or_data == "imagenet":
        return np.load(_data_file("prior_probs.npy")).astype(np.float64)
    if isinstance(name_or_data, str) and name_or_data == "uniform":
        return np.full(Q, 1.0 / Q)
    images = name_or_data
    if isinstance(images, (str, Path)):
        raise ValueError(f"prior: give 'imagenet', 'uniform' or photos, got {str(images)!r} "
                         "(load a data set first: bins.prior(data.load(name, size=64)))")
    images = getattr(images, "images", images)
    counts = np.zeros(Q)
    for s in range(0, len(images), 256):
        batch = np.array(images[s:s + 256])  # a writable copy (cached images are read-only)
        rgb = torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255
        counts += count_bins(rgb_to_lab(rgb)[:, 1:])
    return smooth(counts / counts.sum(), sigma)


def rebalance_weights(p: np.ndarray, lam: float = LAMBDA) -> np.ndarray:
    """Per-bin loss weights w ∝ ((1 − λ)·p + λ/Q)⁻¹, normalised so that Σ p·w = 1.

    p: (313,) prior (smoothed). Q counts the bins with p > 0 (Zhang et al. 2016, eq. 3–4).
    Rare colours get large weights, the common grays small ones. Returns (313,).
    """
    p = np.asarray(p, dtype=np.float64)
    q = int((p > 0).sum())
    w = 1.0 / ((1 - lam) * p + lam / q)
    return w / (p * w).sum()


# --- from logits back to colours ------------------------------------------------------------------

def annealed_mean(logits: torch.Tensor, T: float = T_ANNEAL) -> torch.Tensor:
    """The annealed mean of Zhang et al.: logits (N, 313, H, W) → ab (N, 2, H, W), Lab units.

    softmax(logits / T) re-weights the 313 probabilities, then the expectation over the bin
    centres gives one colour per pixel. T = 1 is the plain mean (desaturated), T → 0 the mode
    (vivid but patchy); T = 0.38 is the paper's compromise.
    """
    if T <= 0:
        raise ValueError(f"temperature T must be > 0 (got {T}); use mode() for T → 0")
    probs = torch.softmax(logits.float() / T, dim=1)
    centres = torch.as_tensor(_ab_bins_np(), dtype=probs.dtype, device=probs.device)
    return torch.einsum("nqhw,qc->nchw", probs, centres)


def mode(logits: torch.Tensor) -> torch.Tensor:
    """The most probable bin's centre per pixel: logits (N, 313, H, W) → ab (N, 2, H, W)."""
    centres = torch.as_tensor(_ab_bins_np(), dtype=torch.float32, device=logits.device)
    return centres[logits.argmax(1)].permute(0, 3, 1, 2)
