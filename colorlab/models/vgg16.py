"""Hultgren, Kaya & Ekman: a VGG-16 encoder and a small learned decoder (notebook 04).

The encoder is VGG-16's 13 convolutional layers and 5 max-pools (their Table 1), fed with the
gray image copied to three channels: a network trained to *recognise* objects already knows
where grass, sky and cats are. The decoder (their Table 2) turns the 512 x H/32 x W/32 features
back into the two colour channels ab at full resolution:

    Layer 19  Conv2D        H/32  256        Layer 25  UpSampling2D  H/4   32
    Layer 20  Conv2D        H/32  128        Layer 26  Conv2D        H/4   16
    Layer 21  UpSampling2D  H/16  128        Layer 27  UpSampling2D  H/2   16
    Layer 22  Conv2D        H/16   64        Layer 28  Conv2D        H/2    2   tanh
    Layer 23  UpSampling2D  H/8    64        Layer 29  UpSampling2D  H      2
    Layer 24  Conv2D        H/8    32        (the paper numbers the last one "27" again)

ReLU everywhere except the last conv, which has tanh (§3.4); the target is ab / 128 (§3.4), so
the output is ``128 * tanh``. The paper gives neither kernel size nor upsampling mode:

- 3 x 3 convolutions with "same" padding (the sizes in Table 2 stay put). With 3 x 3 kernels the
  decoder has 1,572,114 weights, the paper's "approximately 1.5M parameters" (§4.1).
- ``UpSampling2D`` is the Keras layer name; its default interpolation is nearest neighbour, so
  we use ``nn.Upsample(scale_factor=2, mode="nearest")``.

Variants (§3.6, §4.2, §4.3): ``baseline``; ``batchnorm``, batch-norm *before* each decoder conv
("Prior to each convolutional layer the batch normalization would normalize the data");
``dropout``: the paper gives neither rate nor place. Our choice: ``nn.Dropout(p=0.5)`` (element-
wise, like Keras's ``Dropout``) after the ReLU of each hidden decoder conv (layers 19, 20, 22,
24, 26), none on the output layer.

Also here: ``GrayClassifier``, the stand-in pretraining task when no ImageNet VGG-16 weights
are available (classify flower species from the gray image), whose encoder can be copied into
the decoder network with ``VGG16Decoder.load_encoder_from``.
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from .common import channels, crop, pad_to_multiple

AB_SCALE = 128.0  # Hultgren et al. §3.4: ab in [-128, 127] rescaled by 1/128; output tanh x 128

# VGG-16 ("configuration D", Simonyan & Zisserman 2015): conv channel counts, "M" = 2x2 max-pool.
VGG16_LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                512, 512, 512, "M", 512, 512, 512, "M")

# torchvision's VGG-16 was trained on RGB in [0, 1] normalised with these (ImageNet statistics).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

EXPECTED = ("expected a torchvision VGG-16 state dict (keys features.0.weight, features.0.bias, "
            "…, features.28.bias) at width 1")


def vgg_input(L: torch.Tensor) -> torch.Tensor:
    """Lightness (N, 1, H, W) in [0, 100] -> the 3-channel input VGG-16 expects (N, 3, H, W).

    L / 100 is used as a gray level in [0, 1], copied to R, G and B (Hultgren et al. §3.3: "the
    L channel copied to all three channels"), then normalised with the ImageNet mean and standard
    deviation, as torchvision's pretrained VGG-16 was trained. (L is close to, not equal to, the
    gamma-encoded gray level; the difference is small for a pretrained network.)
    """
    gray = (L / 100.0).expand(-1, 3, -1, -1)
    mean = L.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = L.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (gray - mean) / std


class VGG16Features(nn.Module):
    """VGG-16's 13 conv layers (3x3, padding 1, ReLU) and 5 max-pools, as ``self.features``.

    forward(x): x (N, 3, H, W), already normalised (``vgg_input``), H and W multiples of 32.
    Returns features (N, C, H/32, W/32), C = 512 at width 1 (``self.out_channels``).

    ``self.features`` is an ``nn.Sequential`` built exactly like torchvision's
    ``vgg16().features`` (convs at 0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28; pools at 4,
    9, 16, 23, 30), so this module's state dict keys (``features.0.weight`` …) are torchvision's.
    With ``batchnorm=True`` each conv is followed by BatchNorm (conv, BN, ReLU), the layout of
    torchvision's ``vgg16_bn().features``.

    Parameters: 14,714,688 at width 1 (without batch-norm).
    """

    def __init__(self, width: float = 1.0, batchnorm: bool = False):
        super().__init__()
        self.width, self.batchnorm = width, batchnorm
        layers, c_in = [], 3
        for v in VGG16_LAYOUT:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                continue
            c_out = channels(v, width)
            layers.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1))
            if batchnorm:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.ReLU(inplace=True))
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.out_channels = c_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


def read_state_dict(path, hint: str = "") -> dict:
    """Read a local weights file safely (tensors only, ``weights_only=True``). Never downloads.

    Raises FileNotFoundError if there is no such file, ValueError if it is not a state dict
    (``hint`` is added to the message: what the caller expected).
    """
    path = Path(path)
    tail = f"; {hint}" if hint else ""
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path} (colorlab never "
                                f"downloads weights; pass the path of a local file)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # not a torch file, or a pickle that is more than tensors
        raise ValueError(f"{path}: cannot read it as a state dict ({e}){tail}") from None
    if not isinstance(state, dict):
        raise ValueError(f"{path}: holds a {type(state).__name__}, not a state dict{tail}")
    return state


def load_vgg16_weights(module: nn.Module, path) -> nn.Module:
    """Load a local torchvision VGG-16 state dict file into ``module``'s encoder. Never downloads.

    ``module``: a ``VGG16Features`` or a model with one as ``.encoder`` (``VGG16Decoder``,
    ``GrayClassifier``). ``path``: a file saved with ``torch.save(vgg16(weights=...).state_dict())``
    (e.g. torchvision's ``vgg16-397923af.pth``); only its ``features.*`` entries are used, the
    classifier's are ignored. A ``vgg16_bn`` file fits an encoder built with ``batchnorm=True``.

    Raises FileNotFoundError if there is no such file, ValueError if it is not a matching state
    dict (wrong keys or shapes, e.g. an encoder of width other than 1). Returns the encoder.
    """
    encoder = module if isinstance(module, VGG16Features) else getattr(module, "encoder", None)
    if not isinstance(encoder, VGG16Features):
        raise TypeError(f"load_vgg16_weights needs a VGG16Features or a model with one as "
                        f".encoder, got {type(module).__name__}")
    path = Path(path)
    state = read_state_dict(path, hint=EXPECTED)

    got = {k: v for k, v in state.items() if k.startswith("features.")}
    want = encoder.state_dict()
    problems = []
    if missing := sorted(set(want) - set(got)):
        problems.append(f"missing keys {missing[:4]}{' …' if len(missing) > 4 else ''}")
    if unexpected := sorted(set(got) - set(want)):
        problems.append(f"unexpected keys {unexpected[:4]}{' …' if len(unexpected) > 4 else ''}")
    shapes = [f"{k}: file {tuple(got[k].shape)}, model {tuple(want[k].shape)}"
              for k in want if k in got and got[k].shape != want[k].shape]
    if shapes:
        problems.append("wrong shapes " + "; ".join(shapes[:3]) + (" …" if len(shapes) > 3 else ""))
    if problems:
        expected = EXPECTED.replace("VGG-16", "VGG-16-BN (vgg16_bn)") if encoder.batchnorm \
            else EXPECTED
        note = "" if encoder.width == 1 else f" (this encoder has width {encoder.width})"
        raise ValueError(f"{path}: {expected}{note}; " + "; ".join(problems))
    encoder.load_state_dict(got, strict=True)
    return encoder


def vgg16(weights=None, width: float = 1.0, batchnorm: bool = False) -> VGG16Features:
    """VGG-16's 13 conv layers, with a local torchvision state dict loaded when ``weights`` is a
    path (None: random initialisation). Never downloads."""
    encoder = VGG16Features(width=width, batchnorm=batchnorm)
    if weights is not None:
        load_vgg16_weights(encoder, weights)
    return encoder


# Hultgren et al. Table 2: (layer number, output channels, upsample x2 after it)
DECODER_LAYERS = ((19, 256, False), (20, 128, True), (22, 64, True),
                  (24, 32, True), (26, 16, True), (28, 2, True))
VARIANTS = ("baseline", "batchnorm", "dropout")


def hultgren_decoder(c_in: int, width: float = 1.0, variant: str = "baseline",
                     dropout: float = 0.5) -> nn.Sequential:
    """The decoder of Hultgren et al. Table 2; layers named by the paper's layer numbers.

    (N, c_in, H/32, W/32) -> (N, 2, H, W) in (-1, 1) (tanh; multiply by 128 for Lab units).
    """
    layers = []
    for i, (number, c, up) in enumerate(DECODER_LAYERS):
        last = i == len(DECODER_LAYERS) - 1
        c_out = 2 if last else channels(c, width)
        if variant == "batchnorm":
            layers.append((f"bn{number}", nn.BatchNorm2d(c_in)))
        layers.append((f"conv{number}", nn.Conv2d(c_in, c_out, 3, padding=1)))
        layers.append((f"tanh{number}", nn.Tanh()) if last
                      else (f"relu{number}", nn.ReLU(inplace=True)))
        if variant == "dropout" and not last:
            layers.append((f"drop{number}", nn.Dropout(p=dropout)))
        if up:
            layers.append((f"up{number + 1}", nn.Upsample(scale_factor=2, mode="nearest")))
        c_in = c_out
    return nn.Sequential(OrderedDict(layers))


class VGG16Decoder(nn.Module):
    """Hultgren et al.: VGG-16 conv encoder + Table 2 decoder, regressing ab with tanh x 128.

    forward(L): L (N, 1, H, W), Lab lightness in [0, 100], any H and W (padded at the bottom and
    right to a multiple of 32, the output cropped back). Input: ``vgg_input`` (L / 100 copied to
    3 channels, ImageNet-normalised). Returns ab (N, 2, H, W) in Lab units, within (-128, 128).

    variant: "baseline" | "batchnorm" | "dropout" (see the module docstring); dropout: its rate.
    freeze_encoder: the encoder's weights get requires_grad=False and the encoder stays in eval
        mode even after ``model.train()`` (as the paper's pretrained, "static" VGG-16).
    weights: path of a local torchvision VGG-16 state dict to load into the encoder (width 1).
        The loaded weights are part of this model's state dict, so ``self.config`` records
        ``weights=None``: rebuilding from a checkpoint does not need the file.
    encoder_batchnorm: VGG-16 with batch-norm after each conv (torchvision's vgg16_bn layout);
        needed to take the encoder of a ``GrayClassifier(batchnorm=True)``.

    Parameters (encoder / decoder, baseline variant; the batchnorm variant adds 2 per decoder
    input channel): width 1: 14,714,688 / 1,572,114; width 0.25: 920,784 / 98,406;
    width 0.125: 230,568 / 24,652.
    """

    task = "regression"  # trained and read by tasks.Regression
    ab_scale = AB_SCALE  # the loss compares ab / 128 (Hultgren et al. §3.4)
    stride = 32          # five 2x2 max-pools

    def __init__(self, variant: str = "baseline", width: float = 1.0,
                 freeze_encoder: bool = False, weights: str | None = None,
                 dropout: float = 0.5, encoder_batchnorm: bool = False):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; valid variants: {', '.join(VARIANTS)}")
        self.config = dict(variant=variant, width=width, freeze_encoder=freeze_encoder,
                           weights=None, dropout=dropout, encoder_batchnorm=encoder_batchnorm)
        self.weights_path = None if weights is None else str(weights)
        self.encoder = VGG16Features(width, batchnorm=encoder_batchnorm)
        self.decoder = hultgren_decoder(self.encoder.out_channels, width, variant, dropout)
        if weights is not None:
            load_vgg16_weights(self.encoder, weights)
        self.freeze_encoder = freeze_encoder
        if freeze_encoder:
            self.encoder.requires_grad_(False)
            self.encoder.eval()

    def train(self, mode: bool = True):
        """Like ``nn.Module.train``, but a frozen encoder stays in eval mode."""
        super().train(mode)
        if self.freeze_encoder:
            self.encoder.eval()
        return self

    def load_encoder_from(self, classifier: "GrayClassifier") -> "VGG16Decoder":
        """Copy the encoder weights of a trained ``GrayClassifier`` into this model's encoder.

        Both must have the same width and batch-norm setting (``encoder_batchnorm`` here,
        ``batchnorm`` there). Returns self.
        """
        other = getattr(classifier, "encoder", None)
        if not isinstance(other, VGG16Features):
            raise TypeError(f"expected a GrayClassifier, got {type(classifier).__name__}")
        mine = self.encoder
        if (other.width, other.batchnorm) != (mine.width, mine.batchnorm):
            raise ValueError(
                f"encoder mismatch: the classifier has width={other.width}, "
                f"batchnorm={other.batchnorm}; this VGG16Decoder has width={mine.width}, "
                f"encoder_batchnorm={mine.batchnorm}. Build it with "
                f"VGG16Decoder(width={other.width}, encoder_batchnorm={other.batchnorm}, …)")
        mine.load_state_dict(other.state_dict(), strict=True)
        return self

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        L, size = pad_to_multiple(L, self.stride)
        ab = self.decoder(self.encoder(vgg_input(L))) * self.ab_scale
        return crop(ab, size)


class GrayClassifier(nn.Module):
    """VGG-16 conv layers on the gray image + global average pool + linear -> class logits.

    The stand-in pretraining task of notebook 04 when no ImageNet VGG-16 weights are at hand:
    learn to tell the 5 flower species apart from lightness alone, then reuse the encoder for
    colorization (``VGG16Decoder.load_encoder_from``) and the embedding for Koalarization.

    forward(L): L (N, 1, H, W) in [0, 100], any H and W (padded to a multiple of 32; the padding
    takes part in the average). Input: ``vgg_input``. Returns logits (N, n_classes).
    embedding(L): the average-pooled features (N, D), D = ``self.embedding_dim`` (512 at width 1).

    batchnorm=True by default: a VGG-16 trained from scratch on 2,000 images trains far more
    reliably with batch-norm.
    """

    task = "species"     # trained by tasks.SpeciesClassifier
    stride = 32

    def __init__(self, n_classes: int = 5, width: float = 1.0, batchnorm: bool = True):
        super().__init__()
        self.config = dict(n_classes=n_classes, width=width, batchnorm=batchnorm)
        self.encoder = VGG16Features(width, batchnorm=batchnorm)
        self.embedding_dim = self.encoder.out_channels
        self.head = nn.Linear(self.embedding_dim, n_classes)

    def embedding(self, L: torch.Tensor) -> torch.Tensor:
        L, _ = pad_to_multiple(L, self.stride)
        return self.encoder(vgg_input(L)).mean(dim=(2, 3))  # global average pool

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        return self.head(self.embedding(L))
