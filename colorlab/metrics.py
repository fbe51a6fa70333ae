"""How good is a colorization? The numbers the papers report, each in one short function.

- :func:`psnr` — peak signal-to-noise ratio on 8-bit sRGB (Massachi, SIGGRAPH17, Daly & Zhao);
- :func:`psnr_hvs_m` — PSNR-HVS-M, a PSNR that weighs errors as the eye sees them
  (Ponomarenko et al. 2007; Massachi's tables);
- :func:`ssim` — structural similarity (Wang et al. 2004);
- :func:`mae` — mean absolute error, e.g. on ab in Lab units (Nazeri et al., in the review);
- :func:`auc` / :func:`auc_rebalanced` — Zhang et al. 2016's "raw accuracy": the share of pixels
  whose ab is within a distance t of the truth, swept over t = 0…150, as an area under the curve;
- :func:`colorfulness` — how vivid an image is, no ground truth needed (Hasler & Süsstrunk 2003).

Images are RGB in any of the layouts of :mod:`colorlab.color`: numpy ``(H, W, 3)`` or a batch
``(N, H, W, 3)``, float in [0, 1] or uint8, or torch ``(N, 3, H, W)`` / ``(3, H, W)`` float in
[0, 1]. Every image metric first turns its input into 8-bit sRGB (``round(x · 255)``), so a float
image and its uint8 version score exactly the same. For a batch the image metrics return the
MEAN over images of the per-image value (``per_image=True`` gives the array instead).
ab arrays are numpy ``(..., H, W, 2)`` or torch ``(N, 2, H, W)``, in Lab units.
All metrics here are symmetric: the order of prediction and truth does not matter.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np
import torch
from skimage.metrics import structural_similarity

from colorlab import color
from colorlab.color import bins

PEAK_8BIT = 255            # the largest 8-bit value: PSNR's "peak signal"
PSNR_CAP = 100.0           # dB for identical images (psnr-hvsm's convention), so means stay finite
DCT_BLOCK = 8              # PSNR-HVS-M compares 8 × 8 DCT blocks (Ponomarenko et al. 2007)
SSIM_WIN = 7               # scikit-image's SSIM window: 7 × 7, uniform
AUC_THRESHOLDS = np.arange(0, 151)  # Zhang et al. 2016 §3.1 (Table 1): thresholds 0…150 in ab units
AUC_LAMBDA = 0.0           # Zhang et al. 2016 §3.1: rebalanced AuC uses "Equation 4, setting λ = 0"
COLORFULNESS_MEAN_WEIGHT = 0.3  # Hasler & Süsstrunk 2003: M = σ_rgyb + 0.3 · μ_rgyb


# --- inputs -------------------------------------------------------------------------------------

def _shape(x) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def to_uint8(rgb) -> np.ndarray:
    """Any accepted RGB image or batch → 8-bit sRGB, numpy ``(N, H, W, 3)`` uint8.

    Floats are clipped to [0, 1] and rounded: ``round(x · 255)``. uint8 passes through.
    """
    if isinstance(rgb, torch.Tensor):
        x = rgb.detach().cpu()
        x = x[None] if x.ndim == 3 else x
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected a torch image (N, 3, H, W) or (3, H, W), got {_shape(rgb)}")
        x = x.permute(0, 2, 3, 1)
        x = x.numpy() if x.dtype == torch.uint8 else x.double().numpy()
    else:
        x = np.asarray(rgb)
        x = x[None] if x.ndim == 3 else x
        if x.ndim != 4 or x.shape[-1] != 3:
            raise ValueError(f"expected a numpy image (H, W, 3) or (N, H, W, 3), got {_shape(rgb)}")
    if x.dtype == np.uint8:
        return x
    return np.round(np.clip(x.astype(np.float64), 0, 1) * PEAK_8BIT).astype(np.uint8)


def _pair(a, b):
    """Two images or batches → two uint8 ``(N, H, W, 3)`` arrays of the same shape."""
    x, y = to_uint8(a), to_uint8(b)
    if x.shape != y.shape:
        raise ValueError(f"images differ in shape: {_shape(a)} vs {_shape(b)}")
    return x, y


def _mean_or_all(values, per_image: bool):
    values = np.asarray(values, dtype=np.float64)
    return values if per_image else float(values.mean())


# --- PSNR, PSNR-HVS-M, SSIM ---------------------------------------------------------------------

def psnr(a, b, per_image: bool = False):
    """Peak signal-to-noise ratio in dB on 8-bit sRGB: 10 · log10(255² / MSE).

    MSE is over all pixels and the three channels of one image (what
    ``skimage.metrics.peak_signal_noise_ratio(x, y, data_range=255)`` computes). Identical
    images would give +∞; we cap every value at ``PSNR_CAP`` = 100 dB so that means stay finite.
    An error of one 8-bit level everywhere gives 20 · log10(255) ≈ 48.13 dB.
    """
    x, y = _pair(a, b)
    mse = ((x.astype(np.float64) - y) ** 2).mean(axis=(1, 2, 3))          # (N,)
    with np.errstate(divide="ignore"):
        db = 10 * np.log10(PEAK_8BIT ** 2 / mse)
    return _mean_or_all(np.minimum(db, PSNR_CAP), per_image)


def _psnr_hvsm_module():
    """Import ``psnr_hvsm`` quietly (at import it prints a note about its optional torch backend)."""
    with contextlib.redirect_stdout(io.StringIO()):
        import psnr_hvsm
    return psnr_hvsm


def _pad_to_block(x: np.ndarray) -> np.ndarray:
    """Mirror-pad ``(N, H, W)`` at the bottom and right to multiples of ``DCT_BLOCK``."""
    h, w = x.shape[-2:]
    return np.pad(x, ((0, 0), (0, -h % DCT_BLOCK), (0, -w % DCT_BLOCK)), mode="symmetric")


def psnr_hvs_m(a, b, channel: str = "luma", per_image: bool = False):
    """PSNR-HVS-M in dB (Ponomarenko et al. 2007), from the ``psnr-hvsm`` package.

    The error is measured in 8 × 8 DCT blocks, weighted by the eye's contrast sensitivity and
    reduced where the image's own texture masks it. Computed on one channel in [0, 1] of the
    8-bit images: ``channel="luma"`` (default) is Y of BT.601 (:func:`color.rgb_to_yuv`);
    ``"r"``, ``"g"``, ``"b"`` use that sRGB channel. Sizes that are not multiples of 8 are
    mirror-padded at the bottom and right. Identical images give 100 (the package's value).
    """
    x, y = _pair(a, b)
    if channel == "luma":
        pick = lambda img: color.rgb_to_yuv(img / 255.0)[..., 0]
    elif channel in ("r", "g", "b"):
        pick = lambda img: img[..., "rgb".index(channel)] / 255.0
    else:
        raise ValueError(f'channel must be "luma", "r", "g" or "b", got {channel!r}')
    x, y = _pad_to_block(pick(x)), _pad_to_block(pick(y))                   # (N, H', W')
    # the package divides by zero (no error; flat blocks) before np.where picks the right value
    with np.errstate(divide="ignore", invalid="ignore"):
        _, hvsm = _psnr_hvsm_module().psnr_hvs_hvsm(x, y, batch=True)
    return _mean_or_all(np.atleast_1d(hvsm), per_image)


def ssim(a, b, per_image: bool = False):
    """Structural similarity (Wang et al. 2004) of 8-bit sRGB images, in [−1, 1]; 1 = identical.

    ``skimage.metrics.structural_similarity`` with its defaults (a 7 × 7 uniform window; Wang
    et al. used an 11 × 11 Gaussian), ``data_range=255``, the mean over the three channels.
    Images smaller than 7 × 7 raise ValueError: a smaller window would be a different metric.
    """
    x, y = _pair(a, b)
    if min(x.shape[1:3]) < SSIM_WIN:
        raise ValueError(f"ssim needs images of at least {SSIM_WIN} × {SSIM_WIN} px "
                         f"(its window), got {x.shape[1]} × {x.shape[2]}")
    values = [structural_similarity(xi, yi, channel_axis=-1, data_range=PEAK_8BIT)
              for xi, yi in zip(x, y)]
    return _mean_or_all(values, per_image)


# --- errors in ab -------------------------------------------------------------------------------

def _to_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def mae(a, b) -> float:
    """Mean absolute error of two same-shape arrays or tensors (in their own units).

    Nazeri et al. (in the review) report it on ab, in Lab units. No layout conversion: pass
    both in the same layout. uint8 is read as numbers 0…255 (no wrap-around).
    """
    x, y = _to_numpy(a), _to_numpy(b)
    if x.shape != y.shape:
        raise ValueError(f"arrays differ in shape: {_shape(a)} vs {_shape(b)}")
    return float(np.abs(x - y).mean())


def _ab_nhwc(ab) -> np.ndarray:
    """ab as torch (N, 2, H, W) / (2, H, W) or numpy (..., H, W, 2) → numpy (N, H, W, 2) float64."""
    if isinstance(ab, torch.Tensor):
        x = ab[None] if ab.ndim == 3 else ab
        if x.ndim != 4 or x.shape[1] != 2:
            raise ValueError(f"expected torch ab (N, 2, H, W), got {_shape(ab)}")
        return _to_numpy(x.permute(0, 2, 3, 1))
    x = _to_numpy(ab)
    if x.ndim < 3 or x.shape[-1] != 2:
        raise ValueError(f"expected numpy ab (..., H, W, 2), got {_shape(ab)}")
    return x.reshape(-1, *x.shape[-3:])


def accuracy_curve(ab_pred, ab_true, weights=None, thresholds=AUC_THRESHOLDS) -> np.ndarray:
    """Share of pixels whose ab lies within each threshold of the truth (Zhang et al. 2016, §3.1).

    d = ‖ab_pred − ab_true‖₂ per pixel (Lab units); for each threshold t the returned value is
    Σ w·[d ≤ t] / Σ w over all pixels of the batch (w = 1 unless ``weights``, one per pixel,
    e.g. ``(N, H, W)``). Returns ``(len(thresholds),)`` in [0, 1], non-decreasing in t.
    """
    pred, true = _ab_nhwc(ab_pred), _ab_nhwc(ab_true)
    if pred.shape != true.shape:
        raise ValueError(f"ab arrays differ in shape: {_shape(ab_pred)} vs {_shape(ab_true)}")
    dist = np.linalg.norm(pred - true, axis=-1).ravel()                    # (P,) Lab units
    w = np.ones_like(dist) if weights is None else _to_numpy(weights).ravel()
    if w.shape != dist.shape or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be non-negative, one per pixel ({dist.size}), "
                         f"not all zero; got shape {_shape(weights)}")
    order = np.argsort(dist)
    cum_w = np.concatenate([[0.0], np.cumsum(w[order])])                  # weight of the k closest
    within = np.searchsorted(dist[order], np.asarray(thresholds), side="right")  # #pixels d ≤ t
    return cum_w[within] / cum_w[-1]


def auc(ab_pred, ab_true, weights=None, thresholds=AUC_THRESHOLDS) -> float:
    """Zhang et al. 2016's raw-accuracy AuC: area under :func:`accuracy_curve`, normalised.

    AuC = ∫ acc(t) dt / (t_max − t_min), the integral by the trapezoid rule over ``thresholds``
    (0, 1, …, 150). In [0, 1]; 1 = every pixel exact. A constant error of 10 ab units gives
    (140 + ½) / 150 ≈ 0.937. Over all pixels of the batch (not a mean of per-image values).
    """
    acc = accuracy_curve(ab_pred, ab_true, weights, thresholds)
    t = np.asarray(thresholds, dtype=np.float64)
    area = np.sum(np.diff(t) * (acc[1:] + acc[:-1]) / 2)
    return float(area / (t[-1] - t[0]))


def auc_rebalanced(ab_pred, ab_true, prior="imagenet", lam: float = AUC_LAMBDA,
                   thresholds=AUC_THRESHOLDS) -> float:
    """Class-rebalanced AuC (Zhang et al. 2016, Table 1): rare colours count more.

    Each pixel is weighted by ``bins.rebalance_weights(p, lam)`` of the bin nearest to its true
    ab. Zhang et al. weight "inversely by color class probability (Equation 4, setting λ = 0)",
    hence ``lam=0``: w ∝ 1/p. With the ImageNet prior the weights span 7 orders of magnitude, so
    on a few images a handful of saturated pixels decide the score; ``lam=0.5`` (the training
    weights) is gentler. ``prior``: a (313,) array or anything :func:`bins.prior` accepts.
    """
    p = np.asarray(prior, dtype=np.float64) if np.shape(prior) == (bins.Q,) else bins.prior(prior)
    w_bin = bins.rebalance_weights(p, lam)                                  # (313,)
    true = torch.from_numpy(_ab_nhwc(ab_true)).permute(0, 3, 1, 2)         # (N, 2, H, W)
    weights = w_bin[bins.nearest_bin(true).numpy()]                         # (N, H, W)
    return auc(ab_pred, ab_true, weights=weights, thresholds=thresholds)


# --- colourfulness --------------------------------------------------------------------------------

def colorfulness(rgb, per_image: bool = False):
    """Colourfulness M of Hasler & Süsstrunk 2003 (their M^(3)), no ground truth needed.

    On 8-bit values 0…255: rg = R − G, yb = (R + G)/2 − B; M = √(σ_rg² + σ_yb²) +
    0.3 · √(μ_rg² + μ_yb²) (σ: population standard deviation over the image's pixels).
    A gray image gives 0; their scale calls ~33 "moderately", ~59 "quite", ~82 "highly" colourful.
    """
    x = to_uint8(rgb).astype(np.float64)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]                               # (N, H, W) each
    rg, yb = r - g, (r + g) / 2 - b
    spread = np.sqrt(rg.std(axis=(1, 2)) ** 2 + yb.std(axis=(1, 2)) ** 2)
    offset = np.sqrt(rg.mean(axis=(1, 2)) ** 2 + yb.mean(axis=(1, 2)) ** 2)
    return _mean_or_all(spread + COLORFULNESS_MEAN_WEIGHT * offset, per_image)


# --- helpers for the notebooks ------------------------------------------------------------------

def gray_baseline(rgb):
    """The all-gray guess for the same images: L kept, a = b = 0, in the same layout.

    uint8 in → uint8 out; float numpy or torch in → float in [0, 1]. See :func:`color.gray_like`.
    """
    if isinstance(rgb, torch.Tensor) and rgb.ndim == 3:
        return color.gray_like(rgb[None])[0]
    gray = color.gray_like(rgb)
    if isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8:
        return np.round(np.clip(gray, 0, 1) * PEAK_8BIT).astype(np.uint8)
    return gray
