"""Daly & Zhao, "CNN Assisted Colorization of Gray-scale Images": RTNet and HNet, in YUV.

**RTNet** colours a gray image Y from a *colour palette*: a vector in R^196 that a palette network
computes from the full-colour YUV photo. Layout (width 1, input H x W; the paper: 224 x 224):

    VGG stem on Y     conv 64 x2 → f0 (64, H)  · max-pool · conv 128 x2 → f1 (128, H/2)
    palette (CNN1)    YUV: conv 32 s2, conv 64 s2, conv 128 s2 → average-pool to 14 x 14 →
                      one weight vector per cell (196 entries, each its own weights) → R^196,
                      ReLU (as in the paper) or sigmoid
    palette map       196 as a 14 x 14 map, upsampled bilinearly to H/2 and smoothed by
                      conv 3x3 → 32 x2                          → (32, H/2)
    reconstruction    [f1, map] → conv 128 → up x2 → [·, BN(f0)] → conv 64 → conv 2 → sigmoid
                      (at H/2 the input already holds f1; at H the batch-normed f0 is added)
    output            UV scaled to [0, 1] (U / 0.872 + ½, V / 1.23 + ½): (N, 2, H, W)

**HNet** infers the palette from the gray image plus a hint image (4 channels: Y, the hint's U
and V — the mask times the true UV — and the mask): conv 32 s2, 64 s2, 128 s2 → 14 x 14 →
R^196 with RTNet's activation. It is trained with MSE against the palette of a trained, frozen
RTNet for the full photo; at inference HNet's palette drives RTNet's reconstruction. The ``hnet``
model holds both: its own palette network and a frozen copy of RTNet (kept in eval mode).

Both models take Lab like every model here (L, and ab or hints) and convert to YUV themselves:
Y is the luma of the *gray* photo (L with a = b = 0), so training and colouring a gray photo see
the same input; the colour input is the photo (or hint) in YUV (BT.601, ``color.rgb_to_yuv``).
The sigmoid output is turned back into ab by the tasks (``uv01_to_ab``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from colorlab.color import lab_to_rgb, rgb_to_lab, rgb_to_yuv, yuv_to_rgb

from .common import channels, pad_to_multiple
from .vgg16 import read_state_dict

PALETTE = 196            # Daly & Zhao: the colour palette lives in R^196 (a 14 x 14 map here)
PALETTE_SIDE = 14
U_MAX, V_MAX = 0.436, 0.615   # BT.601: |U| ≤ 0.436, |V| ≤ 0.615 for RGB in [0, 1]
ACTIVATIONS = ("relu", "sigmoid")


# --- Lab ↔ YUV for these models ----------------------------------------------------------------

def gray_y(L: torch.Tensor) -> torch.Tensor:
    """Luma Y (N, 1, H, W) in [0, 1] of the gray photo with lightness L (a = b = 0)."""
    gray = lab_to_rgb(torch.cat([L, torch.zeros_like(L), torch.zeros_like(L)], 1))
    return gray[:, :1]                       # R = G = B for a gray pixel, and Y = R


def yuv_of(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """The photo (L, ab) in YUV: (N, 3, H, W); Y in [0, 1], U in ±0.436, V in ±0.615."""
    return rgb_to_yuv(lab_to_rgb(torch.cat([L, ab], 1)))


def uv01_of(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """The UV of (L, ab) scaled to [0, 1], the sigmoid output's target: (N, 2, H, W)."""
    uv = yuv_of(L, ab)[:, 1:]
    return torch.stack([uv[:, 0] / (2 * U_MAX), uv[:, 1] / (2 * V_MAX)], 1) + 0.5


def uv01_to_ab(L: torch.Tensor, uv01: torch.Tensor) -> torch.Tensor:
    """A [0, 1]-scaled UV prediction on the gray photo L → ab (N, 2, H, W) Lab units."""
    u = (uv01[:, :1] - 0.5) * 2 * U_MAX
    v = (uv01[:, 1:] - 0.5) * 2 * V_MAX
    rgb = yuv_to_rgb(torch.cat([gray_y(L), u, v], 1))
    return rgb_to_lab(rgb)[:, 1:]


# --- building blocks ------------------------------------------------------------------------------

def conv(c_in: int, c_out: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1), nn.ReLU(inplace=True)]


class PaletteEntries(nn.Module):
    """(N, C, 14, 14) features → (N, 196): each palette entry its own weights over the C features
    of its cell (a locally connected 1x1 layer), so that entries live or die independently."""

    def __init__(self, c: int):
        super().__init__()
        bound = c ** -0.5                                        # nn.Linear's initialisation
        self.weight = nn.Parameter(torch.empty(PALETTE, c).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(PALETTE).uniform_(-bound, bound))

    def forward(self, x):
        return torch.einsum("ncp,pc->np", x.flatten(2), self.weight) + self.bias


def palette_net(c_in: int, width: float, activation: str) -> nn.Sequential:
    """Photo (or hint image) → R^196: three stride-2 convs, average-pool to 14 x 14, one weight
    vector per palette entry, then ReLU or sigmoid."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"palette activation must be one of {ACTIVATIONS}, got {activation!r}")
    c32, c64, c128 = (channels(c, width) for c in (32, 64, 128))
    return nn.Sequential(*conv(c_in, c32, 2), *conv(c32, c64, 2), *conv(c64, c128, 2),
                         nn.AdaptiveAvgPool2d(PALETTE_SIDE), PaletteEntries(c128),
                         nn.ReLU() if activation == "relu" else nn.Sigmoid())


class RTNet(nn.Module):
    """Daly & Zhao's RTNet: gray Y + the colour palette of the full photo → UV in [0, 1].

    forward(L, ab): L (N, 1, H, W) Lab lightness, ab (N, 2, H, W) the photo's chroma (the palette
    network sees the photo in YUV). Returns uv01 (N, 2, H, W). ``palette(L, ab)`` → (N, 196);
    ``reconstruct(L, palette)`` → uv01: the two halves, so that HNet's palette can replace the
    palette network. width: channel multiplier. activation: the palette's, "relu" (the paper)
    or "sigmoid" (which the paper suggests would leave fewer entries unused).
    """

    task = "rtnet"
    stride = 2

    def __init__(self, width: float = 1.0, activation: str = "relu"):
        super().__init__()
        self.config = dict(width=width, activation=activation)
        c32, c64, c128 = (channels(c, width) for c in (32, 64, 128))
        self.vgg1 = nn.Sequential(*conv(1, c64), *conv(c64, c64))
        self.vgg2 = nn.Sequential(nn.MaxPool2d(2), *conv(c64, c128), *conv(c128, c128))
        self.palette_net = palette_net(3, width, activation)
        self.smooth = nn.Sequential(*conv(1, c32), *conv(c32, c32))
        self.bn1, self.bn0 = nn.BatchNorm2d(c128), nn.BatchNorm2d(c64)
        self.rec2 = nn.Sequential(*conv(c128 + c32, c128))
        self.up = nn.ConvTranspose2d(c128, c64, 4, stride=2, padding=1)
        self.rec1 = nn.Sequential(nn.ReLU(inplace=True), *conv(c64 + c64, c64), nn.Conv2d(c64, 2, 3, padding=1))

    def palette(self, L, ab) -> torch.Tensor:
        """The colour palette (N, 196) of the photo (L, ab)."""
        x, _ = pad_to_multiple(yuv_of(L, ab) - torch.tensor([0.5, 0, 0], device=L.device).view(1, 3, 1, 1),
                               self.stride)
        return self.palette_net(x)

    def reconstruct(self, L, palette) -> torch.Tensor:
        """uv01 (N, 2, H, W) for the gray photo L coloured from ``palette`` (N, 196)."""
        y, size = pad_to_multiple(gray_y(L) - 0.5, self.stride)
        f0 = self.vgg1(y)
        f1 = self.vgg2(f0)
        pmap = palette.view(-1, 1, PALETTE_SIDE, PALETTE_SIDE)
        pmap = self.smooth(F.interpolate(pmap, size=f1.shape[-2:], mode="bilinear", align_corners=False))
        x = self.rec2(torch.cat([self.bn1(f1), pmap], 1))
        x = self.rec1(torch.cat([self.up(x), self.bn0(f0)], 1))
        return torch.sigmoid(x)[..., :size[0], :size[1]]

    def forward(self, L, ab):
        return self.reconstruct(L, self.palette(L, ab))


class HNet(nn.Module):
    """Daly & Zhao's HNet with the RTNet it serves: hints → palette → RTNet's reconstruction.

    forward(L, hint_ab, hint_mask) → uv01 (N, 2, H, W): the palette inferred from the gray photo
    and the hints (``palette_from_hints``) drives the frozen RTNet (``self.rtnet``).
    ``HNet.from_rtnet(trained_rtnet)`` builds one around a trained RTNet (a copy; frozen);
    ``HNet(rtnet_weights="runs/rtnet/last.pt")`` does the same from an RTNet checkpoint (its width
    and activation win over the arguments). The checkpoint of an hnet holds both networks'
    weights, so a saved hnet colours on its own.
    """

    task = "hnet"
    stride = 2
    # what training needs that the constructor cannot default: HNet learns the palette of a *trained*
    # RTNet, so `python -m colorlab train --model hnet` must be given one
    needs_for_training = {"rtnet_weights": "the last.pt of a trained RTNet "
                                           "(python -m colorlab train --model rtnet … first)"}

    def __init__(self, width: float = 1.0, activation: str = "relu", rtnet_weights: str | None = None):
        super().__init__()
        state = None
        if rtnet_weights is not None:
            ckpt = read_state_dict(rtnet_weights, "expected a colorlab checkpoint of an rtnet")
            if ckpt.get("name") != "rtnet" or "model" not in ckpt:
                raise ValueError(f"{rtnet_weights} is not a checkpoint of an rtnet "
                                 f"(it holds {ckpt.get('name', 'no model name')!r})")
            width, activation = ckpt["kwargs"]["width"], ckpt["kwargs"]["activation"]
            state = ckpt["model"]
        self.config = dict(width=width, activation=activation)
        self.hnet = palette_net(4, width, activation)
        self.rtnet = RTNet(width, activation)
        if state is not None:
            self.rtnet.load_state_dict(state)
        self.rtnet.requires_grad_(False)

    @classmethod
    def from_rtnet(cls, rtnet: RTNet) -> "HNet":
        net = cls(**rtnet.config)
        net.rtnet.load_state_dict(rtnet.state_dict())
        return net.to(next(rtnet.parameters()).device)

    def train(self, mode: bool = True):
        """Train HNet; RTNet stays frozen, in eval mode (its batch-norm statistics are kept)."""
        super().train(mode)
        self.rtnet.eval()
        return self

    def palette_from_hints(self, L, hint_ab, hint_mask) -> torch.Tensor:
        """The palette (N, 196) HNet infers from Y and the hint image (mask x UV, mask)."""
        yuv = yuv_of(L, hint_ab)
        uv = yuv[:, 1:] * hint_mask                 # no hint: no colour (U = V = 0)
        x = torch.cat([gray_y(L) - 0.5, uv, hint_mask], 1)
        return self.hnet(pad_to_multiple(x, self.stride)[0])

    def forward(self, L, hint_ab, hint_mask):
        return self.rtnet.reconstruct(L, self.palette_from_hints(L, hint_ab, hint_mask))
