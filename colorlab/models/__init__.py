"""The model zoo: one file per architecture, and a registry to build them by name.

    from colorlab import models
    models.names()                                   # ['gray_classifier', 'regression', …]
    net = models.build("zhang_eccv16", width=0.25)
    models.build(name, **net.config)                 # the same architecture again

Every model follows the same conventions (the training engine relies on them):

- ``forward`` takes what its task's ``inputs(batch)`` gives: for the models here lightness
  L (N, 1, H, W), float, Lab units [0, 100], of any H and W, which the model normalises itself
  (each model's docstring says how); a hint model takes (L, hint ab, hint mask).
- ``task`` names the task (``tasks.TASKS``) that trains the model and reads its output; the
  model never says what kind it is anywhere else. What ``forward`` returns is the task's business:
  ``"regression"``: ab (N, 2, H, W) in Lab units (``ab_scale`` is what the loss divides ab by);
  ``"classification"``: logits (N, 313, ceil(H/4), ceil(W/4)) over the ab bins of ``bins.py``;
  ``"species"``: image-level logits (N, n_classes).
- ``config``: the constructor's keyword arguments (JSON-able), so that a checkpoint storing
  ``{"name": name, "kwargs": model.config}`` can be rebuilt with ``build(name, **kwargs)``.
- ``width`` multiplies every channel count (1.0 = as published; 0.125–0.25 for CPUs).
"""
from __future__ import annotations

import inspect

import torch
from torch import nn

from .common import count_parameters, crop, pad_to_multiple
from .deep_colorization import DeepColorization
from .koalarization import Koalarization
from .regression import RegressionNet
from .unet import UNet, UNetGAN
from .vgg16 import GrayClassifier, VGG16Decoder, VGG16Features, load_vgg16_weights, vgg16
from .zhang_eccv16 import ZhangECCV16
from .zhang_hints import ZhangHints
from .daly_zhao import HNet, RTNet

REGISTRY: dict[str, type[nn.Module]] = {
    "regression": RegressionNet,
    "vgg16_decoder": VGG16Decoder,
    "zhang_eccv16": ZhangECCV16,
    "gray_classifier": GrayClassifier,
    "zhang_hints": ZhangHints,          # SIGGRAPH17: local user hints
    "rtnet": RTNet,                     # Daly & Zhao: palette from the colour photo
    "hnet": HNet,                       # Daly & Zhao: palette from hints, RTNet reconstructs
    "unet": UNet,                       # Nazeri et al.: the L1 baseline
    "unet_gan": UNetGAN,                # Nazeri et al.: U-Net generator + discriminator
    "koalarization": Koalarization,     # Baldassarre et al.: encoder + global embedding + decoder
    "deep_colorization": DeepColorization,  # Cheng et al.: per-pixel descriptors + FC net + bilateral
}


def register(name: str, cls: type[nn.Module]) -> type[nn.Module]:
    """Add a model class to the registry under ``name`` (it needs ``task`` and ``config``)."""
    if not isinstance(getattr(cls, "task", None), str):
        raise TypeError(f"{cls.__name__} must name its task: a class attribute task = '...'")
    REGISTRY[name] = cls
    return cls


def names() -> list[str]:
    """The registered model names, sorted."""
    return sorted(REGISTRY)


def build(name: str, **kwargs) -> nn.Module:
    """Build the model registered as ``name`` with constructor keyword arguments ``kwargs``.

    Unknown name -> ValueError listing the valid names; unknown keyword -> TypeError naming it
    and the valid ones.
    """
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; valid names: {', '.join(names())}")
    cls = REGISTRY[name]
    valid = constructor_args(name)
    bad = [k for k in kwargs if k not in valid]
    if bad:
        raise TypeError(f"{name}: unknown keyword argument(s) {', '.join(map(repr, bad))}; "
                        f"valid: {', '.join(valid)}")
    return cls(**kwargs)


def constructor_args(name: str) -> list[str]:
    """The keyword arguments that ``build(name, …)`` accepts (the constructor's), in order."""
    return [p for p in inspect.signature(REGISTRY[name].__init__).parameters if p != "self"]


def memory_bytes(name: str, **kwargs) -> int:
    """The bytes that the weights and buffers of ``build(name, **kwargs)`` would take, found
    without allocating them: the model is built on PyTorch's "meta" device, where tensors have
    a shape and a dtype but no storage, and numel × element size is summed."""
    with torch.device("meta"):
        model = build(name, **kwargs)
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


__all__ = ["names", "build", "constructor_args", "memory_bytes", "register", "REGISTRY", "RegressionNet", "VGG16Features", "VGG16Decoder",
           "GrayClassifier", "ZhangECCV16", "load_vgg16_weights", "vgg16", "pad_to_multiple", "crop",
           "count_parameters"]
