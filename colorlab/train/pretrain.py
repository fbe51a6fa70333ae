"""A pretrained VGG-16 encoder without downloads: a local weights file, or a stand-in task.

Hultgren et al. (§3.1) froze an ImageNet-trained VGG-16 and learned only a decoder. colorlab never
downloads weights, so notebook 04 offers two ways to get a *pretrained* encoder:

- :func:`decoder_from_vgg_file` — a torchvision VGG-16 (or VGG-16-BN) state dict you already have
  on disk, loaded into a full-width (``width=1``) ``VGG16Decoder``;
- :func:`train_gray_classifier` + :func:`decoder_from_classifier` — the stand-in: teach the VGG-16
  conv layers to tell the 5 flower species apart from the *gray* photo (the image labels are the
  species sub-folders), then copy that encoder into the colorizer. The Deep Koalarization
  notebook reuses the same classifier as its global embedding
  (``out_dir/04-gray_classifier/last.pt``).

:func:`parameter_counts` splits a model's weights into encoder / decoder / trainable.
"""
from __future__ import annotations

from pathlib import Path

from colorlab import models, tasks, train
from colorlab.models.common import count_parameters
from colorlab.models.vgg16 import read_state_dict

def has_batchnorm(weights) -> bool:
    """Whether a torchvision VGG-16 state dict is the ``vgg16_bn`` layout (batch-norm after convs).

    weights: a path of a state dict file, or the dict itself. ``vgg16_bn`` has running statistics
    (``features.1.running_mean``) where plain ``vgg16`` has its first ReLU. Raises
    FileNotFoundError for a missing file, ValueError for something that is not a state dict.
    """
    if isinstance(weights, (str, Path)):
        weights = read_state_dict(weights)
    if not isinstance(weights, dict):
        raise ValueError(f"expected a state dict, got a {type(weights).__name__}")
    return any(k.startswith("features.") and k.endswith(".running_mean") for k in weights)


def decoder_from_vgg_file(path, variant: str = "baseline", freeze_encoder: bool = True):
    """A full-width ``VGG16Decoder`` whose encoder is loaded from a local torchvision file.

    The batch-norm layout (``vgg16`` or ``vgg16_bn``) is read from the file. Width is 1: the
    published weights exist only at full width.
    """
    return models.build("vgg16_decoder", variant=variant, width=1.0,
                        freeze_encoder=freeze_encoder, weights=str(path),
                        encoder_batchnorm=has_batchnorm(path))


def decoder_from_classifier(classifier, variant: str = "baseline", freeze_encoder: bool = True,
                            **kw):
    """A ``VGG16Decoder`` of the classifier's width and batch-norm layout, with its encoder copied.

    classifier: a trained ``GrayClassifier``. kw: further ``VGG16Decoder`` arguments (``dropout``).
    The copy is independent: training the decoder does not change the classifier.
    """
    cfg = classifier.config
    model = models.build("vgg16_decoder", variant=variant, width=cfg["width"],
                         freeze_encoder=freeze_encoder, encoder_batchnorm=cfg["batchnorm"], **kw)
    return model.load_encoder_from(classifier)


def train_gray_classifier(train_set, val_set=None, *, width: float, size: int,
                          profile: str = "auto", batchnorm: bool = True, out_dir=None, **fit_kw):
    """Train the stand-in encoder: a ``GrayClassifier`` naming the class of each gray photo.

    train_set, val_set: ``ImageSet``s with labels (e.g. ``data.load("flowers")``, split).
    width: channel multiplier; size: training crop in px; profile: the profile whose recipe it
    trains with (``tasks.RECIPES["species"]``: Adam lr 1e-3 on a cosine, half the regression
    epochs; the profile's batch size); batchnorm: batch-norm after each conv (trains far more reliably from scratch on
    a few thousand photos); out_dir: where ``last.pt`` goes (``train.load_model`` rebuilds it).
    fit_kw: any ``train.fit`` argument (``epochs``, ``batch_size``, ``seed``, ``resume`` …)
    overrides the recipe.
    Returns ``(model, history)``; ``history`` has ``train_accuracy`` and ``val_accuracy`` per
    epoch (fractions; chance is 1 / n_classes).
    """
    if train_set.labels is None:
        raise ValueError("the stand-in classifier needs class labels (one sub-folder per class)")
    n_classes = len(train_set.classes) or int(train_set.labels.max()) + 1
    model = models.build("gray_classifier", n_classes=n_classes, width=width, batchnorm=batchnorm)
    task = tasks.SpeciesClassifier(size=size, profile=profile)
    history = train.fit(model, task, train_set, val_set, out_dir=out_dir, **fit_kw)
    return model, history


def parameter_counts(model) -> dict:
    """Weights of a ``VGG16Decoder`` (or ``GrayClassifier``): ``encoder``, ``decoder`` (or
    ``head``), ``total`` and ``trainable`` (requires_grad), as ints."""
    parts = {name: count_parameters(getattr(model, name))
             for name in ("encoder", "decoder", "head") if hasattr(model, name)}
    return {**parts, "total": count_parameters(model),
            "trainable": count_parameters(model, trainable_only=True)}
