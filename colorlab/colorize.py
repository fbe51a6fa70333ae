"""Colour a photo of any size with a trained model.

``colorize(model, image, T=0.38)`` keeps the photo's own lightness at full resolution and asks
the model for ab at a working resolution (``size`` px on the short side, default 256), then
upsamples ab bilinearly: chroma varies slowly, so this is how Zhang et al.'s demo works too, and
it keeps a large photo fast.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from colorlab import bins
from colorlab.color import lab_to_rgb, rgb_to_lab


def _as_rgb_float(image) -> np.ndarray:
    """A path, or an (H, W) / (H, W, 3) uint8 or float array → (H, W, 3) float64 in [0, 1]."""
    if isinstance(image, (str, Path)):
        from colorlab.data import load_image
        image = load_image(image)
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        raise ValueError(f"expected an image (H, W) or (H, W, 3), got shape {image.shape}")
    image = image[..., :3]
    return image / 255.0 if image.dtype == np.uint8 else image.astype(np.float64)


@torch.no_grad()
def predict_ab(model, L: torch.Tensor, T: float = bins.T_ANNEAL, batch_size: int = 64) -> torch.Tensor:
    """L (N, 1, H, W) Lab → ab (N, 2, H, W) Lab units, for a regression or 313-way model.

    Runs ``batch_size`` images at a time, so a whole held-out set fits in memory.
    """
    kind = getattr(model, "kind", None)
    if kind not in ("regression", "classification"):
        raise ValueError(f"a {type(model).__name__} (kind {kind!r}) does not colour images")
    parts = []
    for s in range(0, len(L), batch_size):
        out = model(L[s:s + batch_size])
        if kind == "classification":
            out = logits_to_ab(out, L.shape[-2:], T)
        parts.append(out.float())
    return torch.cat(parts)


def logits_to_ab(logits: torch.Tensor, size, T: float = bins.T_ANNEAL) -> torch.Tensor:
    """313-way logits (N, 313, h, w) → annealed-mean ab (N, 2, H, W), Lab units.

    The annealed mean (``bins.annealed_mean``) is taken at the network's resolution, then
    upsampled bilinearly to ``size`` = (H, W), the size of the L it is painted on.
    """
    return F.interpolate(bins.annealed_mean(logits, T), size=tuple(size), mode="bilinear",
                         align_corners=False)


@torch.no_grad()
def colorize(model, image, T: float = bins.T_ANNEAL, size: int | None = 256) -> np.ndarray:
    """Colour ``image`` with ``model``; returns (H, W, 3) float RGB in [0, 1].

    image: a path or an array of any size and aspect ratio, gray or colour (colour is reduced to
    its lightness L first). T: annealed-mean temperature (313-way models only). size: the short
    side the model sees (None: the full resolution).
    """
    rgb = _as_rgb_float(image)
    lab = rgb_to_lab(rgb)
    h, w = lab.shape[:2]
    device = next(model.parameters()).device
    L = torch.from_numpy(lab[..., 0]).float()[None, None].to(device)
    L_in = L
    if size is not None and min(h, w) != size:
        scale = size / min(h, w)
        hs, ws = max(1, round(h * scale)), max(1, round(w * scale))
        L_in = F.interpolate(L, size=(hs, ws), mode="bilinear", align_corners=False, antialias=True)
    was_training = model.training
    model.eval()
    ab = predict_ab(model, L_in, T)
    model.train(was_training)
    if ab.shape[-2:] != (h, w):
        ab = F.interpolate(ab, size=(h, w), mode="bilinear", align_corners=False)
    out = np.concatenate([lab[..., :1], ab[0].permute(1, 2, 0).double().cpu().numpy()], axis=-1)
    return lab_to_rgb(out)


@torch.no_grad()
def against_gray(model, images, T: float = bins.T_ANNEAL, prior="imagenet",
                 batch_size: int = 64) -> dict:
    """Score a colorizer on held-out photos beside the all-gray guess (a = b = 0), same pixels.

    images: an ``ImageSet`` or (N, H, W, 3) uint8 photos, all one size; the model sees their L
    at that size. T: annealed-mean temperature (313-way models). prior: the prior of the
    rebalanced AuC (``metrics.auc_rebalanced``). Returns floats ``auc``, ``auc_gray``,
    ``auc_rebalanced``, ``auc_rebalanced_gray`` (Zhang et al. 2016, §4.1), ``colorfulness``,
    ``colorfulness_true`` (Hasler & Süsstrunk), ``beats_gray`` (auc > auc_gray), and ``ab``: the
    prediction itself, (N, 2, H, W) Lab units on the CPU, for pictures and further metrics.
    """
    from colorlab import metrics
    from colorlab.color import merge_l_ab
    from colorlab.tasks import to_lab
    photos = np.asarray(getattr(images, "images", images))
    if photos.dtype != np.uint8 or photos.ndim != 4 or photos.shape[-1] != 3:
        raise ValueError(f"expected (N, H, W, 3) uint8 photos of one size, got "
                         f"{photos.dtype} {photos.shape}")
    device = next(model.parameters()).device
    lab = to_lab(torch.from_numpy(photos.copy()))                         # (N, 3, H, W)
    L, ab_true = lab[:, :1], lab[:, 1:]
    was_training = model.training
    model.eval()
    ab = predict_ab(model, L.to(device), T, batch_size).cpu()
    model.train(was_training)
    gray = torch.zeros_like(ab_true)
    scores = {"auc": metrics.auc(ab, ab_true), "auc_gray": metrics.auc(gray, ab_true),
              "auc_rebalanced": metrics.auc_rebalanced(ab, ab_true, prior),
              "auc_rebalanced_gray": metrics.auc_rebalanced(gray, ab_true, prior),
              "colorfulness": metrics.colorfulness(merge_l_ab(L, ab)),
              "colorfulness_true": metrics.colorfulness(photos)}
    scores["beats_gray"] = scores["auc"] > scores["auc_gray"]
    scores["ab"] = ab
    return scores
