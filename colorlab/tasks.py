"""What training a colorizer means: the batch, the model's inputs, the loss, the prediction.

A *task* is the one path from photos to a prediction. It

- builds a batch on the model's device from uint8 photos (``batch``; hints would be added here,
  drawn from the run's seeded generator);
- says what the model is given (``inputs``) and how its output reads back as ab (``to_ab``,
  ``predict_ab``);
- computes the loss, owns the optimizers (one, or two for a GAN) and takes a training step;
- carries the model's tuned *recipe*: learning rate, optimizer settings, schedule, epochs per
  profile. ``train.fit`` with no overrides, a notebook and ``python -m colorlab train`` therefore
  train alike;
- describes itself as JSON (``state``), stored in every checkpoint, so ``from_state`` rebuilds it
  and colouring a photo works for any registered model without knowing what kind it is.

Tasks here:

- :class:`Regression` — predict ab directly, MSE (the averaging baseline; Hultgren et al.).
- :class:`Classification` — Zhang et al. 2016: 313-way soft targets, class rebalancing,
  annealed-mean prediction.
- :class:`ColorInput` — the same, told 16 colour values of the photo (Massachi §4.5).
- :class:`SpeciesClassifier` — the stand-in pretraining task of notebook 04: name the flower
  species from the gray image (it does not colour).

A model names its task with a class attribute (``task = "classification"``); ``for_model``
looks it up in :data:`TASKS`. A new task registers itself with ``@register("name")``.
"""
from __future__ import annotations

import inspect
import math
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F

from colorlab import bins, color_grid, hints, losses, metrics, profiles
from colorlab.color import rgb_to_lab
from colorlab.models.daly_zhao import uv01_of, uv01_to_ab

# Adam updates all its tensors with one multi-tensor ("foreach") kernel per step. PyTorch does this by
# default only on CUDA; on a CPU it gives bit-identical weights for about 40 % less optimizer time
# (measured with `colorlab bench`).
ADAM_DEFAULTS = {"foreach": True}

TASKS: dict[str, type] = {}


def register(name: str):
    """Class decorator: make a task available under ``name`` (``TASKS[name]``)."""
    def add(cls):
        cls.name = name
        TASKS[name] = cls
        return cls
    return add


# --- photos → Lab batches -------------------------------------------------------------------

def to_lab(images_u8: torch.Tensor) -> torch.Tensor:
    """(N, H, W, 3) uint8 photos → (N, 3, H, W) float Lab, on the same device.

    The same numbers as ``rgb_to_lab(images_u8.permute(0, 3, 1, 2).float() / 255)``; the sRGB
    curve of the 256 byte values is looked up rather than computed (``color.rgb_to_lab``).
    """
    return rgb_to_lab(images_u8.permute(0, 3, 1, 2))


def random_crop_flip(images_u8: torch.Tensor, size: int, gen: torch.Generator | None,
                     flip: bool = True) -> torch.Tensor:
    """A random ``size`` × ``size`` crop of each photo, mirrored left-right with probability ½.

    images_u8: (N, H, W, 3) uint8; gen: the generator that draws offsets (on CPU), or None
    for a centre crop and no flip. Returns (N, size, size, 3) uint8, on the input's device.
    """
    n, h, w, _ = images_u8.shape
    if h < size or w < size:
        raise ValueError(f"cannot crop {size} px from images of {h} x {w}; load the data "
                         f"with size >= {size}")
    if gen is None:
        top, left = (h - size) // 2, (w - size) // 2
        return images_u8[:, top:top + size, left:left + size]
    top = torch.randint(0, h - size + 1, (n,), generator=gen)
    left = torch.randint(0, w - size + 1, (n,), generator=gen)
    mirror = (torch.rand(n, generator=gen) < 0.5) if flip else torch.zeros(n, dtype=torch.bool)
    # one gather of whole pixels (3 bytes) from the flattened photos: pixel (i, j) of crop k is
    # pixel k·h·w + (top_k + i)·w + col_k(j), col_k(j) = left_k + j, or left_k + size − 1 − j
    ar = torch.arange(size)
    rows = (top + torch.arange(n) * h)[:, None] + ar                         # (N, size)
    cols = left[:, None] + torch.where(mirror[:, None], size - 1 - ar, ar)   # (N, size)
    rows, cols = rows.to(images_u8.device), cols.to(images_u8.device)
    pixel = rows[:, :, None] * w + cols[:, None, :]                          # (N, size, size)
    flat = images_u8.reshape(n * h * w, images_u8.shape[-1])
    return flat.index_select(0, pixel.view(-1)).view(n, size, size, -1)


def unwrap(model):
    """The model inside a DistributedDataParallel wrapper (or the model itself)."""
    return getattr(model, "module", model)


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

    The recipe (class attributes, overridden per task): ``LR``, ``OPTIMIZER_KW`` (passed to
    Adam), ``SCHEDULE`` ("constant" | "cosine"), ``EPOCHS`` (per profile name).
    """

    name = "task"
    LR = 1e-3
    OPTIMIZER_KW: dict = {}
    SCHEDULE = "constant"
    EPOCHS = {"smoke": 1, "cpu": 6, "gpu": 30}
    colors = True        # False for a task whose model does not colour (a classifier)

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True):
        cfg = profiles.get(profile)
        self.size = int(size or cfg.size)
        self.profile = cfg.name
        self.augment = augment
        self.epochs = self.EPOCHS[cfg.name]
        self.batch_size = cfg.batch_size
        self.lr, self.optimizer_kw, self.schedule = self.LR, dict(self.OPTIMIZER_KW), self.SCHEDULE

    # --- building the batch and feeding the model ---------------------------------------------
    def batch(self, images_u8: torch.Tensor, labels, train: bool, gen) -> dict:
        """uint8 photos (N, H, W, 3) on the device → a dict of tensors: L, ab (Lab), labels."""
        crop = random_crop_flip(images_u8, self.size, gen if (train and self.augment) else None)
        lab = to_lab(crop)
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

    def step(self, nets, batch, optimizers, autocast) -> dict:
        """One update: forward, backward, optimizer step. Returns logs; ``loss`` is a tensor."""
        opt = optimizers[0]
        opt.zero_grad(set_to_none=True)
        with autocast():
            loss, logs = self.loss(nets, batch)
        loss.backward()
        opt.step()
        return {"loss": loss.detach(), **logs}

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
    """Rebuild a task from ``Task.state()`` (as stored in a checkpoint).

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
    """The task a model trains with (its ``task`` attribute names it), built with ``kw``."""
    name = getattr(unwrap(model), "task", None)
    if name not in TASKS:
        raise ValueError(f"{type(unwrap(model)).__name__} names no known task ({name!r}); "
                         f"known tasks: {', '.join(sorted(TASKS))}")
    return TASKS[name](**kw)


def of(model) -> Task:
    """The task a trained model was trained with (``model.task_state``), else its default task."""
    state = getattr(unwrap(model), "task_state", None)
    return from_state(state) if state else for_model(model)


# --- the tasks ------------------------------------------------------------------------------

@register("regression")
class Regression(Task):
    """Predict ab directly and minimise MSE on ab / model.ab_scale."""

    def loss(self, model, batch):
        pred = self.forward(model, batch)
        return losses.mse(pred.float(), batch["ab"], unwrap(model).ab_scale), {}


@register("classification")
class Classification(Task):
    """Zhang et al. 2016: soft-encoded 313-way targets, rebalanced cross-entropy, annealed mean.

    prior: "train" (counted on the training photos by ``prepare``, then smoothed, Zhang et al.
    §2.2) | "imagenet" | "uniform" | a (313,) array. lam: rebalancing λ (0.5 in the paper);
    ``rebalance=False`` weights every pixel 1. T: the annealed-mean temperature.

    Recipe: Adam with Zhang et al.'s betas (0.9, 0.99) and weight decay 1e-3; lr 3e-4 on a cosine
    (their 3e-5 is for 450k ImageNet steps; on a CPU budget of hundreds of steps 3e-4 learns and
    stays above the gray guess, notebook 05 shows the measurements); 10 epochs in the cpu profile.
    """

    LR = 3e-4
    OPTIMIZER_KW = {"betas": (0.9, 0.99), "weight_decay": 1e-3}   # Zhang et al. 2016, training details
    SCHEDULE = "cosine"
    EPOCHS = {"smoke": 1, "cpu": 10, "gpu": 30}

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 prior="train", lam: float = bins.LAMBDA, rebalance: bool = True,
                 T: float = bins.T_ANNEAL):
        super().__init__(size, profile, augment)
        self.T, self.lam, self.rebalance = T, lam, rebalance
        self.prior_name = prior if isinstance(prior, str) else "given"
        self.prior = None
        if isinstance(prior, str) and prior != "train":
            self.set_prior(bins.prior(prior))
        elif not isinstance(prior, str):
            self.set_prior(np.asarray(prior, dtype=np.float64))

    def set_prior(self, p: np.ndarray) -> None:
        """Use the prior p (313,) and its rebalancing weights from now on."""
        self.prior = np.asarray(p, dtype=np.float64)
        self.weights = torch.tensor(bins.rebalance_weights(self.prior, self.lam), dtype=torch.float32)

    def prepare(self, train_data) -> None:
        """Count the prior on the training photos if it was asked for as "train"."""
        if self.prior is None:
            self.set_prior(bins.prior(train_data))

    def targets(self, ab: torch.Tensor, out_factor: int = 4):
        """ab (N, 2, H, W) → the sparse soft target at the network's 1/4 resolution.

        Returns idx, weight (N, 5, h, w) and the per-pixel rebalancing weight (N, h, w)
        (w of the bin with the largest soft-target weight, i.e. the nearest bin).
        """
        ab_small = ab[:, :, ::out_factor, ::out_factor]
        idx, wgt = bins.soft_encode_sparse(ab_small)
        if not self.rebalance:
            return idx, wgt, None
        if self.prior is None:
            raise ValueError("the prior is counted on the training data: call task.prepare(train_set) "
                             "(train.fit does) or build the task with prior='imagenet'")
        return idx, wgt, self.weights.to(ab.device)[idx[:, 0]]

    def loss(self, model, batch):
        logits = self.forward(model, batch)
        idx, wgt, pix = self.targets(batch["ab"], getattr(unwrap(model), "out_factor", 4))
        return losses.rebalanced_soft_cross_entropy(logits, idx, wgt, pix), {}

    def to_ab(self, output, batch, T: float | None = None):
        """Annealed mean at the network's resolution, upsampled bilinearly to L's size."""
        return logits_to_ab(output, batch["L"].shape[-2:], self.T if T is None else T)

    def config(self):
        prior = self.prior_name if self.prior_name not in ("train", "given") else (
            "train" if self.prior is None else self.prior.tolist())
        return {**super().config(), "prior": prior, "lam": self.lam, "rebalance": self.rebalance,
                "T": self.T}


@register("color_input")
class ColorInput(Classification):
    """Massachi §4.5: Zhang et al.'s classification with 16 colour values as a second input.

    Every batch also holds ``colors``: the photo's ab averaged over a ``grid`` × ``grid`` grid
    (``color_grid.grid_ab`` of the training crop; 4 × 4 in the thesis), (N, 2, grid, grid) Lab
    units; the model (``ZhangECCV16`` with ``color_scale`` > 0) gets (L, colors). Loss, prior,
    rebalancing and annealed mean are those of :class:`Classification`; §4.6's "uniform prior
    with colour input" is ``prior="uniform"``. Colouring a photo: pass its colours as
    ``inference_batch(L, colors=…)`` (any grid the model was not trained on works, but means
    something else); without them the model is told sixteen grays (a = b = 0).
    """

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 prior="train", lam: float = bins.LAMBDA, rebalance: bool = True,
                 T: float = bins.T_ANNEAL, grid: int = color_grid.K):
        super().__init__(size, profile, augment, prior, lam, rebalance, T)
        self.grid = int(grid)

    def batch(self, images_u8, labels, train, gen):
        b = super().batch(images_u8, labels, train, gen)
        b["colors"] = color_grid.grid_ab(b["ab"], self.grid)
        return b

    def inference_batch(self, L, **extra):
        colors = extra.pop("colors", None)
        if colors is None:
            colors = torch.zeros(len(L), 2, self.grid, self.grid, device=L.device)
        return {"L": L, "colors": colors.to(L.device), **extra}

    def inputs(self, batch):
        return batch["L"], batch["colors"]

    def config(self):
        return {**super().config(), "grid": self.grid}


@register("species")
class SpeciesClassifier(Task):
    """Name the class (flower species) of each gray photo: cross-entropy on image labels.

    Recipe: Adam lr 1e-3 on a cosine. Measured on the bundled flowers (64 px, width 0.25, batch
    32, 3 epochs): 55 % held-out accuracy at lr 1e-3, 29 % at 3e-3; a constant lr 1e-3 gave 30 %
    after 2 epochs.
    """

    SCHEDULE = "cosine"
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


def networks(**nets) -> SimpleNamespace:
    """A namespace of (wrapped) networks, for two-network tasks' ``wrap``."""
    return SimpleNamespace(**nets)


# --- Koalarization, Deep Colorization, GAN ---
# Deep Koalarization trains with ``Regression`` (MSE on ab / 127, Adam 1e-3: Baldassarre et al.
# §3.3, the base recipe). Below: the U-Net's L1 task and the conditional GAN of Nazeri et al.

NAZERI_ADAM = {"betas": (0.5, 0.999)}   # Nazeri et al. (from the review): Adam lr 2e-4, β1 = 0.5


@register("l1")
class L1Regression(Task):
    """Predict ab directly and minimise the mean absolute error on ab / model.ab_scale.

    Nazeri et al.'s baseline: the U-Net alone, trained with L1. Recipe: their Adam (lr 2e-4,
    β1 = 0.5), the same as the GAN's, so the two runs of notebook 09 differ only in the loss.
    """

    LR = 2e-4
    OPTIMIZER_KW = NAZERI_ADAM
    EPOCHS = {"smoke": 1, "cpu": 3, "gpu": 30}   # cpu: 3 epochs keep notebook 09 near 5 minutes

    def loss(self, model, batch):
        scale = unwrap(model).ab_scale
        pred = self.forward(model, batch)
        return F.l1_loss(pred.float() / scale, batch["ab"] / scale), {}


@register("gan")
class ConditionalGAN(L1Regression):
    """Nazeri et al.'s conditional GAN: a generator (L → ab) against a discriminator (L ⊕ ab).

    The model holds both networks (``model.generator``, ``model.discriminator``); ``model(L)`` is
    the generator. One ``step`` updates the discriminator on real and generated pairs, with
    one-sided label smoothing (real = ``real_label``, fake = 0), then the generator on
    adversarial + ``lambda_l1`` · L1 (ab / 110). Each network has its own Adam (lr 2e-4, β1 = 0.5)
    and, under DDP, its own wrapper. Logged: ``loss`` (= ``loss_g``), ``loss_g``, ``loss_d``,
    ``loss_adv``, ``loss_l1`` and ``d_real`` / ``d_fake``, the discriminator's mean probability
    of "real" for real and generated pairs. ``loss`` on validation is the L1 part alone, the
    number comparable with the L1 baseline. ``trace`` keeps every step's logs as floats (this
    process's steps only: a resumed run's trace starts at the resume).

    lambda_l1: weight of L1 (100 in the paper; 0 gives a GAN with nothing tying the colours to
    the photo). real_label: the target of real pairs (0.9 in the paper; 1 switches smoothing off).
    """

    LAMBDA_L1 = 100.0   # Nazeri et al. (review): generator loss = adversarial + λ·L1, λ = 100
    REAL_LABEL = 0.9    # one-sided label smoothing

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 lambda_l1: float = LAMBDA_L1, real_label: float = REAL_LABEL):
        super().__init__(size, profile, augment)
        self.lambda_l1, self.real_label = float(lambda_l1), float(real_label)
        self.trace: list[dict] = []   # every step's logs as floats, to plot the two losses fighting

    def wrap(self, model, wrap_fn):
        return networks(generator=wrap_fn(model.generator), discriminator=wrap_fn(model.discriminator),
                        scale=model.ab_scale)

    def configure_optimizers(self, model, lr: float | None = None, **optimizer_kw) -> list:
        """[Adam of the generator, Adam of the discriminator], both with the recipe's settings."""
        return [self.adam(model.generator.parameters(), lr, **optimizer_kw),
                self.adam(model.discriminator.parameters(), lr, **optimizer_kw)]

    def step(self, nets, batch, optimizers, autocast) -> dict:
        opt_g, opt_d = optimizers
        L, ab = batch["L"], batch["ab"]
        bce = F.binary_cross_entropy_with_logits
        with autocast():
            fake = nets.generator(L)
        # the discriminator: real pairs → real_label, generated pairs → 0 (one call, both halves)
        opt_d.zero_grad(set_to_none=True)
        with autocast():
            d = nets.discriminator(torch.cat([L, L]), torch.cat([ab, fake.detach()])).float()
        d_real, d_fake = d.chunk(2)
        loss_d = bce(d_real, torch.full_like(d_real, self.real_label)) + bce(d_fake, torch.zeros_like(d_fake))
        loss_d.backward()
        opt_d.step()
        # the generator: fool the discriminator, and stay near the truth (L1)
        opt_g.zero_grad(set_to_none=True)
        with autocast():
            d_gen = nets.discriminator(L, fake).float()
        loss_adv = bce(d_gen, torch.ones_like(d_gen))
        loss_l1 = F.l1_loss(fake.float() / nets.scale, ab / nets.scale)
        loss_g = loss_adv + self.lambda_l1 * loss_l1
        loss_g.backward()
        opt_g.step()
        logs = {"loss": loss_g.detach(), "loss_g": loss_g.detach(), "loss_d": loss_d.detach(),
                "loss_adv": loss_adv.detach(), "loss_l1": loss_l1.detach(),
                "d_real": torch.sigmoid(d_real.detach()).mean(),
                "d_fake": torch.sigmoid(d_fake.detach()).mean()}
        self.trace.append({k: float(v) for k, v in logs.items()})
        return logs

    def config(self) -> dict:
        return {**super().config(), "lambda_l1": self.lambda_l1, "real_label": self.real_label}


@register("pixels")
class PixelRegression(Task):
    """Cheng et al.'s Deep Colorization: a fully connected net trained on sampled pixels.

    Each training photo gives ``pixels`` random pixels (drawn from the run's seeded generator, so
    resume stays bit-exact; an evenly spaced set on validation). The model sees (L, pixels) and
    returns the ab of those pixels; the loss is MSE on ab / 110. Colouring a photo feeds L alone:
    every pixel, then the joint bilateral refinement. Recipe: Adam lr 1e-3, constant.
    """

    EPOCHS = {"smoke": 1, "cpu": 3, "gpu": 10}
    PIXELS = 256

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 pixels: int = PIXELS):
        super().__init__(size, profile, augment)
        self.pixels = int(pixels)

    def batch(self, images_u8, labels, train, gen) -> dict:
        b = super().batch(images_u8, labels, train, gen)
        n, _, h, w = b["L"].shape
        k = min(self.pixels, h * w)
        if train and gen is not None:
            idx = torch.randint(0, h * w, (n, k), generator=gen)
        else:
            idx = torch.linspace(0, h * w - 1, k).round().long().expand(n, k)
        b["pixels"] = idx.to(b["L"].device)
        return b

    def loss(self, model, batch):
        scale = unwrap(model).ab_scale
        pred = model(batch["L"], batch["pixels"])                           # (N, 2, P)
        true = batch["ab"].flatten(2).gather(2, batch["pixels"][:, None, :].expand(-1, 2, -1))
        return losses.mse(pred.float(), true, scale), {}

    def config(self):
        return {**super().config(), "pixels": self.pixels}


# --- user hints (Daly & Zhao; SIGGRAPH17) ---
# Tasks whose model is also told some true colours. The hints are drawn in ``batch`` from the
# run's generator on the batch's device (``hints.py``), so resume stays bit-exact; colouring
# without hints gives the model an empty hint image (``hints.none_like``).

HINT_KINDS = ("points", "circles")


def draw_hints(kind: str, ab: torch.Tensor, gen, n=None, **kw) -> dict:
    """Simulated hints for a batch with true chroma ab (N, 2, H, W): the hint dict of ``hints.make``.

    kind: "points" (SIGGRAPH17 patches, each its mean colour) | "circles" (Daly & Zhao).
    n: None — the papers' random counts; an int — exactly n patches / circles per image.
    gen: the run's generator (None: a fixed one, seed 0, e.g. for validation). kw: passed on to
    ``hints.points`` / ``hints.circles`` (e.g. ``sizes=(2,)``).
    """
    N, _, H, W = ab.shape
    gen = gen if gen is not None else torch.Generator().manual_seed(0)
    if kind == "points":
        mask = hints.points(H, W, N, n=n, gen=gen, device=ab.device, **kw)
    elif kind == "circles":
        mask = hints.circles(H, W, N, **({} if n is None else {"n": int(n)}), gen=gen, device=ab.device, **kw)
    else:
        raise ValueError(f"unknown hint kind {kind!r}; use one of {', '.join(HINT_KINDS)}")
    return hints.make(ab, mask)


class WithHints:
    """Mixin: add ``hint_ab`` / ``hint_mask`` to the batch and feed (L, hint_ab, hint_mask).

    In training the hints are drawn at random; in validation (``gen`` None) from a fixed
    generator, so every evaluation sees the same hints. When colouring, hints given as
    ``inference_batch(L, hint_ab=…, hint_mask=…)`` are resized to L's size (area-weighted);
    missing ones are empty.
    """

    hint_kind = "points"

    def batch(self, images_u8, labels, train, gen):
        b = super().batch(images_u8, labels, train, gen)
        b.update(draw_hints(self.hint_kind, b["ab"], gen if train else None))
        return b

    def inference_batch(self, L, **extra):
        given = {k: extra.pop(k) for k in ("hint_ab", "hint_mask") if k in extra}
        if len(given) == 1:
            raise ValueError("hints need both hint_ab and hint_mask")
        h = hints.resize(given, L.shape[-2:]) if given else hints.none_like(L)
        return {"L": L, **{k: v.to(L.device) for k, v in h.items()}, **extra}

    def inputs(self, batch):
        return batch["L"], batch["hint_ab"], batch["hint_mask"]

    def config(self):
        return {**super().config(), "hint_kind": self.hint_kind}


@register("zhang_hints")
class UserHints(WithHints, Task):
    """SIGGRAPH17's local hints: ab regressed with a smooth-L1 (Huber, δ = 1 Lab unit) loss on
    ab / 110, plus — when the model has a classification head — cross-entropy over the 529 cells
    of the 10-unit ab grid at 1/4 resolution (no rebalancing), weighted 1 : ``lambda_reg``.

    hint_kind: "points" (SIGGRAPH17's simulated user, the default) | "circles".
    Recipe: Adam lr 1e-3 on a cosine (SIGGRAPH17 fine-tunes from ECCV16 at 1e-5; from scratch on a
    CPU budget of a few hundred steps a larger rate is needed).
    """

    LR = 1e-3
    SCHEDULE = "cosine"
    EPOCHS = {"smoke": 1, "cpu": 6, "gpu": 30}
    LAMBDA_REG = 10.0    # SIGGRAPH17: loss = CE + λ · regression, λ = 10 (with the class head)

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 hint_kind: str = "points"):
        super().__init__(size, profile, augment)
        if hint_kind not in HINT_KINDS:
            raise ValueError(f"unknown hint kind {hint_kind!r}; use one of {', '.join(HINT_KINDS)}")
        self.hint_kind = hint_kind

    def to_ab(self, output, batch, T=None):
        return (output[0] if isinstance(output, tuple) else output).float()

    def loss(self, model, batch):
        out = self.forward(model, batch)
        ab, scale = batch["ab"], unwrap(model).ab_scale
        pred = out[0] if isinstance(out, tuple) else out
        reg = F.smooth_l1_loss(pred.float() / scale, ab / scale, beta=1.0 / scale)
        if not isinstance(out, tuple):
            return reg, {}
        logits = out[1].float()
        ab4 = ab[:, :, ::4, ::4][..., :logits.shape[-2], :logits.shape[-1]]
        cell = ((ab4.clamp(-110, 110) + 110) / 10).round().long()       # 0 … 22 per channel
        ce = F.cross_entropy(logits, cell[:, 0] * 23 + cell[:, 1])
        return ce + self.LAMBDA_REG * reg, {"loss_reg": reg.detach(), "loss_ce": ce.detach()}


@register("rtnet")
class PaletteReconstruction(Task):
    """Daly & Zhao's RTNet: colour the gray photo from the palette of the full-colour photo.

    The model sees (L, ab) and returns UV scaled to [0, 1] (a sigmoid); the loss is the paper's
    blurred MSE — the mean of MSE(pred, target) and MSE(blur(pred), blur(target)) on the [0, 1]
    UV — with a Gaussian of ``blur_sigma`` px (the paper does not give σ; we use 2 px at 64 px,
    about 7 px at their 224 px); ``blur_sigma=0`` is plain MSE. Colouring with no colour photo
    given feeds U = V = 0 (a gray palette): RTNet needs the colour photo or HNet's palette.
    Recipe: Adam lr 1e-3 (the paper's), constant.
    """

    BLUR_SIGMA = 2.0
    EPOCHS = {"smoke": 1, "cpu": 4, "gpu": 30}

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 blur_sigma: float = BLUR_SIGMA):
        super().__init__(size, profile, augment)
        self.blur_sigma = float(blur_sigma)

    def inference_batch(self, L, **extra):
        return {"L": L, "ab": extra.pop("ab", torch.zeros_like(L).expand(-1, 2, -1, -1)), **extra}

    def inputs(self, batch):
        return batch["L"], batch["ab"]

    def loss(self, model, batch):
        pred = self.forward(model, batch).float()
        target = uv01_of(batch["L"], batch["ab"])
        if self.blur_sigma > 0:
            return losses.blurred_mse(pred, target, self.blur_sigma), {}
        return F.mse_loss(pred, target), {}

    def to_ab(self, output, batch, T=None):
        return uv01_to_ab(batch["L"], output.float())

    def config(self):
        return {**super().config(), "blur_sigma": self.blur_sigma}


@register("hnet")
class PaletteFromHints(WithHints, Task):
    """Daly & Zhao's HNet: infer RTNet's palette from the gray photo and a hint image.

    The model (``models.HNet``, holding a frozen, trained RTNet) gets (L, hint ab, hint mask);
    the loss is the MSE between HNet's palette and the frozen RTNet's palette of the full photo.
    Colouring: HNet's palette drives RTNet's reconstruction. Hints: Daly & Zhao's circles by
    default. Recipe: Adam lr 1e-3 on a cosine (the paper's 1e-4 converged "very quickly" on 65,000
    hint images; we have a few hundred steps).
    """

    LR = 1e-3
    SCHEDULE = "cosine"
    EPOCHS = {"smoke": 1, "cpu": 4, "gpu": 30}

    def __init__(self, size: int | None = None, profile: str = "auto", augment: bool = True,
                 hint_kind: str = "circles"):
        super().__init__(size, profile, augment)
        if hint_kind not in HINT_KINDS:
            raise ValueError(f"unknown hint kind {hint_kind!r}; use one of {', '.join(HINT_KINDS)}")
        self.hint_kind = hint_kind

    def palette_loss(self, model, batch, per_image: bool = False) -> torch.Tensor:
        """MSE of HNet's palette against the frozen RTNet's palette of the photo (per image: (N,))."""
        net = unwrap(model)
        pal = net.palette_from_hints(batch["L"], batch["hint_ab"], batch["hint_mask"]).float()
        with torch.no_grad():
            target = net.rtnet.palette(batch["L"], batch["ab"]).float()
        err = (pal - target) ** 2
        return err.mean(1) if per_image else err.mean()

    def loss(self, model, batch):
        return self.palette_loss(model, batch), {}

    def to_ab(self, output, batch, T=None):
        return uv01_to_ab(batch["L"], output.float())


def takes_hints(task) -> bool:
    """True if ``task`` feeds its model hints (``hint_ab``, ``hint_mask``): zhang_hints, hnet."""
    return isinstance(task, WithHints)
