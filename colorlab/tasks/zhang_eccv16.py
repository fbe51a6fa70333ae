"""Zhang et al. 2016 (ECCV): colour as 313-way classification, and Massachi's colour input.

Mirrors ``models/zhang_eccv16.py``; notebooks 05 and 10.
"""
from __future__ import annotations

import numpy as np
import torch

from colorlab.color import bins, grid as color_grid
from colorlab.tasks import losses
from colorlab.tasks.base import Task, logits_to_ab, register, unwrap
from colorlab.tasks.recipes import RECIPES


@register("classification")
class Classification(Task):
    """Zhang et al. 2016: soft-encoded 313-way targets, rebalanced cross-entropy, annealed mean.

    prior: "train" (counted on the training photos by ``prepare``, then smoothed, Zhang et al.
    §2.2) | "imagenet" | "uniform" | a (313,) array. lam: rebalancing λ (0.5 in the paper);
    ``rebalance=False`` weights every pixel 1. T: the annealed-mean temperature.

    Recipe: Adam with Zhang et al.'s betas (0.9, 0.99) and weight decay 1e-3; lr 3e-4 on a cosine
    (their 3e-5 is for 450k ImageNet steps; on a CPU budget of hundreds of steps 3e-4 learns and
    stays above the gray guess, notebook 05 shows the measurements); 10 epochs in the cpu profile.
    """

    recipe = RECIPES["classification"]

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 prior="train", lam: float = bins.LAMBDA, rebalance: bool = True,
                 T: float = bins.T_ANNEAL):
        super().__init__(size, profile, augment)
        self.T, self.lam, self.rebalance = T, lam, rebalance
        self.prior_name = prior if isinstance(prior, str) else "given"
        self.prior = None
        if isinstance(prior, str) and prior != "train":
            self.set_prior(bins.prior(prior))
        elif not isinstance(prior, str):
            self.set_prior(np.asarray(prior, dtype=np.float64))

    def set_prior(self, p: np.ndarray) -> None:
        """Use the prior p (313,) and its rebalancing weights from now on."""
        self.prior = np.asarray(p, dtype=np.float64)
        self.weights = torch.tensor(bins.rebalance_weights(self.prior, self.lam), dtype=torch.float32)

    def prepare(self, train_data) -> None:
        """Count the prior on the training photos if it was asked for as "train"."""
        if self.prior is None:
            self.set_prior(bins.prior(train_data))

    def targets(self, ab: torch.Tensor, out_factor: int = 4):
        """ab (N, 2, H, W) → the sparse soft target at the network's 1/4 resolution.

        Returns idx, weight (N, 5, h, w) and the per-pixel rebalancing weight (N, h, w)
        (w of the bin with the largest soft-target weight, i.e. the nearest bin).
        """
        ab_small = ab[:, :, ::out_factor, ::out_factor]
        idx, wgt = bins.soft_encode_sparse(ab_small)
        if not self.rebalance:
            return idx, wgt, None
        if self.prior is None:
            raise ValueError("the prior is counted on the training data: call task.prepare(train_set) "
                             "(train.fit does) or build the task with prior='imagenet'")
        return idx, wgt, self.weights.to(ab.device)[idx[:, 0]]

    def loss(self, model, batch):
        logits = self.forward(model, batch)
        idx, wgt, pix = self.targets(batch["ab"], getattr(unwrap(model), "out_factor", 4))
        return losses.rebalanced_soft_cross_entropy(logits, idx, wgt, pix), {}

    def to_ab(self, output, batch, T: float | None = None):
        """Annealed mean at the network's resolution, upsampled bilinearly to L's size."""
        return logits_to_ab(output, batch["L"].shape[-2:], self.T if T is None else T)

    def config(self):
        prior = self.prior_name if self.prior_name not in ("train", "given") else (
            "train" if self.prior is None else self.prior.tolist())
        return {**super().config(), "prior": prior, "lam": self.lam, "rebalance": self.rebalance,
                "T": self.T}


@register("color_input")
class ColorInput(Classification):
    """Massachi §4.5: Zhang et al.'s classification with 16 colour values as a second input.

    Every batch also holds ``colors``: the photo's ab averaged over a ``grid`` × ``grid`` grid
    (``color_grid.grid_ab`` of the training crop; 4 × 4 in the thesis), (N, 2, grid, grid) Lab
    units; the model (``ZhangECCV16`` with ``color_scale`` > 0) gets (L, colors). Loss, prior,
    rebalancing and annealed mean are those of :class:`Classification`; §4.6's "uniform prior
    with colour input" is ``prior="uniform"``. Colouring a photo: pass its colours as
    ``inference_batch(L, colors=…)`` (any grid the model was not trained on works, but means
    something else); without them the model is told sixteen grays (a = b = 0).
    """

    recipe = RECIPES["color_input"]

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 prior="train", lam: float = bins.LAMBDA, rebalance: bool = True,
                 T: float = bins.T_ANNEAL, grid: int = color_grid.K):
        super().__init__(size, profile, augment, prior, lam, rebalance, T)
        self.grid = int(grid)

    def batch(self, images_u8, labels, train, gen):
        b = super().batch(images_u8, labels, train, gen)
        b["colors"] = color_grid.grid_ab(b["ab"], self.grid)
        return b

    def inference_batch(self, L, **extra):
        colors = extra.pop("colors", None)
        if colors is None:
            colors = torch.zeros(len(L), 2, self.grid, self.grid, device=L.device)
        return {"L": L, "colors": colors.to(L.device), **extra}

    def inputs(self, batch):
        return batch["L"], batch["colors"]

    def config(self):
        return {**super().config(), "grid": self.grid}
