"""Scoring a colouring of held-out photos: ``scores``, the one function, and ``against_gray``.

Every score in the workbook comes from :func:`scores`: PSNR on 8-bit sRGB, AuC and rebalanced AuC
(Zhang et al. 2016, §3.1) and colourfulness (Hasler & Süsstrunk 2003) of a prediction of ab
painted on the photos' own lightness. :func:`against_gray` colours the photos with a model and
scores it beside the all-gray guess (a = b = 0) on the same pixels.
"""
from __future__ import annotations

import numpy as np
import torch

from colorlab import metrics, tasks
from colorlab.color import merge_l_ab
from colorlab.evaluate.inference import predict_ab


def lab_of(photos) -> torch.Tensor:
    """(N, 3, H, W) Lab of ``photos``: an ``ImageSet`` (its ``lab()``) or (N, H, W, 3) uint8."""
    if hasattr(photos, "lab"):
        return photos.lab()
    return tasks.to_lab(torch.from_numpy(np.array(photos)))


def scores(ab_pred: torch.Tensor, photos, prior="imagenet", lab: torch.Tensor | None = None) -> dict:
    """PSNR, AuC, rebalanced AuC and colourfulness of a colouring of ``photos``.

    ab_pred: (N, 2, H, W) Lab units, painted on the photos' own L. photos: (N, H, W, 3) uint8 (or
    an ``ImageSet``). PSNR in dB on 8-bit sRGB against the photos; AuC and rebalanced AuC
    (``prior``'s weights) as in Zhang et al. 2016 §3.1; colourfulness (Hasler & Süsstrunk 2003)
    of the colouring. The all-gray guess is ``ab_pred = 0``. lab: the photos' Lab, if the caller
    has it already (``lab_of(photos)``).
    """
    lab = lab_of(photos) if lab is None else lab
    photos = np.asarray(getattr(photos, "images", photos))
    L, ab_true = lab[:, :1], lab[:, 1:]
    rgb = merge_l_ab(L, ab_pred)
    return {"psnr": float(metrics.psnr(rgb, photos)), "auc": float(metrics.auc(ab_pred, ab_true)),
            "auc_rebalanced": float(metrics.auc_rebalanced(ab_pred, ab_true, prior)),
            "colorfulness": float(metrics.colorfulness(rgb))}


@torch.no_grad()
def against_gray(model, images, T: float | None = None, prior="imagenet",
                 batch_size: int = 64) -> dict:
    """Score a colorizer on held-out photos beside the all-gray guess (a = b = 0), same pixels.

    images: an ``ImageSet`` or (N, H, W, 3) uint8 photos, all one size; the model sees their L
    at that size. T: annealed-mean temperature (None: the task's). prior: the prior of the
    rebalanced AuC (``metrics.auc_rebalanced``). Returns the model's :func:`scores` (``psnr``,
    ``auc``, ``auc_rebalanced``, ``colorfulness``), the gray guess's as ``psnr_gray``,
    ``auc_gray``, ``auc_rebalanced_gray``, ``colorfulness_true`` (of the photos themselves),
    ``beats_gray`` (auc > auc_gray), and ``ab``: the prediction itself, (N, 2, H, W) Lab units on
    the CPU, for pictures and further metrics.
    """
    photos = np.asarray(getattr(images, "images", images))
    if photos.dtype != np.uint8 or photos.ndim != 4 or photos.shape[-1] != 3:
        raise ValueError(f"expected (N, H, W, 3) uint8 photos of one size, got "
                         f"{photos.dtype} {photos.shape}")
    lab = tasks.to_lab(torch.from_numpy(photos.copy()))                   # (N, 3, H, W)
    ab = predict_ab(model, lab[:, :1], T, batch_size)
    gray = scores(torch.zeros_like(ab), photos, prior, lab)
    result = {**scores(ab, photos, prior, lab), "psnr_gray": gray["psnr"], "auc_gray": gray["auc"],
              "auc_rebalanced_gray": gray["auc_rebalanced"],
              "colorfulness_true": metrics.colorfulness(photos)}
    result["beats_gray"] = result["auc"] > result["auc_gray"]
    result["ab"] = ab
    return result
