"""What training a colorizer means: the batch, the model's inputs, the loss, the prediction.

A *task* is the one path from photos to a prediction. It

- builds a batch on the model's device from uint8 photos (``batch``; hints would be added here,
  drawn from the run's seeded generator);
- says what the model is given (``inputs``) and how its output reads back as ab (``to_ab``,
  ``predict_ab``);
- gives ``train.fit`` its *objectives*: (optimizer, loss function) pairs, one for most tasks, two
  for a GAN, which ``fit`` steps in order (zero_grad, forward + loss, backward, step);
- carries the method's *recipe* (``recipes.py``: lr, optimizer settings, schedule, epochs per
  profile), so ``train.fit`` with no overrides, a notebook and ``python -m colorlab train`` train
  alike;
- describes itself as JSON (``state``), stored in every checkpoint, so ``from_state`` rebuilds it
  and colouring a photo works for any registered model without knowing what kind it is.

The tasks themselves live one file per paper beside this one, mirroring ``models/``. A model
names its task with a class attribute (``task = "classification"``); a new task registers
itself with ``@register("name")``. Three ways to get a task, easy to confuse:

- ``for_model(model, **kw)``: a *new* task of the kind the model trains with, built from ``kw``;
- ``from_state(state)``: the task a checkpoint *stored* (``Task.state()``), checked field by field;
- ``of(model)``: the task a *trained* model was trained with (its stored state), else ``for_model``.
"""
from __future__ import annotations

import inspect
import math
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F

from colorlab import metrics, models, profiles
from colorlab.color import bins
from colorlab.tasks import batches
from colorlab.tasks.recipes import RECIPES, Recipe

# Adam updates all its tensors with one multi-tensor ("foreach") kernel per step. PyTorch does this by
# default only on CUDA; on a CPU it gives bit-identical weights for about 40 % less optimizer time
# (measured with `colorlab bench`).
ADAM_DEFAULTS = {"foreach": True}

TASKS: dict[str, type] = {}
REGISTRY = TASKS          # the same dict, named like models.REGISTRY


def register(name: str):
    """Class decorator: make a task available under ``name`` (``TASKS[name]``)."""
    def add(cls):
        cls.name = name
        TASKS[name] = cls
        return cls
    return add


def unwrap(model):
    """The model inside a DistributedDataParallel wrapper (or the model itself)."""
    return getattr(model, "module", model)


def networks(**nets) -> SimpleNamespace:
    """A namespace of (wrapped) networks, for two-network tasks' ``wrap``."""
    return SimpleNamespace(**nets)


def logits_to_ab(logits: torch.Tensor, size, T: float = bins.T_ANNEAL) -> torch.Tensor:
    """313-way logits (N, 313, h, w) → annealed-mean ab (N, 2, H, W), Lab units.

    The annealed mean (``bins.annealed_mean``) is taken at the network's resolution, then
    upsampled bilinearly to ``size`` = (H, W), the size of the L it is painted on.
    """
    return F.interpolate(bins.annealed_mean(logits.float(), T), size=tuple(size), mode="bilinear",
                         align_corners=False)


def lr_lambda(schedule: str, total_steps: int):
    """The learning-rate factor per step: "constant" (1) or "cosine" (1 → 0 over total_steps)."""
    if schedule == "constant":
        return lambda step: 1.0
    if schedule == "cosine":
        return lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / max(total_steps, 1)))
    raise ValueError(f"unknown schedule {schedule!r}; use 'constant' or 'cosine'")


# --- the base task --------------------------------------------------------------------------

class Task:
    """One network, one Adam optimizer, one loss; subclasses say which loss and which output.

    size: training crop in px (None: the profile's). profile: the profile whose epochs and batch
    size this task trains with by default (``smoke`` | ``cpu`` | ``gpu`` | ``auto``).
    augment: random crops and flips in training.

    ``recipe`` (a class attribute, one row of ``recipes.RECIPES`` per task) gives ``lr``,
    ``optimizer_kw``, ``schedule`` and ``epochs``; ``use_recipe`` switches to another row (the
    VGG-16 decoder trains with ``Regression`` and its own epochs).
    """

    name = "task"
    recipe: Recipe = RECIPES["regression"]
    colors = True        # False for a task whose model does not colour (a classifier)

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True):
        cfg = profiles.get(profile)
        self.size = int(size or cfg.size)
        self.profile = cfg.name
        self.augment = augment
        self.batch_size = cfg.batch_size
        self.use_recipe(self.recipe)

    def use_recipe(self, recipe: "Recipe | str") -> "Task":
        """Train with ``recipe`` (a ``Recipe``, or a name in ``recipes.RECIPES``); returns self."""
        self.recipe = RECIPES[recipe] if isinstance(recipe, str) else recipe
        self.lr, self.schedule = self.recipe.lr, self.recipe.schedule
        self.optimizer_kw = dict(self.recipe.optimizer_kw)
        self.epochs = self.recipe.epochs[self.profile]
        return self

    # --- building the batch and feeding the model ---------------------------------------------
    def batch(self, images_u8: torch.Tensor, labels, train: bool, gen) -> dict:
        """uint8 photos (N, H, W, 3) on the device → a dict of tensors: L, ab (Lab), labels."""
        crop = batches.random_crop_flip(images_u8, self.size, gen if (train and self.augment) else None)
        lab = batches.to_lab(crop)
        return {"L": lab[:, :1], "ab": lab[:, 1:], "labels": labels}

    def inference_batch(self, L: torch.Tensor, **extra) -> dict:
        """The batch for colouring L (N, 1, H, W) when no truth is known; ``extra``: e.g. hints."""
        return {"L": L, **extra}

    def inputs(self, batch: dict) -> tuple:
        """The model's positional arguments for a batch: here just L (N, 1, H, W)."""
        return (batch["L"],)

    def forward(self, model, batch: dict):
        """The model's raw output for a batch."""
        return model(*self.inputs(batch))

    def to_ab(self, output, batch: dict, T: float | None = None) -> torch.Tensor:
        """The model's output → ab (N, 2, H, W) Lab units at L's size. T: for distributions."""
        return output.float()

    def predict_ab(self, model, batch: dict, T: float | None = None) -> torch.Tensor:
        """ab (N, 2, H, W) Lab units that ``model`` predicts for ``batch`` (no gradients taken here)."""
        return self.to_ab(self.forward(model, batch), batch, T)

    def loss(self, model, batch) -> tuple[torch.Tensor, dict]:
        raise NotImplementedError

    # --- before training: look at the training data ------------------------------------------
    def prepare(self, train_data) -> None:
        """Called by ``train.fit`` before the first step (e.g. to count a prior). Default: nothing."""

    def model_kwargs(self, data) -> dict:
        """Constructor arguments the model needs from the data (e.g. the number of classes)."""
        return {}

    # --- optimisation -------------------------------------------------------------------------
    def wrap(self, model, wrap_fn):
        """What ``step`` trains: ``wrap_fn`` (DDP, or nothing) around each network that learns.

        Default: the model itself. A two-network task returns a namespace of wrapped networks,
        each wrapped separately so that DDP never waits for gradients a network does not get.
        """
        return wrap_fn(model)

    def configure_optimizers(self, model, lr: float | None = None, **optimizer_kw) -> list:
        """One Adam over the trainable weights, with the recipe's settings unless overridden."""
        return [self.adam([p for p in model.parameters() if p.requires_grad], lr, **optimizer_kw)]

    def adam(self, params, lr: float | None = None, **optimizer_kw):
        """An Adam over ``params`` with the recipe's lr and settings (``ADAM_DEFAULTS`` under them),
        any of them overridden by the arguments."""
        return torch.optim.Adam(params, lr=lr or self.lr,
                                **{**ADAM_DEFAULTS, **self.optimizer_kw, **optimizer_kw})

    def configure_schedulers(self, optimizers, total_steps: int, schedule: str | None = None) -> list:
        """One LambdaLR per optimizer, following ``schedule`` (default: the recipe's)."""
        f = lr_lambda(schedule or self.schedule, total_steps)
        return [torch.optim.lr_scheduler.LambdaLR(o, f) for o in optimizers]

    def objectives(self, nets, optimizers) -> list:
        """What ``train.fit`` steps, in order: (optimizer, loss function) pairs, where a loss
        function maps a batch to (loss tensor, logs). Here one pair: the task's loss of the model
        under its one optimizer, logged as ``loss``. A two-network task (a GAN) overrides this."""
        def loss_of(batch):
            loss, logs = self.loss(nets, batch)
            return loss, {"loss": loss.detach(), **logs}
        return [(optimizers[0], loss_of)]

    def validate(self, model, batch) -> dict:
        """Loss and AuC of the predicted colours on a validation batch (no gradients)."""
        loss, logs = self.loss(model, batch)
        ab = self.predict_ab(model, batch)
        return {"loss": loss, "auc": torch.tensor(metrics.auc(ab.float(), batch["ab"].float())), **logs}

    # --- checkpoints --------------------------------------------------------------------------
    def config(self) -> dict:
        """The constructor arguments that rebuild this task (JSON-able)."""
        return {"size": self.size, "augment": self.augment}

    def state(self) -> dict:
        """JSON-able description of the task, stored in checkpoints (``from_state`` reads it)."""
        return {"task": self.name, **self.config()}


def _number(lo: float, hi: float, lo_open: bool = False):
    """A check: a finite real number (not a bool) in [lo, hi], or (lo, hi] with ``lo_open``."""
    def ok(v):
        return (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                and (lo < v if lo_open else lo <= v) and v <= hi)
    return ok


def _integer(lo: int, hi: int):
    """A check: an int (not a bool) in [lo, hi]."""
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _prior(v) -> bool:
    """A stored prior: a name that needs no files, or 313 probabilities (finite, >= 0, sum > 0).
    Any other string would be read as a folder of photos to count: never from a checkpoint."""
    if isinstance(v, str):
        return v in ("train", "imagenet", "uniform")
    p = np.asarray(v, dtype=object)
    return (p.shape == (bins.Q,) and all(_number(0, math.inf)(x) for x in p) and sum(p) > 0)


# What a stored task field may hold (a checkpoint is a file from anywhere: a temperature of NaN
# would colour every photo black). field: (check, what it must be). from_state refuses the rest.
STATE_FIELDS = {
    "size": (_integer(1, 4096), "an integer from 1 to 4096 (px)"),
    "profile": (lambda v: isinstance(v, str) and (v in profiles.PROFILES or v == "auto"),
                "a profile name"),
    "augment": (lambda v: isinstance(v, bool), "true or false"),
    "rebalance": (lambda v: isinstance(v, bool), "true or false"),
    "prior": (_prior, "'train', 'imagenet', 'uniform' or 313 probabilities"),
    "lam": (_number(0, 1), "a number from 0 to 1"),
    "T": (_number(0, 1, lo_open=True), "a number in (0, 1]"),
    "grid": (_integer(1, 64), "an integer from 1 to 64"),
    "lambda_l1": (_number(0, 1e6), "a number from 0 to 1e6"),
    "real_label": (_number(0, 1, lo_open=True), "a number in (0, 1]"),
    "pixels": (_integer(1, 1 << 20), "an integer from 1 to 1048576"),
    "blur_sigma": (_number(0, 100), "a number from 0 to 100 (px)"),
}                                # hint_kind: the hint tasks' constructors check it


def from_state(state: dict) -> Task:
    """The task a checkpoint stored: rebuilt from ``Task.state()`` (a JSON-able dict).

    Every field is checked first (``STATE_FIELDS``): an unknown task or field, or a value out of
    range (a temperature of NaN, a size of -1), raises ValueError naming it and what is valid.
    """
    if not isinstance(state, dict):
        raise ValueError(f"the task must be a dict like {{'task': 'regression', 'size': 64}}, "
                         f"got {type(state).__name__}")
    state = dict(state)
    name = state.pop("task", None)
    cls = TASKS.get(name) or next((c for c in TASKS.values() if c.__name__ == name), None)
    if cls is None:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}")
    valid = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    for key, value in state.items():
        if key not in valid:
            raise ValueError(f"task {cls.name} has no field {key!r}; valid: {', '.join(valid)}")
        check, what = STATE_FIELDS.get(key, (lambda v: True, ""))
        if not check(value):
            raise ValueError(f"task field {key} must be {what}, got {_short(value)}")
    return cls(**state)


def _short(value) -> str:
    """repr(value), cut to one short line for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def for_model(model, **kw) -> Task:
    """A new task of the kind ``model`` trains with (its ``task`` attribute names it), built
    with ``kw`` (size, profile, …). Nothing of a trained model's stored task is used: see ``of``."""
    name = getattr(unwrap(model), "task", None)
    if name not in TASKS:
        raise ValueError(f"{type(unwrap(model)).__name__} names no known task ({name!r}); "
                         f"known tasks: {', '.join(sorted(TASKS))}")
    task = TASKS[name](**kw)
    own = own_recipe(model)
    return task.use_recipe(own) if own else task


def own_recipe(model) -> str | None:
    """The model's own row of ``RECIPES``, named like the model in ``models.REGISTRY``
    (``vgg16_decoder``, ``koalarization``), or None: it trains with its task's recipe.
    model: a model or a model class."""
    cls = unwrap(model) if isinstance(unwrap(model), type) else type(unwrap(model))
    name = next((n for n, c in models.REGISTRY.items() if c is cls), None)
    return name if name in RECIPES else None


def of(model) -> Task:
    """The task a trained model was trained with (``from_state(model.task_state)``, as
    ``train.fit`` and ``train.load_model`` set it), else a default ``for_model(model)``."""
    state = getattr(unwrap(model), "task_state", None)
    return from_state(state) if state else for_model(model)
