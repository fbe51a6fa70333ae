"""Loss functions of the colorization papers, each a few lines of tensor code.

- :func:`mse` — the regression loss (Hultgren et al., Baldassarre et al.); it averages colours.
- :func:`rebalanced_soft_cross_entropy` — Zhang et al. 2016, eq. 2: cross-entropy against the soft
  target over the 313 bins, each pixel weighted by the rarity of its colour.
- :func:`blurred_mse` — Daly & Zhao: plain MSE plus MSE between blurred images.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def mse(pred: torch.Tensor, target: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Mean squared error of ``pred / scale`` and ``target / scale`` (any equal shapes)."""
    return F.mse_loss(pred / scale, target / scale)


def rebalanced_soft_cross_entropy(logits: torch.Tensor, idx: torch.Tensor, weight: torch.Tensor,
                                  pixel_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Zhang et al.'s loss with a sparse soft target.

    logits: (N, Q, h, w) raw scores; idx, weight: (N, k, h, w), the k bins of each pixel's soft
    target and their weights (from ``bins.soft_encode_sparse``); pixel_weight: (N, h, w) class
    rebalancing weight of each pixel (None: all 1). Returns the mean over pixels of
    pixel_weight · (− Σ_k weight_k · log softmax(logits)[idx_k]).

    Gathering the k log-probabilities avoids building the dense (N, 313, h, w) target.
    """
    logp = torch.log_softmax(logits.float(), dim=1)
    ce = -(logp.gather(1, idx) * weight).sum(1)                      # (N, h, w)
    if pixel_weight is not None:
        ce = ce * pixel_weight
    return ce.mean()


def gaussian_kernel(sigma: float, device=None, dtype=torch.float32) -> torch.Tensor:
    """A normalised 1-D Gaussian of width ``sigma`` px, radius 3σ: (2r + 1,)."""
    r = max(1, int(round(3 * sigma)))
    x = torch.arange(-r, r + 1, device=device, dtype=dtype)
    k = torch.exp(-x ** 2 / (2 * sigma ** 2))
    return k / k.sum()


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of every channel of x (N, C, H, W), reflect padding."""
    k = gaussian_kernel(sigma, x.device, x.dtype)
    c, r = x.shape[1], len(k) // 2
    x = F.pad(x, (r, r, r, r), mode="reflect" if min(x.shape[-2:]) > r else "replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def blurred_mse(pred: torch.Tensor, target: torch.Tensor, sigma: float = 3.0) -> torch.Tensor:
    """Daly & Zhao's loss: mean of MSE(pred, target) and MSE(blur(pred), blur(target))."""
    return 0.5 * (F.mse_loss(pred, target) + F.mse_loss(blur(pred, sigma), blur(target, sigma)))
