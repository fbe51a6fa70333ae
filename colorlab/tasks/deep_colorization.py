"""Cheng et al.'s Deep Colorization (from the review): a fully connected net on sampled pixels.

Mirrors ``models/deep_colorization.py``; notebook 08.
"""
from __future__ import annotations

import torch

from colorlab.tasks import losses
from colorlab.tasks.base import Task, register, unwrap
from colorlab.tasks.recipes import RECIPES


@register("pixels")
class PixelRegression(Task):
    """Cheng et al.'s Deep Colorization: a fully connected net trained on sampled pixels.

    Each training photo gives ``pixels`` random pixels (drawn from the run's seeded generator, so
    resume stays bit-exact; an evenly spaced set on validation). The model sees (L, pixels) and
    returns the ab of those pixels; the loss is MSE on ab / 110. Colouring a photo feeds L alone:
    every pixel, then the joint bilateral refinement. Recipe: Adam lr 1e-3, constant.
    """

    recipe = RECIPES["pixels"]

    PIXELS = 256

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 pixels: int = PIXELS):
        super().__init__(size, profile, augment)
        self.pixels = int(pixels)

    def batch(self, images_u8, labels, train, gen) -> dict:
        b = super().batch(images_u8, labels, train, gen)
        n, _, h, w = b["L"].shape
        k = min(self.pixels, h * w)
        if train and gen is not None:
            idx = torch.randint(0, h * w, (n, k), generator=gen)
        else:
            idx = torch.linspace(0, h * w - 1, k).round().long().expand(n, k)
        b["pixels"] = idx.to(b["L"].device)
        return b

    def loss(self, model, batch):
        scale = unwrap(model).ab_scale
        pred = model(batch["L"], batch["pixels"])                           # (N, 2, P)
        true = batch["ab"].flatten(2).gather(2, batch["pixels"][:, None, :].expand(-1, 2, -1))
        return losses.mse(pred.float(), true, scale), {}

    def config(self):
        return {**super().config(), "pixels": self.pixels}
