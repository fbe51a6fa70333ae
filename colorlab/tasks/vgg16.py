"""The stand-in pretraining of notebook 04 (Hultgren et al. froze an ImageNet VGG-16): name the
flower species from the gray photo, to get an encoder without downloads. Mirrors
``models/vgg16.py`` (``GrayClassifier``).
"""
from __future__ import annotations

import torch.nn.functional as F

from colorlab.tasks.base import Task, register
from colorlab.tasks.recipes import RECIPES


@register("species")
class SpeciesClassifier(Task):
    """Name the class (flower species) of each gray photo: cross-entropy on image labels.

    Recipe: Adam lr 1e-3 on a cosine. Measured on the bundled flowers (64 px, width 0.25, batch
    32, 3 epochs): 55 % held-out accuracy at lr 1e-3, 29 % at 3e-3; a constant lr 1e-3 gave 30 %
    after 2 epochs.
    """

    recipe = RECIPES["species"]

    colors = False

    def model_kwargs(self, data) -> dict:
        classes = getattr(data, "classes", None) or []
        if not classes:
            raise ValueError("the species classifier needs class labels: a folder with one "
                             "sub-folder per class")
        return {"n_classes": len(classes)}

    def loss(self, model, batch):
        if batch["labels"] is None:
            raise ValueError("this data set has no class labels (sub-folders); "
                             "the species classifier needs them")
        logits = self.forward(model, batch)
        loss = F.cross_entropy(logits.float(), batch["labels"])
        return loss, {"accuracy": (logits.argmax(1) == batch["labels"]).float().mean().detach()}

    def to_ab(self, output, batch, T=None):
        raise ValueError("a species classifier names the flower; it does not colour photos")

    def validate(self, model, batch):
        loss, logs = self.loss(model, batch)
        return {"loss": loss, **logs}
