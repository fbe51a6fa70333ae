"""Baldassarre, González Morín & Rodés-Guirao, "Deep Koalarization" (notebook 06).

An encoder reads the gray image down to H/8 × W/8; a *global embedding* of the whole picture
(what it shows: "a sunflower", "underwater") is copied to every one of those positions, fused with
a 1 × 1 convolution, and a decoder paints ab back at full resolution (their §3.1, Table 1).

Shapes at width 1 (3 × 3 convolutions, "same" padding, ReLU; no batch-norm in the paper):

    L (N, 1, H, W) in [0, 100]     -> 2 L / 100 - 1 in [-1, 1]              (§3.1 preprocessing)
    encoder  64 s2, 128, 128 s2, 256, 256 s2, 512, 512, 256                   (N, 256, H/8, W/8)
    fusion   embedding (N, D) tiled to (N, D, H/8, W/8), ⊕ encoder, 1x1 conv 256 + ReLU
    decoder  128, up x2, 64, 64, up x2, 32, 2 (tanh), up x2                   (N, 2, H, W)
    ab = 127 · tanh                                                          (ab / 127 target)

The embedding (Inception-ResNet-v2's 1001 logits in the paper) comes from an ``embedder`` that is
part of this module, frozen (never trained here, always in eval mode), and saved in its state
dict, so a checkpoint alone colours a photo:

- ``"classifier"``: a ``GrayClassifier`` (the flower-species network of notebook 04, trained on
  gray photos); the embedding is its average-pooled last conv features (``.embedding(L)``,
  D = 512 · width). Copy a trained one in with :meth:`Koalarization.from_classifier`, or give
  ``embedder_weights``: a colorlab checkpoint of one (``04-gray_classifier/last.pt``).
- ``"vgg16"``: a stronger network, if you have it on disk: torchvision's ImageNet VGG-16,
  ``embedder_weights`` = its local state dict file (never downloaded); the embedding is its
  average-pooled conv features (D = 512).
- ``"none"``: zeros of ``embedding_dim`` (the ablation: the same network without the global
  branch; the fusion conv's weights for the embedding then never receive a gradient). This is
  the default, so ``models.build("koalarization")`` and ``python -m colorlab train --model
  koalarization`` train the ablation. The fused model from the command line: ``--model-arg
  embedder=classifier --model-arg embedder_weights=runs/…/04-gray_classifier/last.pt``; notebook
  06 builds it with :meth:`Koalarization.from_classifier`.

``embedder_weights`` is read once, when the model is built; ``config`` does not keep the path
(the weights live in the state dict), so ``models.build(name, **config)`` followed by
``load_state_dict`` rebuilds the model without the file.
"""
from __future__ import annotations

import torch
from torch import nn

from .common import channels, crop, pad_to_multiple
from .vgg16 import GrayClassifier, VGG16Features, load_vgg16_weights, read_state_dict, vgg_input

AB_SCALE = 127.0   # Baldassarre et al. §3.1: a, b scaled to [-1, 1]; ab / 127 here
EMBEDDERS = ("classifier", "vgg16", "none")

ENCODER = ((64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 1), (256, 1))  # Table 1


def conv_relu(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    """3x3 convolution ("same" padding) + ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1), nn.ReLU(inplace=True))


class VGGEmbedder(nn.Module):
    """VGG-16 conv layers (full width, from a local torchvision file) → average-pooled (N, 512)."""

    def __init__(self, batchnorm: bool = False):
        super().__init__()
        self.features = VGG16Features(1.0, batchnorm=batchnorm)
        self.embedding_dim = self.features.out_channels

    def embedding(self, L: torch.Tensor) -> torch.Tensor:
        L, _ = pad_to_multiple(L, 32)
        return self.features(vgg_input(L)).mean(dim=(2, 3))


class Koalarization(nn.Module):
    """Encoder + global embedding fused at H/8 + decoder: L → ab (Baldassarre et al.).

    forward(L): L (N, 1, H, W) Lab lightness in [0, 100], any H and W (padded to a multiple of 8,
    output cropped back). Returns ab (N, 2, H, W) in Lab units within ±127.
    width: channel multiplier of encoder, fusion and decoder (the embedder keeps its own).
    embedder: "classifier" | "vgg16" | "none" (see the module docstring). embedder_config: for
    "classifier", the ``GrayClassifier`` arguments (n_classes, width, batchnorm); for "vgg16",
    {"batchnorm": bool}. embedding_dim: for "none", the length of the zero embedding (default
    512 · width, what a classifier of the same width gives). embedder_weights: a local file to
    load the embedder from (see above); never downloaded, not kept in ``config``.

    Steps, for showing the fusion: ``encode(L)``, ``embed(L)``, ``fuse(features, embedding)``,
    ``decode(fused)``.
    """

    task = "regression"     # MSE on ab / 127, Adam lr 1e-3 (§3.3): tasks.Regression's recipe
    ab_scale = AB_SCALE
    stride = 8

    def __init__(self, width: float = 1.0, embedder: str = "none", embedder_config: dict | None = None,
                 embedding_dim: int | None = None, embedder_weights: str | None = None):
        super().__init__()
        if embedder not in EMBEDDERS:
            raise ValueError(f"embedder must be one of {', '.join(EMBEDDERS)}; got {embedder!r}")
        state = None
        if embedder_weights is not None and embedder == "classifier":
            ckpt = read_state_dict(embedder_weights, "expected a colorlab checkpoint of a gray_classifier")
            if ckpt.get("name") != "gray_classifier" or "model" not in ckpt:
                raise ValueError(f"{embedder_weights} is not a checkpoint of a gray_classifier "
                                 f"(it holds {ckpt.get('name', 'no model name')!r})")
            embedder_config, state = dict(ckpt.get("kwargs", {})), ckpt["model"]
        self.embedder_kind = embedder
        if embedder == "classifier":
            embedder_config = dict(embedder_config or {})
            self.embedder = GrayClassifier(**embedder_config)
            if state is not None:
                self.embedder.load_state_dict(state)
            embedding_dim = self.embedder.embedding_dim
        elif embedder == "vgg16":
            embedder_config = {"batchnorm": bool((embedder_config or {}).get("batchnorm", False))}
            self.embedder = VGGEmbedder(**embedder_config)
            if embedder_weights is not None:
                load_vgg16_weights(self.embedder.features, embedder_weights)
            embedding_dim = self.embedder.embedding_dim
        else:
            embedder_config, self.embedder = None, None
            embedding_dim = int(embedding_dim or channels(512, width))
        if self.embedder is not None:
            self.embedder.requires_grad_(False)
            self.embedder.eval()
        self.embedding_dim = embedding_dim
        self.config = dict(width=width, embedder=embedder, embedder_config=embedder_config,
                           embedding_dim=embedding_dim)

        layers, c_in = [], 1
        for c, s in ENCODER:
            layers.append(conv_relu(c_in, channels(c, width), s))
            c_in = channels(c, width)
        self.encoder = nn.Sequential(*layers)
        c256, c128, c64, c32 = (channels(c, width) for c in (256, 128, 64, 32))
        self.fusion = nn.Sequential(nn.Conv2d(c_in + embedding_dim, c256, 1), nn.ReLU(inplace=True))
        up = lambda: nn.Upsample(scale_factor=2, mode="nearest")  # noqa: E731  (Keras UpSampling2D)
        self.decoder = nn.Sequential(conv_relu(c256, c128), up(), conv_relu(c128, c64),
                                     conv_relu(c64, c64), up(), conv_relu(c64, c32),
                                     nn.Conv2d(c32, 2, 3, padding=1), nn.Tanh(), up())

    @classmethod
    def from_classifier(cls, classifier: GrayClassifier, width: float = 1.0) -> "Koalarization":
        """A Koalarization whose embedder is a copy of a trained ``GrayClassifier``."""
        model = cls(width=width, embedder="classifier", embedder_config=dict(classifier.config))
        model.embedder.load_state_dict(classifier.state_dict())
        return model

    def train(self, mode: bool = True):
        """Like ``nn.Module.train``, but the frozen embedder stays in eval mode."""
        super().train(mode)
        if self.embedder is not None:
            self.embedder.eval()
        return self

    def encode(self, L: torch.Tensor) -> torch.Tensor:
        """L (N, 1, H, W), H and W multiples of 8 → mid-level features (N, 256·width, H/8, W/8)."""
        return self.encoder(L / 50.0 - 1.0)

    @torch.no_grad()
    def embed(self, L: torch.Tensor) -> torch.Tensor:
        """L (N, 1, H, W) → the global embedding (N, D); zeros for ``embedder="none"``."""
        if self.embedder is None:
            return L.new_zeros(len(L), self.embedding_dim)
        return self.embedder.embedding(L).float()

    def fuse(self, features: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        """Tile the embedding (N, D) over every position of features (N, C, h, w), concatenate,
        1x1 conv + ReLU → (N, 256·width, h, w) (§3.1, "Fusion")."""
        tiled = embedding[:, :, None, None].expand(-1, -1, *features.shape[-2:])
        return self.fusion(torch.cat([features, tiled.to(features.dtype)], dim=1))

    def decode(self, fused: torch.Tensor) -> torch.Tensor:
        """Fused features (N, 256·width, h, w) → ab (N, 2, 8h, 8w) in Lab units."""
        return self.decoder(fused) * self.ab_scale

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        x, size = pad_to_multiple(L, self.stride)
        return crop(self.decode(self.fuse(self.encode(x), self.embed(x))), size)
