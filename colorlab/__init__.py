"""colorlab: a workbook of deep-learning colorization of grayscale photos.

Import the modules you need, e.g. ``from colorlab import color, bins``. The heavy ones
(torch models, training) are imported lazily so that ``import colorlab`` stays cheap.
"""
from importlib import import_module

__version__ = "0.1.0"

_MODULES = ("color", "bins", "data", "hints", "models", "losses", "metrics", "tasks", "train",
            "inference", "viz", "widgets", "runs", "profiles")


def __getattr__(name):
    if name in _MODULES:
        return import_module(f"colorlab.{name}")
    if name == "colorize":      # the function; the module that holds it is colorlab.inference
        return import_module("colorlab.inference").colorize
    raise AttributeError(f"module 'colorlab' has no attribute {name!r}")
