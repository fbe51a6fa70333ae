"""The averaging baseline: predict ab directly, MSE (Hultgren et al.; notebooks 03, 04, 06).

Deep Koalarization (Baldassarre et al. §3.3) and the VGG-16 decoder (Hultgren et al.) train
with this task too, each with its own row of ``recipes.RECIPES`` (``task.use_recipe``).
"""
from __future__ import annotations

from colorlab.tasks import losses
from colorlab.tasks.base import Task, register, unwrap
from colorlab.tasks.recipes import RECIPES


@register("regression")
class Regression(Task):
    """Predict ab directly and minimise MSE on ab / model.ab_scale."""

    recipe = RECIPES["regression"]

    def loss(self, model, batch):
        pred = self.forward(model, batch)
        return losses.mse(pred.float(), batch["ab"], unwrap(model).ab_scale), {}
