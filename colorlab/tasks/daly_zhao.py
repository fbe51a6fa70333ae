"""Daly & Zhao: RTNet (colour from the photo's palette) and HNet (the palette from hints).

Mirrors ``models/daly_zhao.py``; notebooks 07 and 11.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from colorlab.tasks import losses
from colorlab.models.daly_zhao import uv01_of, uv01_to_ab
from colorlab.tasks.base import Task, register, unwrap
from colorlab.tasks.hint_simulation import HINT_KINDS, WithHints
from colorlab.tasks.recipes import RECIPES


@register("rtnet")
class PaletteReconstruction(Task):
    """Daly & Zhao's RTNet: colour the gray photo from the palette of the full-colour photo.

    The model sees (L, ab) and returns UV scaled to [0, 1] (a sigmoid); the loss is the paper's
    blurred MSE — the mean of MSE(pred, target) and MSE(blur(pred), blur(target)) on the [0, 1]
    UV — with a Gaussian of ``blur_sigma`` px (the paper does not give σ; we use 2 px at 64 px,
    about 7 px at their 224 px); ``blur_sigma=0`` is plain MSE. Colouring with no colour photo
    given feeds U = V = 0 (a gray palette): RTNet needs the colour photo or HNet's palette.
    Recipe: Adam lr 1e-3 (the paper's), constant.
    """

    recipe = RECIPES["rtnet"]

    BLUR_SIGMA = 2.0

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 blur_sigma: float = BLUR_SIGMA):
        super().__init__(size, profile, augment)
        self.blur_sigma = float(blur_sigma)

    def inference_batch(self, L, **extra):
        return {"L": L, "ab": extra.pop("ab", torch.zeros_like(L).expand(-1, 2, -1, -1)), **extra}

    def inputs(self, batch):
        return batch["L"], batch["ab"]

    def loss(self, model, batch):
        pred = self.forward(model, batch).float()
        target = uv01_of(batch["L"], batch["ab"])
        if self.blur_sigma > 0:
            return losses.blurred_mse(pred, target, self.blur_sigma), {}
        return F.mse_loss(pred, target), {}

    def to_ab(self, output, batch, T=None):
        return uv01_to_ab(batch["L"], output.float())

    def config(self):
        return {**super().config(), "blur_sigma": self.blur_sigma}


@register("hnet")
class PaletteFromHints(WithHints, Task):
    """Daly & Zhao's HNet: infer RTNet's palette from the gray photo and a hint image.

    The model (``models.HNet``, holding a frozen, trained RTNet) gets (L, hint ab, hint mask);
    the loss is the MSE between HNet's palette and the frozen RTNet's palette of the full photo.
    Colouring: HNet's palette drives RTNet's reconstruction. Hints: Daly & Zhao's circles by
    default. Recipe: Adam lr 1e-3 on a cosine (the paper's 1e-4 converged "very quickly" on 65,000
    hint images; we have a few hundred steps).
    """

    recipe = RECIPES["hnet"]

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 hint_kind: str = "circles"):
        super().__init__(size, profile, augment)
        if hint_kind not in HINT_KINDS:
            raise ValueError(f"unknown hint kind {hint_kind!r}; use one of {', '.join(HINT_KINDS)}")
        self.hint_kind = hint_kind

    def palette_loss(self, model, batch, per_image: bool = False) -> torch.Tensor:
        """MSE of HNet's palette against the frozen RTNet's palette of the photo (per image: (N,))."""
        net = unwrap(model)
        pal = net.palette_from_hints(batch["L"], batch["hint_ab"], batch["hint_mask"]).float()
        with torch.no_grad():
            target = net.rtnet.palette(batch["L"], batch["ab"]).float()
        err = (pal - target) ** 2
        return err.mean(1) if per_image else err.mean()

    def loss(self, model, batch):
        return self.palette_loss(model, batch), {}

    def to_ab(self, output, batch, T=None):
        return uv01_to_ab(batch["L"], output.float())
