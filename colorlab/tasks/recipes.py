"""How each method is trained, one row per method, declared once.

A :class:`Recipe` is what a paper (or our measurements on a CPU budget) says about training a
method: the learning rate, the optimizer settings, the schedule, and how many epochs each
profile runs. The task reads it (``task.lr``, ``task.epochs`` …), so ``train.fit`` with no
overrides, a notebook, ``zoo`` and ``python -m colorlab train`` (``train --help`` prints this
table) train alike. The batch size is the profile's (``profiles.Profile.batch_size``), and every
notebook holds out the same share of the photos (``profiles.Profile.val_fraction``).

Adding a profile touches one place in this file: a column of ``EPOCHS``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from colorlab import profiles

ADAM = {}                                               # PyTorch's Adam: betas (0.9, 0.999)
ZHANG_ADAM = {"betas": (0.9, 0.99), "weight_decay": 1e-3}   # Zhang et al. 2016, training details
NAZERI_ADAM = {"betas": (0.5, 0.999)}   # Nazeri et al. (from the review): Adam lr 2e-4, β1 = 0.5

# Epochs per profile, every method in one table (a new profile is a new column).
#                      smoke cpu gpu
EPOCHS = {
    "regression":      (1, 6, 30),
    "vgg16_decoder":   (1, 3, 15),   # notebook 04: half of regression's, five decoder runs
    "koalarization":   (1, 3, 15),   # notebook 06: half of regression's, two runs
    "species":         (1, 3, 15),   # the stand-in encoder of 04, 06, 08: half of regression's
    "classification":  (1, 10, 30),
    "color_input":     (1, 10, 30),
    "l1":              (1, 3, 30),   # cpu: 3 epochs keep notebook 09 near 5 minutes
    "gan":             (1, 3, 30),
    "pixels":          (1, 3, 10),
    "zhang_hints":     (1, 6, 30),
    "rtnet":           (1, 4, 30),
    "hnet":            (1, 4, 30),
}
# At most this many training photos, spread over the set (a method not listed: all of them).
TRAIN_PHOTOS = {
    "pixels":          (32, 320, 2000),   # notebook 08: pixels of few photos teach the FC net
}


@dataclass(frozen=True)
class Recipe:
    """A method's training recipe.

    lr: Adam's learning rate; schedule: "constant" | "cosine" (``base.lr_lambda``);
    optimizer_kw: further Adam settings (betas, weight_decay); epochs: profile name → epochs;
    photos: profile name → at most this many training photos (None: all); source: where the
    numbers come from (a paper, or what we measured).
    """
    lr: float
    schedule: str
    epochs: dict
    optimizer_kw: dict = field(default_factory=dict)
    photos: dict | None = None
    source: str = ""

    def epochs_for(self, profile: str) -> int:
        """Epochs of a run in ``profile`` ("auto" resolves to the machine's profile)."""
        return self.epochs[profiles.resolve_name(profile)]


def _per_profile(table: dict, name: str) -> dict | None:
    """``table[name]`` as {profile name: value}, or None if the method has no row there."""
    if name not in table:
        return None
    assert len(table[name]) == len(profiles.PROFILES), f"{name!r} needs one column per profile"
    return dict(zip(profiles.PROFILES, table[name]))


def _recipe(name: str, lr: float, schedule: str, optimizer_kw: dict = ADAM, source: str = "") -> Recipe:
    """The recipe ``name``, with its rows of ``EPOCHS`` and ``TRAIN_PHOTOS``."""
    return Recipe(lr, schedule, _per_profile(EPOCHS, name), dict(optimizer_kw),
                  _per_profile(TRAIN_PHOTOS, name), source)


RECIPES = {r[0]: _recipe(*r) for r in [
    ("regression", 1e-3, "constant", ADAM, "Adam 1e-3 (Hultgren et al.; Baldassarre et al. §3.3)"),
    ("vgg16_decoder", 1e-3, "constant", ADAM, "regression's, half the epochs (Hultgren et al.)"),
    ("koalarization", 1e-3, "constant", ADAM, "Baldassarre et al. §3.3: MSE, Adam 1e-3"),
    ("species", 1e-3, "cosine", ADAM, "measured: 55 % held-out at 1e-3, 29 % at 3e-3 (cosine)"),
    ("classification", 3e-4, "cosine", ZHANG_ADAM,
     "Zhang et al.'s Adam; lr 3e-4, not their 3e-5 (450k steps): notebook 05 measures it"),
    ("color_input", 3e-4, "cosine", ZHANG_ADAM, "Zhang et al.'s, as classification (Massachi §4.5)"),
    ("l1", 2e-4, "constant", NAZERI_ADAM, "Nazeri et al.: Adam 2e-4, β1 = 0.5"),
    ("gan", 2e-4, "constant", NAZERI_ADAM, "Nazeri et al.: Adam 2e-4, β1 = 0.5, both networks"),
    ("pixels", 1e-3, "constant", ADAM, "Adam 1e-3 (Cheng et al., from the review)"),
    ("zhang_hints", 1e-3, "cosine", ADAM,
     "SIGGRAPH17 fine-tunes at 1e-5; from scratch in a few hundred steps 1e-3 is needed"),
    ("rtnet", 1e-3, "constant", ADAM, "Daly & Zhao: Adam 1e-3"),
    ("hnet", 1e-3, "cosine", ADAM, "Daly & Zhao's 1e-4 converged on 65,000 images; we have hundreds of steps"),
]}


def table() -> str:
    """Every recipe as plain text, one line each (``train --help`` prints it)."""
    names = "/".join(profiles.PROFILES)
    lines = [f"recipes (lr, schedule, optimizer settings, epochs {names}):"]
    for name, r in RECIPES.items():
        kw = ", ".join(f"{k}={v}" for k, v in r.optimizer_kw.items()) or "Adam defaults"
        epochs = "/".join(str(e) for e in r.epochs.values())
        photos = "" if r.photos is None else ", photos " + "/".join(str(n) for n in r.photos.values())
        lines.append(f"  {name}: lr {r.lr:g}, {r.schedule}, {kw}, epochs {epochs}{photos}")
    return "\n".join(lines)
