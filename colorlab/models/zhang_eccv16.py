"""Zhang, Isola & Efros 2016, "Colorful Image Colorization" (ECCV16): the classification network.

Colour is predicted as a probability distribution over Q = 313 quantised ab bins (``bins.py``);
the network outputs one logit per bin at 1/4 of the input resolution. Turning the logits into
ab (annealed mean, T = 0.38) and upsampling bilinearly to the full image is ``bins.annealed_mean``'s
job, not the network's. Massachi ch. 3 describes the same network: each "conv" box of Zhang's
figure is two or three 3x3 convolutions followed by batch-norm, and the last layer is 1x1.

Blocks (width 1; ``s2`` = stride 2, ``d2`` = dilation 2 with padding 2; every 3x3 conv is
followed by ReLU, every block 1–7 ends with BatchNorm), for an input of H x W:

    model1  conv 64, conv 64 s2, BN                       (N,  64, H/2, W/2)
    model2  conv 128, conv 128 s2, BN                     (N, 128, H/4, W/4)
    model3  conv 256 x2, conv 256 s2, BN                  (N, 256, H/8, W/8)
    model4  conv 512 x3, BN                               (N, 512, H/8, W/8)
    model5  conv 512 d2 x3, BN                            (N, 512, H/8, W/8)
    model6  conv 512 d2 x3, BN                            (N, 512, H/8, W/8)
    model7  conv 512 x3, BN                               (N, 512, H/8, W/8)
    model8  convT 4x4 s2 256, conv 256 x2, conv 1x1 313   (N, 313, H/4, W/4)

With ``color_scale`` > 0 the network also takes 16 colour values: the photo's ab averaged over
a 4 × 4 grid (``color_grid.grid_ab``), painted bilinearly to the input size and stacked under L
as two more input channels (Massachi §4.5: "a full quality L channel and sixteen color values
from severely down sampled a and b channels"). The thesis's L runs from −50 to 50 (Caffe's
L − 50); it gave ab on a scale of −110 to 110 (ab itself) and of −50 to 50 (ab · 50 / 110, "the
same scale as the one used for the L channel"). ``color_scale`` is that scale; since our L
enters as (L − 50) / 100, the colours enter as ab · color_scale / 110 / 100, so that colours
and L keep the thesis's proportions.

The blocks are ``nn.Sequential``s named and indexed like the authors' released PyTorch port
(``colorization/colorizers/eccv16.py``: ``model1.0.weight`` …), so at width 1 its state dict
loads with ``strict=False`` (it also holds ``model_out``, the fixed 313 -> ab 1x1 convolution
that we replace by ``bins.annealed_mean``).
"""
from __future__ import annotations

import torch
from torch import nn

from colorlab.color import grid as color_grid

from .common import channels, crop, pad_to_multiple

L_CENT, L_NORM = 50.0, 100.0  # Zhang et al. 2016 released code: (L - l_cent) / l_norm
N_BINS = 313                  # Zhang et al. 2016 §2.1: 313 in-gamut ab bins of a 10-unit grid
AB_RANGE = 110.0              # Massachi §4.5: "-110 to 110, the common scale" of a and b


def conv_relu(c_in: int, c_out: int, stride: int = 1, dilation: int = 1) -> list[nn.Module]:
    """3x3 conv with bias (as released) + ReLU; padding = dilation keeps the size at stride 1."""
    return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=dilation, dilation=dilation,
                      bias=True),
            nn.ReLU(inplace=True)]


def block(c_in: int, c_out: int, n: int, last_stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """``n`` conv+ReLU layers (the last one with ``last_stride``), then BatchNorm.

    Layer order [conv, ReLU, conv, ReLU, …, BN] gives the released code's indices
    (convs at 0, 2, 4; BN at 2n).
    """
    layers = []
    for i in range(n):
        stride = last_stride if i == n - 1 else 1
        layers += conv_relu(c_in if i == 0 else c_out, c_out, stride, dilation)
    layers.append(nn.BatchNorm2d(c_out))
    return nn.Sequential(*layers)


class ZhangECCV16(nn.Module):
    """Zhang et al. 2016 colorization network (313-way classification per pixel at 1/4).

    forward(L): L (N, 1, H, W), Lab lightness in [0, 100], any H and W. Normalised to
    (L - 50) / 100 (Zhang's l_cent, l_norm), padded at the bottom/right to a multiple of 8
    (three stride-2 convs down, one stride-2 transposed conv up). Returns logits
    (N, n_bins, ceil(H/4), ceil(W/4)): the 1/4-resolution output of the padded image, cropped to
    the cells that cover real pixels. Unnormalised: apply softmax (or ``bins.annealed_mean``).

    With ``color_scale`` > 0 (Massachi §4.5: 110 or 50): forward(L, colors), colors (N, 2, k, k)
    the photo's ab averaged over a k × k grid (k = 4 in the thesis), Lab units; the model's task
    is then ``"color_input"`` (``tasks.ColorInput`` puts the colours in every batch).

    Parameters: width 1: 32,235,385 (the released eccv16 model has 32,236,011: these plus the
    626 of its fixed ``model_out`` 313 -> 2 conv); width 0.25: 2,032,585; width 0.125: 514,241.
    """

    task = "classification"  # trained and read by tasks.Classification
    stride = 8          # input side must be a multiple of 8: /2 /2 /2 then x2 -> output at 1/4
    out_factor = 4      # logits at 1/4 of the input resolution

    def __init__(self, width: float = 1.0, n_bins: int = N_BINS, color_scale: float = 0.0):
        super().__init__()
        if color_scale < 0:
            raise ValueError(f"color_scale must be 0 (no colour input) or positive (110, 50), got {color_scale}")
        self.color_scale = float(color_scale)
        self.config = dict(width=width, n_bins=n_bins)
        if self.color_scale:             # kept out of the config of the plain network (older checkpoints)
            self.config["color_scale"] = self.color_scale
            self.task = "color_input"    # the model names its task: tasks.ColorInput feeds the colours
        c64, c128, c256, c512 = (channels(c, width) for c in (64, 128, 256, 512))
        self.model1 = block(3 if self.color_scale else 1, c64, 2, last_stride=2)
        self.model2 = block(c64, c128, 2, last_stride=2)
        self.model3 = block(c128, c256, 3, last_stride=2)
        self.model4 = block(c256, c512, 3)
        self.model5 = block(c512, c512, 3, dilation=2)   # "a trous" convs: wider view, same size
        self.model6 = block(c512, c512, 3, dilation=2)
        self.model7 = block(c512, c512, 3)
        self.model8 = nn.Sequential(
            nn.ConvTranspose2d(c512, c256, 4, stride=2, padding=1, bias=True),  # H/8 -> H/4
            nn.ReLU(inplace=True),
            *conv_relu(c256, c256),
            *conv_relu(c256, c256),
            nn.Conv2d(c256, n_bins, 1, bias=True),  # one logit per ab bin
        )

    def forward(self, L: torch.Tensor, colors: torch.Tensor | None = None) -> torch.Tensor:
        x = (L - L_CENT) / L_NORM
        if self.color_scale:
            if colors is None:
                raise ValueError("this network takes the photo's 16 colour values: forward(L, colors)")
            ab = color_grid.paint(colors, L.shape[-2:]) * (self.color_scale / AB_RANGE / L_NORM)
            x = torch.cat([x, ab], 1)
        elif colors is not None:
            raise ValueError("this network was built without colour input (color_scale=0): forward(L)")
        x, size = pad_to_multiple(x, self.stride)
        for m in (self.model1, self.model2, self.model3, self.model4,
                  self.model5, self.model6, self.model7, self.model8):
            x = m(x)
        return crop(x, size, factor=self.out_factor)
