"""Small models and tasks registered only by the tests, to show that the engine, colouring, the
command line and the widgets work for a new model without edits elsewhere.

- ``masked_regression`` / ``masked_classification``: networks whose forward takes an extra input
  (L, mask), fed by tasks that add the mask to the batch (random in training, drawn from the
  run's seeded generator; zeros when colouring).
- ``toy_gan``: a generator and a discriminator, trained by a two-network task with two Adam
  optimizers (Nazeri et al.'s settings: lr 2e-4, β1 = 0.5).
"""
import torch
import torch.nn.functional as F
from torch import nn

from colorlab import models, tasks


class MaskedRegressionNet(nn.Module):
    """ab (N, 2, H, W) from L and a mask (N, 1, H, W)."""
    task = "masked_regression"
    ab_scale = 110.0

    def __init__(self, width: float = 1.0):
        super().__init__()
        self.config = dict(width=width)
        c = max(2, round(8 * width))
        self.net = nn.Sequential(nn.Conv2d(2, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, 2, 3, padding=1))

    def forward(self, L, mask):
        return torch.tanh(self.net(torch.cat([(L - 50) / 100, mask], 1))) * self.ab_scale


class MaskedLogitsNet(nn.Module):
    """313-way logits at 1/4 resolution from L and a mask."""
    task = "masked_classification"
    out_factor = 4

    def __init__(self, width: float = 1.0):
        super().__init__()
        self.config = dict(width=width)
        c = max(2, round(8 * width))
        self.net = nn.Sequential(nn.Conv2d(2, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, 313, 1))

    def forward(self, L, mask):
        x = torch.cat([(L - 50) / 100, mask], 1)
        return self.net(F.avg_pool2d(x, 4, ceil_mode=True))


class WithMask:
    """Adds ``mask`` (N, 1, H, W) to the batch and passes (L, mask) to the model."""

    def batch(self, images_u8, labels, train, gen):
        b = super().batch(images_u8, labels, train, gen)
        if train:
            b["mask"] = (torch.rand(b["L"].shape, generator=gen) < 0.05).float().to(b["L"].device)
        else:
            b["mask"] = torch.zeros_like(b["L"])
        return b

    def inference_batch(self, L, **extra):
        return {"L": L, "mask": extra.get("mask", torch.zeros_like(L))}

    def inputs(self, batch):
        return batch["L"], batch["mask"]


@tasks.register("masked_regression")
class MaskedRegression(WithMask, tasks.Regression):
    pass


@tasks.register("masked_classification")
class MaskedClassification(WithMask, tasks.Classification):
    pass


class ToyGAN(nn.Module):
    """A tiny conditional GAN: generator L → ab, discriminator (L ⊕ ab) → real/fake logits."""
    task = "toy_gan"
    ab_scale = 110.0

    def __init__(self, width: float = 1.0):
        super().__init__()
        self.config = dict(width=width)
        c = max(2, round(8 * width))
        self.generator = nn.Sequential(nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, 2, 3, padding=1))
        self.discriminator = nn.Sequential(nn.Conv2d(3, c, 4, stride=2, padding=1), nn.BatchNorm2d(c),
                                           nn.LeakyReLU(0.2), nn.Conv2d(c, 1, 4, stride=2, padding=1))

    def forward(self, L):
        """The generator's ab (N, 2, H, W): what colouring a photo uses."""
        return torch.tanh(self.generator((L - 50) / 100)) * self.ab_scale


@tasks.register("toy_gan")
class ToyGANTask(tasks.Regression):
    """Adversarial + λ·L1 for the generator, BCE with one-sided label smoothing for the
    discriminator; each network its own Adam; each wrapped on its own under DDP."""
    recipe = tasks.RECIPES["gan"]
    LAMBDA_L1 = 100.0
    REAL = 0.9

    def wrap(self, model, wrap_fn):
        return tasks.networks(generator=wrap_fn(model.generator),
                              discriminator=wrap_fn(model.discriminator), scale=model.ab_scale)

    def configure_optimizers(self, model, lr=None, **optimizer_kw):
        kw = {**self.optimizer_kw, **optimizer_kw}
        return [torch.optim.Adam(model.generator.parameters(), lr=lr or self.lr, **kw),
                torch.optim.Adam(model.discriminator.parameters(), lr=lr or self.lr, **kw)]

    def objectives(self, nets, optimizers):
        opt_g, opt_d = optimizers
        made = {}
        pair = lambda L, x: torch.cat([(L - 50) / 100, x], 1)  # noqa: E731

        def d_loss(batch):
            L, ab = batch["L"], batch["ab"] / nets.scale
            made["fake"] = fake = torch.tanh(nets.generator((L - 50) / 100))
            d = nets.discriminator(torch.cat([pair(L, ab), pair(L, fake.detach())], 0))
            d_real, d_fake = d.chunk(2)
            loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, self.REAL))
                      + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
            return loss_d, {"loss_d": loss_d.detach()}

        def g_loss(batch):
            L, ab, fake = batch["L"], batch["ab"] / nets.scale, made.pop("fake")
            d_fake = nets.discriminator(pair(L, fake))
            loss_adv = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
            loss_g = loss_adv + self.LAMBDA_L1 * F.l1_loss(fake, ab)
            return loss_g, {"loss": loss_g.detach(), "loss_g": loss_g.detach()}

        return [(opt_d, d_loss), (opt_g, g_loss)]

for name, cls in (("masked_regression", MaskedRegressionNet),
                  ("masked_classification", MaskedLogitsNet), ("toy_gan", ToyGAN)):
    models.register(name, cls)
