"""Zhang et al. 2017, "Real-Time User-Guided Image Colorization with Learned Deep Priors"
(SIGGRAPH17): the local-hints network.

The ECCV16 trunk (``zhang_eccv16.py``, blocks 1–8 with the same ``width`` multiplier) takes four
channels instead of one — lightness, the hint ab image and the hint mask — and two stages of
transposed convolutions with shortcuts from the trunk's early blocks bring it back to full
resolution, so that a one-pixel hint can colour exactly the pixels around it:

    input   (L - 50) / 100, hint ab / 110, hint mask       (N,   4, H,   W)
    model1 … model7                                         as ECCV16 (H/2 … H/8)
    model8  convT 4x4 s2 → 256, conv 256 x2                 (N, 256, H/4, W/4)
    model9  convT 4x4 s2 → 128  + shortcut from model1      (N, 128, H/2, W/2)
    model10 convT 4x4 s2 → 64   + shortcut from the input   (N,  64, H,   W)
    out     conv 1x1 → 2, tanh × 110                         ab (N, 2, H, W), Lab units
    class   conv 1x1 on model8 → 529 (optional)              logits over the 23 x 23 ab grid

The regression head is trained with a smooth-L1 (Huber) loss, as SIGGRAPH17; the optional
classification head (``classify=True``) with cross-entropy over the 529 cells of the 10-unit ab
grid, at 1/4 resolution, without rebalancing (SIGGRAPH17 §3.3). Colouring reads the regression
head.
"""
from __future__ import annotations

import torch
from torch import nn

from .common import channels, crop, pad_to_multiple
from .zhang_eccv16 import L_CENT, L_NORM, block, conv_relu

AB_NORM = 110.0          # SIGGRAPH17: ab / 110 in, tanh × 110 out
GRID_CELLS = 23 * 23     # SIGGRAPH17 §3.3: 529 ab cells of 10 units, a and b in −110 … 110


class ZhangHints(nn.Module):
    """SIGGRAPH17's local-hints network at ``width`` (1.0: the ECCV16 trunk's channel counts).

    forward(L, hint_ab, hint_mask): L (N, 1, H, W) Lab lightness [0, 100]; hint_ab (N, 2, H, W)
    Lab units, zero where no hint; hint_mask (N, 1, H, W) 1 where hinted. Any H and W (padded to
    a multiple of 8, cropped back). Returns ab (N, 2, H, W) in Lab units, or with
    ``classify=True`` the pair (ab, logits (N, 529, ceil(H/4), ceil(W/4))).
    """

    task = "zhang_hints"     # tasks.UserHints: point hints, smooth-L1 (+ cross-entropy)
    stride = 8
    ab_scale = AB_NORM

    def __init__(self, width: float = 1.0, classify: bool = False):
        super().__init__()
        self.config = dict(width=width, classify=classify)
        c64, c128, c256, c512 = (channels(c, width) for c in (64, 128, 256, 512))
        self.model1 = block(4, c64, 2, last_stride=2)
        self.model2 = block(c64, c128, 2, last_stride=2)
        self.model3 = block(c128, c256, 3, last_stride=2)
        self.model4 = block(c256, c512, 3)
        self.model5 = block(c512, c512, 3, dilation=2)
        self.model6 = block(c512, c512, 3, dilation=2)
        self.model7 = block(c512, c512, 3)
        self.model8 = nn.Sequential(nn.ConvTranspose2d(c512, c256, 4, stride=2, padding=1),
                                    nn.ReLU(inplace=True), *conv_relu(c256, c256), *conv_relu(c256, c256))
        self.up9 = nn.ConvTranspose2d(c256, c128, 4, stride=2, padding=1)
        self.short9 = nn.Conv2d(c64, c128, 3, padding=1)
        self.model9 = nn.Sequential(nn.ReLU(inplace=True), *conv_relu(c128, c128), nn.BatchNorm2d(c128))
        self.up10 = nn.ConvTranspose2d(c128, c64, 4, stride=2, padding=1)
        self.short10 = nn.Conv2d(4, c64, 3, padding=1)
        self.model10 = nn.Sequential(nn.ReLU(inplace=True), *conv_relu(c64, c64))
        self.out = nn.Conv2d(c64, 2, 1)
        self.classifier = nn.Conv2d(c256, GRID_CELLS, 1) if classify else None

    def forward(self, L, hint_ab, hint_mask):
        x = torch.cat([(L - L_CENT) / L_NORM, hint_ab / AB_NORM, hint_mask], 1)
        x, size = pad_to_multiple(x, self.stride)
        f1 = self.model1(x)
        f = f1
        for m in (self.model2, self.model3, self.model4, self.model5, self.model6, self.model7,
                  self.model8):
            f = m(f)
        f8 = f
        f = self.model9(self.up9(f8) + self.short9(f1))
        f = self.model10(self.up10(f) + self.short10(x))
        ab = crop(torch.tanh(self.out(f)) * AB_NORM, size)
        if self.classifier is None:
            return ab
        return ab, crop(self.classifier(f8), size, factor=4)
