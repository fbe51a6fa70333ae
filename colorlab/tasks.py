"""What training a colorizer means, per kind of model: the batch, the loss, the prediction.

A *task* turns a batch of photos into network inputs and targets, computes the loss, and says
how the trained network colours a gray image. ``train.fit`` runs any task with the same loop.

- :class:`Regression` — predict ab directly, MSE (the averaging baseline, Hultgren et al.).
- :class:`Classification` — Zhang et al. 2016: 313-way soft targets, class rebalancing,
  annealed-mean prediction.
- :class:`SpeciesClassifier` — the stand-in pretraining task of notebook 04: name the flower
  species from the gray image.

Every batch is built on the model's device from uint8 photos with tensor operations only.
A task with more than one network (a GAN) overrides :meth:`Task.configure_optimizers` and
:meth:`Task.step`.
"""
from __future__ import annotations

import numpy as np
import torch

from colorlab import bins, losses
from colorlab.color import rgb_to_lab


def to_lab(images_u8: torch.Tensor) -> torch.Tensor:
    """(N, H, W, 3) uint8 photos → (N, 3, H, W) float Lab, on the same device."""
    rgb = images_u8.permute(0, 3, 1, 2).float().div_(255)
    return rgb_to_lab(rgb)


def random_crop_flip(images_u8: torch.Tensor, size: int, gen: torch.Generator | None,
                     flip: bool = True) -> torch.Tensor:
    """A random ``size`` × ``size`` crop of each photo, mirrored left-right with probability ½.

    images_u8: (N, H, W, 3) uint8; gen: the generator that draws offsets (on CPU), or None
    for a centre crop and no flip. Returns (N, size, size, 3) uint8, on the input's device.
    """
    n, h, w, _ = images_u8.shape
    if h < size or w < size:
        raise ValueError(f"cannot crop {size} px from images of {h} x {w}; load the data "
                         f"with size >= {size}")
    if gen is None:
        top, left = (h - size) // 2, (w - size) // 2
        return images_u8[:, top:top + size, left:left + size]
    dev = images_u8.device
    top = torch.randint(0, h - size + 1, (n,), generator=gen).to(dev)
    left = torch.randint(0, w - size + 1, (n,), generator=gen).to(dev)
    mirror = (torch.rand(n, generator=gen) < 0.5).to(dev) if flip else torch.zeros(n, dtype=torch.bool, device=dev)
    ar = torch.arange(size, device=dev)
    rows = (top[:, None] + ar)[:, :, None]                                   # (N, size, 1)
    cols = left[:, None] + torch.where(mirror[:, None], size - 1 - ar, ar)   # (N, size)
    return images_u8[torch.arange(n, device=dev)[:, None, None], rows, cols[:, None, :]]


def unwrap(model):
    """The model inside a DistributedDataParallel wrapper (or the model itself)."""
    return getattr(model, "module", model)


class Task:
    """The default recipe: one network, one Adam optimizer, one loss."""

    size: int = 64           # training crop, px
    augment: bool = True     # random crops and flips in training

    def batch(self, images_u8: torch.Tensor, labels, train: bool, gen) -> dict:
        """uint8 photos (N, H, W, 3) on the device → a dict of tensors the loss needs."""
        crop = random_crop_flip(images_u8, self.size, gen if (train and self.augment) else None)
        lab = to_lab(crop)
        return {"L": lab[:, :1], "ab": lab[:, 1:], "labels": labels}

    def loss(self, model, batch) -> tuple[torch.Tensor, dict]:
        raise NotImplementedError

    def predict_ab(self, model, L: torch.Tensor) -> torch.Tensor:
        """L (N, 1, H, W) Lab → predicted ab (N, 2, H, W) Lab units."""
        raise NotImplementedError

    def configure_optimizers(self, model, lr: float, **optimizer_kw) -> list[torch.optim.Optimizer]:
        """One Adam over the trainable weights; ``optimizer_kw`` (betas, weight_decay, …) go to it."""
        params = [p for p in model.parameters() if p.requires_grad]
        return [torch.optim.Adam(params, lr=lr, **optimizer_kw)]

    def step(self, model, batch, optimizers, autocast) -> dict:
        """One update: forward, backward, optimizer step. Returns logs with a float ``loss``."""
        opt = optimizers[0]
        opt.zero_grad(set_to_none=True)
        with autocast():
            loss, logs = self.loss(model, batch)
        loss.backward()
        opt.step()
        return {"loss": loss.detach(), **logs}

    def validate(self, model, batch) -> dict:
        """Loss and AuC of the predicted colours on a validation batch (no gradients)."""
        from colorlab.metrics import auc
        loss, logs = self.loss(model, batch)
        ab = self.predict_ab(model, batch["L"])
        return {"loss": loss, "auc": torch.tensor(auc(ab.float(), batch["ab"].float())), **logs}

    def state(self) -> dict:
        """JSON-able description of the task, stored in checkpoints."""
        return {"task": type(self).__name__, "size": self.size}


class Regression(Task):
    """Predict ab directly and minimise MSE on ab / model.ab_scale."""

    def __init__(self, size: int = 64, augment: bool = True):
        self.size, self.augment = size, augment

    def loss(self, model, batch):
        pred = model(batch["L"])
        return losses.mse(pred.float(), batch["ab"], unwrap(model).ab_scale), {}

    def predict_ab(self, model, L):
        return model(L).float()


class Classification(Task):
    """Zhang et al. 2016: soft-encoded 313-way targets, rebalanced cross-entropy, annealed mean.

    prior: "imagenet" | "uniform" | a (313,) array; lam: rebalancing λ (0.5 in the paper;
    ``rebalance=False`` weights every pixel 1); T: the annealed-mean temperature.
    """

    def __init__(self, size: int = 64, prior="imagenet", lam: float = bins.LAMBDA,
                 rebalance: bool = True, T: float = bins.T_ANNEAL, augment: bool = True):
        self.size, self.augment, self.T, self.lam, self.rebalance = size, augment, T, lam, rebalance
        p = bins.prior(prior) if isinstance(prior, str) else np.asarray(prior, dtype=np.float64)
        self.prior_name = prior if isinstance(prior, str) else "custom"
        self.weights = torch.tensor(bins.rebalance_weights(p, lam), dtype=torch.float32)

    def targets(self, ab: torch.Tensor, out_factor: int = 4):
        """ab (N, 2, H, W) → the sparse soft target at the network's 1/4 resolution.

        Returns idx, weight (N, 5, h, w) and the per-pixel rebalancing weight (N, h, w)
        (w of the bin with the largest soft-target weight, i.e. the nearest bin).
        """
        ab_small = ab[:, :, ::out_factor, ::out_factor]
        idx, wgt = bins.soft_encode_sparse(ab_small)
        if not self.rebalance:
            return idx, wgt, None
        return idx, wgt, self.weights.to(ab.device)[idx[:, 0]]

    def loss(self, model, batch):
        logits = model(batch["L"])
        idx, wgt, pix = self.targets(batch["ab"], getattr(unwrap(model), "out_factor", 4))
        return losses.rebalanced_soft_cross_entropy(logits, idx, wgt, pix), {}

    def predict_ab(self, model, L, T: float | None = None):
        """Annealed mean at the network's resolution, upsampled bilinearly to L's size."""
        from colorlab.colorize import logits_to_ab
        return logits_to_ab(model(L), L.shape[-2:], self.T if T is None else T)

    def state(self):
        return {**super().state(), "prior": self.prior_name, "lam": self.lam,
                "rebalance": self.rebalance, "T": self.T}


class SpeciesClassifier(Task):
    """Name the class (flower species) of each gray photo: cross-entropy on image labels."""

    def __init__(self, size: int = 64, augment: bool = True):
        self.size, self.augment = size, augment

    def loss(self, model, batch):
        if batch["labels"] is None:
            raise ValueError("this data set has no class labels (sub-folders); "
                             "the species classifier needs them")
        logits = model(batch["L"])
        loss = torch.nn.functional.cross_entropy(logits.float(), batch["labels"])
        return loss, {"accuracy": (logits.argmax(1) == batch["labels"]).float().mean().detach()}

    def validate(self, model, batch):
        loss, logs = self.loss(model, batch)
        return {"loss": loss, **logs}


def for_model(model, size: int, **kw) -> Task:
    """The usual task for a model, from its ``kind``."""
    kind = getattr(model, "kind", None)
    if kind == "regression":
        return Regression(size, **kw)
    if kind == "classification":
        return Classification(size, **kw)
    if kind == "classifier":
        return SpeciesClassifier(size, **kw)
    raise ValueError(f"no default task for a model of kind {kind!r}")
