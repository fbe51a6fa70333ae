"""Nazeri et al. (from the review): the U-Net trained with L1, and the conditional GAN.

Mirrors ``models/unet.py``; notebook 09. The GAN is the one task with two objectives: the
discriminator's step, then the generator's (``ConditionalGAN.objectives``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from colorlab.tasks.base import Task, networks, register, unwrap
from colorlab.tasks.recipes import RECIPES


@register("l1")
class L1Regression(Task):
    """Predict ab directly and minimise the mean absolute error on ab / model.ab_scale.

    Nazeri et al.'s baseline: the U-Net alone, trained with L1. Recipe: their Adam (lr 2e-4,
    β1 = 0.5), the same as the GAN's, so the two runs of notebook 09 differ only in the loss.
    """

    recipe = RECIPES["l1"]

    def loss(self, model, batch):
        scale = unwrap(model).ab_scale
        pred = self.forward(model, batch)
        return F.l1_loss(pred.float() / scale, batch["ab"] / scale), {}


@register("gan")
class ConditionalGAN(L1Regression):
    """Nazeri et al.'s conditional GAN: a generator (L → ab) against a discriminator (L ⊕ ab).

    The model holds both networks (``model.generator``, ``model.discriminator``); ``model(L)`` is
    the generator. Each training step has two objectives (``objectives``), stepped in order by
    ``train.fit``: the discriminator on real and generated pairs, with one-sided label smoothing
    (real = ``real_label``, fake = 0), then the generator on adversarial + ``lambda_l1`` · L1
    (ab / 110). Each network has its own Adam (lr 2e-4, β1 = 0.5) and, under DDP, its own
    wrapper. Logged every step (``History.logs``): ``loss`` (= ``loss_g``), ``loss_g``,
    ``loss_d``, ``loss_adv``, ``loss_l1`` and ``d_real`` / ``d_fake``, the discriminator's mean
    probability of "real" for real and generated pairs. ``loss`` on validation is the L1 part
    alone, the number comparable with the L1 baseline.

    lambda_l1: weight of L1 (100 in the paper; 0 gives a GAN with nothing tying the colours to
    the photo). real_label: the target of real pairs (0.9 in the paper; 1 switches smoothing off).
    """

    recipe = RECIPES["gan"]
    LAMBDA_L1 = 100.0   # Nazeri et al. (review): generator loss = adversarial + λ·L1, λ = 100
    REAL_LABEL = 0.9    # one-sided label smoothing

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 lambda_l1: float = LAMBDA_L1, real_label: float = REAL_LABEL):
        super().__init__(size, profile, augment)
        self.lambda_l1, self.real_label = float(lambda_l1), float(real_label)

    def wrap(self, model, wrap_fn):
        return networks(generator=wrap_fn(model.generator), discriminator=wrap_fn(model.discriminator),
                        scale=model.ab_scale)

    def configure_optimizers(self, model, lr: float | None = None, **optimizer_kw) -> list:
        """[Adam of the generator, Adam of the discriminator], both with the recipe's settings."""
        return [self.adam(model.generator.parameters(), lr, **optimizer_kw),
                self.adam(model.discriminator.parameters(), lr, **optimizer_kw)]

    def objectives(self, nets, optimizers) -> list:
        """[(discriminator's Adam, its loss), (generator's Adam, its loss)], in this order.

        The generated colours ``fake`` (N, 2, H, W) are made once, in the discriminator's loss,
        and reused by the generator's: D learns on ``fake.detach()``, G through D(L, fake).
        """
        opt_g, opt_d = optimizers
        bce = F.binary_cross_entropy_with_logits
        made = {}

        def discriminator_loss(batch):          # real pairs → real_label, generated pairs → 0
            L, ab = batch["L"], batch["ab"]
            made["fake"] = fake = nets.generator(L)
            d = nets.discriminator(torch.cat([L, L]), torch.cat([ab, fake.detach()])).float()
            d_real, d_fake = d.chunk(2)
            loss_d = bce(d_real, torch.full_like(d_real, self.real_label)) + bce(d_fake, torch.zeros_like(d_fake))
            return loss_d, {"loss_d": loss_d.detach(), "d_real": torch.sigmoid(d_real.detach()).mean(),
                            "d_fake": torch.sigmoid(d_fake.detach()).mean()}

        def generator_loss(batch):              # fool the discriminator, stay near the truth (L1)
            L, ab, fake = batch["L"], batch["ab"], made.pop("fake")
            d_gen = nets.discriminator(L, fake).float()
            loss_adv = bce(d_gen, torch.ones_like(d_gen))
            loss_l1 = F.l1_loss(fake.float() / nets.scale, ab / nets.scale)
            loss_g = loss_adv + self.lambda_l1 * loss_l1
            return loss_g, {"loss": loss_g.detach(), "loss_g": loss_g.detach(),
                            "loss_adv": loss_adv.detach(), "loss_l1": loss_l1.detach()}

        return [(opt_d, discriminator_loss), (opt_g, generator_loss)]

    def config(self) -> dict:
        return {**super().config(), "lambda_l1": self.lambda_l1, "real_label": self.real_label}
