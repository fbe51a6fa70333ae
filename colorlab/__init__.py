"""colorlab: a workbook of deep-learning colorization of grayscale photos.

Import the modules you need, e.g. ``from colorlab import color, bins``. The heavy ones
(torch models, training) are imported lazily so that ``import colorlab`` stays cheap.
"""
from importlib import import_module

__version__ = "0.1.0"

_MODULES = ("color", "data", "models", "metrics", "tasks", "train", "evaluate", "show", "runs",
            "workbook", "profiles")
# the names notebooks and users import from colorlab, kept when their modules moved into folders
_MOVED = {"bins": "color.bins", "color_grid": "color.grid", "hints": "data.hints",
          "toys": "data.toys", "descriptors": "models.descriptors", "losses": "tasks.losses",
          "gradcheck": "train.gradcheck", "pretrain": "train.pretrain",
          "inference": "evaluate.inference", "scoring": "evaluate.scoring", "zoo": "evaluate.zoo",
          "viz": "show", "widgets": "show.widgets", "bench": "cli.bench", "cli_train": "cli.train"}


def __getattr__(name):
    if name in _MODULES:
        return import_module(f"colorlab.{name}")
    if name in _MOVED:
        return import_module(f"colorlab.{_MOVED[name]}")
    if name == "colorize":      # the function (its module is colorlab.evaluate.inference)
        return import_module("colorlab.evaluate.inference").colorize
    raise AttributeError(f"module 'colorlab' has no attribute {name!r}")
