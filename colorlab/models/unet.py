"""Nazeri et al.'s GAN colorization (from the review of Beniwal et al.): a U-Net, alone or as a
conditional GAN generator against a DCGAN-style discriminator (notebook 09).

The same U-Net is trained two ways: with L1 alone (``unet``, the baseline) and as the generator
of a conditional GAN (``unet_gan``: generator + discriminator in one module, so one checkpoint
holds both networks). Nazeri et al. build both after the DCGAN guidelines of Radford et al.:
4 × 4 convolutions of stride 2 down, transposed convolutions up, batch-norm, LeakyReLU 0.2 in the
contracting path, ReLU in the expanding path.

U-Net, ``depth`` = 4 levels, at width 1 (N images, H × W pixels, H and W padded to a multiple of 16):

    L (N, 1, H, W) in [0, 100]      -> L / 50 - 1 in [-1, 1]
    down1  conv 4x4 s2   64 + LeakyReLU 0.2           (N,  64, H/2,  W/2)   no batch-norm
    down2  conv 4x4 s2  128 + BN + LeakyReLU 0.2      (N, 128, H/4,  W/4)
    down3  conv 4x4 s2  256 + BN + LeakyReLU 0.2      (N, 256, H/8,  W/8)
    down4  conv 4x4 s2  512 + BN + LeakyReLU 0.2      (N, 512, H/16, W/16)
    up4    convT 4x4 s2 256 + BN + ReLU, ⊕ down3      (N, 512, H/8,  W/8)
    up3    convT 4x4 s2 128 + BN + ReLU, ⊕ down2      (N, 256, H/4,  W/4)
    up2    convT 4x4 s2  64 + BN + ReLU, ⊕ down1      (N, 128, H/2,  W/2)
    up1    convT 4x4 s2  64 + BN + ReLU, ⊕ L          (N,  65, H,    W)
    out    conv 1x1 2, tanh x 110                      (N,   2, H,    W)  ab in Lab units

Discriminator (the contracting path), input L ⊕ ab (3 channels, both scaled to [-1, 1]):
conv 4x4 s2 64 + LeakyReLU, then 128, 256 (4x4 s2, BN, LeakyReLU 0.2, channels doubling), then
conv 4x4 s1 → 1: one real/fake logit per overlapping patch, (N, 1, H/8 - 1, W/8 - 1).
"""
from __future__ import annotations

import torch
from torch import nn

from .common import channels, crop, pad_to_multiple

AB_SCALE = 110.0   # ab / 110 in [-1, 1] (Zhang et al.'s normalisation; the tanh output is scaled back)
LEAK = 0.2         # LeakyReLU slope (Radford et al.'s DCGAN guidelines, used by Nazeri et al.)


def normalise_l(L: torch.Tensor) -> torch.Tensor:
    """Lightness [0, 100] → [-1, 1]."""
    return L / 50.0 - 1.0


def down(c_in: int, c_out: int, bn: bool = True) -> nn.Sequential:
    """4x4 convolution of stride 2 (halves H and W) + optional batch-norm + LeakyReLU 0.2."""
    layers = [nn.Conv2d(c_in, c_out, 4, stride=2, padding=1, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(c_out))
    return nn.Sequential(*layers, nn.LeakyReLU(LEAK, inplace=True))


def up(c_in: int, c_out: int) -> nn.Sequential:
    """4x4 transposed convolution of stride 2 (doubles H and W) + batch-norm + ReLU."""
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """U-Net colorizer: L → ab, skip connections at every scale (Nazeri et al.'s generator).

    forward(L): L (N, 1, H, W) Lab lightness in [0, 100], any H and W (padded to a multiple of
    2**depth, output cropped back). Returns ab (N, 2, H, W) in Lab units within ±110.
    width: channel multiplier; depth: number of stride-2 levels (4: 64 px → 4 px at the bottom).

    Trained with L1 on ab / 110 (task ``"l1"``) this is the baseline of Nazeri et al.
    Parameters at width 1, depth 4: 6,295,492; width 0.25: 394,228 (discriminator: 663,361 and
    42,961).
    """

    task = "l1"
    ab_scale = AB_SCALE

    def __init__(self, width: float = 1.0, depth: int = 4):
        super().__init__()
        self.config = dict(width=width, depth=depth)
        self.stride = 2 ** depth
        cs = [channels(min(64 * 2 ** i, 512), width) for i in range(depth)]   # 64, 128, 256, 512
        self.downs = nn.ModuleList(down(c_in, c_out, bn=i > 0)
                                   for i, (c_in, c_out) in enumerate(zip([1] + cs[:-1], cs)))
        # up from level i+1 to level i: input = previous up output ⊕ skip of level i+1
        outs = cs[:-1][::-1] + [cs[0]]                                        # 256, 128, 64, 64
        ins = [cs[-1]] + [o + s for o, s in zip(outs[:-1], cs[:-1][::-1])]
        self.ups = nn.ModuleList(up(i, o) for i, o in zip(ins, outs))
        self.out = nn.Conv2d(outs[-1] + 1, 2, kernel_size=1)

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        x, size = pad_to_multiple(normalise_l(L), self.stride)
        skips = [x]
        for d in self.downs:
            skips.append(d(skips[-1]))
        y = skips.pop()
        for u in self.ups:
            y = torch.cat([u(y), skips.pop()], dim=1)
        return crop(torch.tanh(self.out(y)) * self.ab_scale, size)


class PatchDiscriminator(nn.Module):
    """DCGAN-style discriminator on L ⊕ ab: real/fake logits per patch, (N, 1, h, w).

    forward(L, ab): L (N, 1, H, W) in [0, 100], ab (N, 2, H, W) Lab units; H, W multiples of 8
    (the task's crops are). n_layers stride-2 4x4 convs (channels doubling from 64, batch-norm
    after all but the first, LeakyReLU 0.2), then a 4x4 stride-1 conv to one logit per patch.
    """

    def __init__(self, width: float = 1.0, n_layers: int = 3):
        super().__init__()
        cs = [channels(64 * 2 ** i, width) for i in range(n_layers)]
        self.body = nn.Sequential(*(down(c_in, c_out, bn=i > 0)
                                    for i, (c_in, c_out) in enumerate(zip([3] + cs[:-1], cs))))
        self.head = nn.Conv2d(cs[-1], 1, 4, stride=1, padding=1)

    def forward(self, L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(torch.cat([normalise_l(L), ab / AB_SCALE], dim=1)))


class UNetGAN(nn.Module):
    """A U-Net generator and its discriminator in one module (one state dict, one checkpoint).

    forward(L) is the generator's: ab (N, 2, H, W) in Lab units, so colouring a photo needs
    nothing else. ``self.generator`` is built first, so with the same seed it starts from the
    same weights as ``UNet(width, depth)``: the L1 baseline and the GAN differ only in training.
    Trained by the task ``"gan"`` (adversarial + 100·L1, two Adam optimizers).
    """

    task = "gan"
    ab_scale = AB_SCALE

    def __init__(self, width: float = 1.0, depth: int = 4, d_layers: int = 3):
        super().__init__()
        self.config = dict(width=width, depth=depth, d_layers=d_layers)
        self.generator = UNet(width, depth)
        self.discriminator = PatchDiscriminator(width, d_layers)

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        return self.generator(L)
