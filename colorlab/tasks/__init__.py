"""Tasks: what training a colorizer means, one file per paper, mirroring ``models/``.

- ``base``: :class:`Task`, the registry (``TASKS``), ``for_model`` / ``from_state`` / ``of``;
- ``recipes``: every method's recipe (lr, schedule, epochs per profile), declared once;
- ``batches``: photos → Lab batches (crops, flips); ``hint_simulation``: simulated user hints;
- ``losses``: the papers' loss functions (MSE, rebalanced soft cross-entropy, blurred MSE);
- ``regression`` (Hultgren et al., Baldassarre et al.), ``zhang_eccv16`` (Zhang et al. 2016,
  Massachi's colour input), ``vgg16`` (the stand-in species classifier), ``unet`` (Nazeri et
  al.: L1 and the conditional GAN), ``deep_colorization`` (Cheng et al.), ``zhang_hints``
  (SIGGRAPH17), ``daly_zhao`` (RTNet, HNet).

Everything a notebook uses is here as ``tasks.X``: ``tasks.Classification``, ``tasks.of(model)``.
"""
from colorlab.tasks.base import (ADAM_DEFAULTS, REGISTRY, STATE_FIELDS, TASKS, Task, for_model,
                                 from_state, logits_to_ab, lr_lambda, networks, of, own_recipe,
                                 register, unwrap)
from colorlab.tasks import batches, recipes
from colorlab.tasks.batches import random_crop_flip, to_lab
from colorlab.tasks.daly_zhao import PaletteFromHints, PaletteReconstruction
from colorlab.tasks.deep_colorization import PixelRegression
from colorlab.tasks.hint_simulation import HINT_KINDS, WithHints, draw_hints, takes_hints
from colorlab.tasks.recipes import EPOCHS, NAZERI_ADAM, RECIPES, Recipe
from colorlab.tasks.regression import Regression
from colorlab.tasks.unet import ConditionalGAN, L1Regression
from colorlab.tasks.vgg16 import SpeciesClassifier
from colorlab.tasks.zhang_eccv16 import Classification, ColorInput
from colorlab.tasks.zhang_hints import UserHints

__all__ = ["ADAM_DEFAULTS", "REGISTRY", "STATE_FIELDS", "TASKS", "Task", "for_model", "from_state",
           "logits_to_ab", "lr_lambda", "networks", "of", "own_recipe", "register", "unwrap", "random_crop_flip",
           "to_lab", "PaletteFromHints", "PaletteReconstruction", "PixelRegression", "HINT_KINDS",
           "WithHints", "draw_hints", "takes_hints", "EPOCHS", "NAZERI_ADAM", "RECIPES", "Recipe",
           "Regression", "ConditionalGAN", "L1Regression", "SpeciesClassifier", "Classification",
           "ColorInput", "UserHints"]
