"""Cheng, Yang & Sheng's Deep Colorization (from Beniwal et al.'s review, §II; notebook 08).

Not a convolutional network: every pixel is described by a fixed feature vector, and a small
fully connected network maps that vector to the pixel's colour. Then a joint bilateral filter,
guided by the gray image, smooths the colours within regions (``colorlab.models.descriptors``).

    L (N, 1, H, W) in [0, 100]
    descriptors   7x7 patch of L/100 (49) ⊕ DAISY (104) ⊕ semantic (C)       (N, D, H, W)
    per pixel     D → D/2 → D/2 → D/2 → 2, ReLU, tanh x 110                  (N, 2, H, W)
    refinement    joint bilateral filter of ab guided by L (``refine=True``)

*Semantic* features: a trained network's feature map at the pixel. Ours is the gray flower-species
classifier's VGG-16 layers up to the third pooling (C = 256 · its width, at H/8), frozen, part of
this module's state dict, upsampled bilinearly to every pixel. (Cheng et al. used a per-pixel
semantic labelling; the review names only "semantic features".)

Choices the review leaves open, made here: three hidden layers of half the input width (the
review: "hidden layers half the input width"); ab (Lab) rather than Cheng et al.'s U and V, so every
metric of the workbook applies; no adaptive image clustering (review §II-C): one network for all.
"""
from __future__ import annotations

import torch
from torch import nn

from . import descriptors

from .common import crop, pad_to_multiple
from .vgg16 import GrayClassifier, vgg_input

AB_SCALE = 110.0
FEATURES = ("patch", "daisy", "semantic")
BILATERAL = dict(radius=5, sigma_space=3.0, sigma_range=8.0)   # our choice: the review gives none
SEMANTIC_POOLS = 3              # the classifier's layers up to its 3rd max-pool: H/8


class DeepColorization(nn.Module):
    """Per-pixel descriptors → fully connected net → ab, then joint bilateral refinement.

    forward(L): L (N, 1, H, W) in [0, 100], any H and W. Returns ab (N, 2, H, W) Lab units
    (refined when ``self.refine``). forward(L, pixels): pixels (N, P) flat indices into H·W →
    the raw (unrefined) ab of those pixels only, (N, 2, P): what training uses.
    width: width of the default semantic network (when no classifier_config is given).
    features: any of "patch", "daisy", "semantic" (the ablation drops some). classifier_config:
    the ``GrayClassifier`` arguments of the semantic network (its weights come with the state
    dict; :meth:`from_classifier` copies a trained one). refine: apply the joint bilateral filter.
    """

    task = "pixels"
    ab_scale = AB_SCALE

    def __init__(self, width: float = 1.0, features=FEATURES, classifier_config: dict | None = None,
                 refine: bool = True):
        super().__init__()
        features = tuple(features)
        if not features or set(features) - set(FEATURES):
            raise ValueError(f"features must be a non-empty selection of {FEATURES}; got {features}")
        self.features, self.refine = features, refine
        self.semantic = None
        dim = 0
        if "patch" in features:
            dim += descriptors.PATCH ** 2
        if "daisy" in features:
            dim += descriptors.daisy_dim()
        if "semantic" in features:
            classifier_config = dict(classifier_config or {"n_classes": 5, "width": width})
            clf = GrayClassifier(**classifier_config)
            pools = [i for i, m in enumerate(clf.encoder.features) if isinstance(m, nn.MaxPool2d)]
            self.semantic = clf.encoder.features[: pools[SEMANTIC_POOLS - 1] + 1]
            self.semantic.requires_grad_(False)
            self.semantic.eval()
            dim += [m for m in self.semantic if isinstance(m, nn.Conv2d)][-1].out_channels
        else:
            classifier_config = None
        self.in_dim = dim
        self.config = dict(width=width, features=list(features), classifier_config=classifier_config,
                           refine=refine)
        h = max(2, dim // 2)
        self.mlp = nn.Sequential(nn.Linear(dim, h), nn.ReLU(inplace=True), nn.Linear(h, h),
                                 nn.ReLU(inplace=True), nn.Linear(h, h), nn.ReLU(inplace=True),
                                 nn.Linear(h, 2), nn.Tanh())

    @classmethod
    def from_classifier(cls, classifier: GrayClassifier, features=FEATURES, refine: bool = True):
        """A DeepColorization whose semantic network is a copy of a trained classifier's layers."""
        model = cls(width=classifier.config["width"], features=features,
                    classifier_config=dict(classifier.config), refine=refine)
        if model.semantic is not None:
            model.semantic.load_state_dict(classifier.encoder.features[: len(model.semantic)].state_dict())
        return model

    def train(self, mode: bool = True):
        """Like ``nn.Module.train``, but the frozen semantic network stays in eval mode."""
        super().train(mode)
        if self.semantic is not None:
            self.semantic.eval()
        return self

    def _semantic(self, L: torch.Tensor) -> torch.Tensor:
        x, size = pad_to_multiple(L, 8)
        return crop(self.semantic(vgg_input(x)), size, factor=8)

    def descriptors(self, L: torch.Tensor) -> torch.Tensor:
        """Every pixel's descriptor: (N, 1, H, W) → (N, D, H, W), D = ``self.in_dim``."""
        parts = []
        if "patch" in self.features:
            parts.append(descriptors.patch_features(L))
        if "daisy" in self.features:
            parts.append(descriptors.daisy_features(L))
        if "semantic" in self.features:
            parts.append(descriptors.semantic_features(L, self._semantic))
        return torch.cat(parts, dim=1)

    def colour_of(self, desc: torch.Tensor) -> torch.Tensor:
        """Descriptors (..., D) → ab (..., 2) in Lab units: the fully connected net."""
        return self.mlp(desc) * self.ab_scale

    def forward(self, L: torch.Tensor, pixels: torch.Tensor | None = None) -> torch.Tensor:
        desc = self.descriptors(L)                                       # (N, D, H, W)
        n, d, h, w = desc.shape
        if pixels is not None:                                           # training: sampled pixels
            picked = desc.flatten(2).gather(2, pixels[:, None, :].expand(-1, d, -1))   # (N, D, P)
            return self.colour_of(picked.transpose(1, 2)).transpose(1, 2)            # (N, 2, P)
        ab = self.colour_of(desc.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)              # (N, 2, H, W)
        return descriptors.joint_bilateral(ab, L, **BILATERAL) if self.refine else ab
