"""Zhang et al. 2017 (SIGGRAPH): colour from the gray photo and a few user hints.

Mirrors ``models/zhang_hints.py``; notebook 11. The hints are simulated in ``hint_simulation``.
"""
from __future__ import annotations

import torch.nn.functional as F

from colorlab.tasks.base import Task, register, unwrap
from colorlab.tasks.hint_simulation import HINT_KINDS, WithHints
from colorlab.tasks.recipes import RECIPES


@register("zhang_hints")
class UserHints(WithHints, Task):
    """SIGGRAPH17's local hints: ab regressed with a smooth-L1 (Huber, δ = 1 Lab unit) loss on
    ab / 110, plus — when the model has a classification head — cross-entropy over the 529 cells
    of the 10-unit ab grid at 1/4 resolution (no rebalancing), weighted 1 : ``lambda_reg``.

    hint_kind: "points" (SIGGRAPH17's simulated user, the default) | "circles".
    Recipe: Adam lr 1e-3 on a cosine (SIGGRAPH17 fine-tunes from ECCV16 at 1e-5; from scratch on a
    CPU budget of a few hundred steps a larger rate is needed).
    """

    recipe = RECIPES["zhang_hints"]

    LAMBDA_REG = 10.0    # SIGGRAPH17: loss = CE + λ · regression, λ = 10 (with the class head)

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 hint_kind: str = "points"):
        super().__init__(size, profile, augment)
        if hint_kind not in HINT_KINDS:
            raise ValueError(f"unknown hint kind {hint_kind!r}; use one of {', '.join(HINT_KINDS)}")
        self.hint_kind = hint_kind

    def to_ab(self, output, batch, T=None):
        return (output[0] if isinstance(output, tuple) else output).float()

    def loss(self, model, batch):
        out = self.forward(model, batch)
        ab, scale = batch["ab"], unwrap(model).ab_scale
        pred = out[0] if isinstance(out, tuple) else out
        reg = F.smooth_l1_loss(pred.float() / scale, ab / scale, beta=1.0 / scale)
        if not isinstance(out, tuple):
            return reg, {}
        logits = out[1].float()
        ab4 = ab[:, :, ::4, ::4][..., :logits.shape[-2], :logits.shape[-1]]
        cell = ((ab4.clamp(-110, 110) + 110) / 10).round().long()       # 0 … 22 per channel
        ce = F.cross_entropy(logits, cell[:, 0] * 23 + cell[:, 1])
        return ce + self.LAMBDA_REG * reg, {"loss_reg": reg.detach(), "loss_ce": ce.detach()}
