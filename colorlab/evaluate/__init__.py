"""Colouring photos with a trained model and measuring how well it did.

- :mod:`colorlab.evaluate.inference` — ``colorize`` a photo of any size, ``predict_ab`` at the
  network's size;
- :mod:`colorlab.evaluate.scoring` — ``scores``, the one scoring function, and ``against_gray``;
- :mod:`colorlab.evaluate.zoo` — every colorizer of notebooks 03–11: load it, or train it.

The metrics themselves (PSNR, SSIM, AuC, colourfulness) are :mod:`colorlab.metrics`, one layer
down, because the tasks report AuC while they train.
"""
from colorlab.evaluate.inference import colorize, predict_ab
from colorlab.evaluate.scoring import against_gray, lab_of, scores

__all__ = ["against_gray", "colorize", "lab_of", "predict_ab", "scores"]
