"""The regression baseline: a plain convolutional encoder–decoder that predicts ab directly.

Trained with mean squared error this network shows the *averaging problem* (Daly & Zhao fig. 1,
notebook 03): when one gray shape is sometimes red and sometimes blue, the prediction that
minimises MSE is the mean of the two, a grayish purple, so real photographs come out desaturated.

Shapes, at width 1 (N images, H x W pixels):

    L (N, 1, H, W)  in [0, 100]      -> (L - 50) / 100
    enc1  conv 3x3 s2   64 + BN + ReLU  (N,  64, H/2, W/2)
    enc2  conv 3x3 s2  128 + BN + ReLU  (N, 128, H/4, W/4)
    enc3  conv 3x3 s2  256 + BN + ReLU  (N, 256, H/8, W/8)
    mid   2 x conv 3x3 256 + BN + ReLU  (N, 256, H/8, W/8)
    dec3  up x2, conv 3x3 128 + BN + ReLU (N, 128, H/4, W/4)
    dec2  up x2, conv 3x3  64 + BN + ReLU (N,  64, H/2, W/2)
    dec1  up x2, conv 3x3  32 + BN + ReLU (N,  32, H,   W)
    out   conv 3x3 2, tanh x 110          (N,   2, H,   W)  ab in Lab units
"""
from __future__ import annotations

import torch
from torch import nn

from .common import channels, crop, pad_to_multiple

L_CENT, L_NORM = 50.0, 100.0  # Zhang et al. 2016 (released code: l_cent = 50, l_norm = 100)
AB_SCALE = 110.0  # Zhang et al. 2016: ab / 110 (ab_norm); ±110 spans the ab range of the sRGB gamut


def conv_bn_relu(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    """3x3 convolution (padding 1, so stride 1 keeps the size) + batch-norm + ReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),  # BN adds the bias
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


def up_conv_bn_relu(c_in: int, c_out: int) -> nn.Sequential:
    """Bilinear x2 upsampling, then ``conv_bn_relu``."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        conv_bn_relu(c_in, c_out),
    )


class RegressionNet(nn.Module):
    """Plain encoder–decoder regressing ab; the "averaging" baseline of notebook 03.

    forward(L): L (N, 1, H, W), Lab lightness in [0, 100], any H and W (padded to a multiple of
    8 internally, output cropped back). Input normalisation (L - 50) / 100 as Zhang et al.
    Returns ab (N, 2, H, W) in Lab units, within (-110, 110) (``tanh x 110``).

    Parameters at width 1: 1,938,882; width 0.25: 121,842; width 0.125: 30,682.
    """

    task = "regression"  # trained and read by tasks.Regression
    ab_scale = AB_SCALE  # the loss compares ab / 110 (Zhang's normalisation)
    stride = 8           # three stride-2 convolutions

    def __init__(self, width: float = 1.0):
        super().__init__()
        self.config = dict(width=width)
        c32, c64, c128, c256 = (channels(c, width) for c in (32, 64, 128, 256))
        self.enc1 = conv_bn_relu(1, c64, stride=2)
        self.enc2 = conv_bn_relu(c64, c128, stride=2)
        self.enc3 = conv_bn_relu(c128, c256, stride=2)
        self.mid = nn.Sequential(conv_bn_relu(c256, c256), conv_bn_relu(c256, c256))
        self.dec3 = up_conv_bn_relu(c256, c128)
        self.dec2 = up_conv_bn_relu(c128, c64)
        self.dec1 = up_conv_bn_relu(c64, c32)
        self.out = nn.Conv2d(c32, 2, 3, padding=1)

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        x, size = pad_to_multiple((L - L_CENT) / L_NORM, self.stride)
        x = self.mid(self.enc3(self.enc2(self.enc1(x))))
        x = self.dec1(self.dec2(self.dec3(x)))
        ab = torch.tanh(self.out(x)) * self.ab_scale
        return crop(ab, size)
