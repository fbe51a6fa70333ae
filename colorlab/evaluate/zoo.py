"""Every colorizer of notebooks 03–11 in one place: load it from a run folder, or train it.

Notebooks 03–11 save each model they train with ``train.fit_named(name, …, out_dir=folder)``, that
is to ``folder/<name>/last.pt`` (``folder`` is the notebook's ``out_dir``, the run folder in a
workbook). Notebook 12 compares them: ``load_or_train(name, folder)`` loads that checkpoint when an
earlier notebook left it there, and otherwise trains the model here, with its notebook's recipe in
the current profile, and saves it to the same place, so the next call loads it.

``CATALOGUE`` lists the models compared, each with the notebook that makes it and how to train it
again. The ablations that stay inside their notebook (04's four decoder variants, of which 04
saves the best as ``04-vgg16_decoder``; 05's short run; 07's sigmoid and plain-MSE RTNets; 11's
second RTNet and HNet, trained like 07's) are not in it, but ``load`` reads any checkpoint.
Notebook 10's networks are only loaded (``LOAD_ONLY``, ``load_found``), never trained here.

A model is trained here exactly as its notebook trains it, with two simplifications, each said in
its entry: ``04-vgg16_decoder`` trained here is the frozen baseline decoder (04 picks the best of
four variants), and the gray flower classifier that 04, 06 and 08 share is loaded or trained once.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from colorlab import data, models, profiles, tasks, train
from colorlab.evaluate.inference import predict_ab
from colorlab.evaluate.scoring import lab_of, scores
from colorlab.train import pretrain

CHECKPOINT = "last.pt"        # what train.fit writes in out_dir/<name>/
CLASSIFIER = "04-gray_classifier"


def checkpoint(folder, name: str) -> Path:
    """Where the notebook that trains ``name`` saves it: ``folder/name/last.pt``."""
    return Path(folder) / name / CHECKPOINT


def saved(folder, prefix: str = "") -> list[str]:
    """The names of the checkpoints under ``folder`` (sorted) whose name starts with ``prefix``."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p.parent.name for p in folder.glob(f"{prefix}*/{CHECKPOINT}"))


# --- what training needs: the profile, the flowers, the run folder -----------------------------

@dataclass
class Setup:
    """The profile, seed and run folder a model is trained with, and the flowers, loaded once.

    train_set / val_set: ``flowers.split(cfg.val_fraction)`` at the profile's size and limit, the split every
    notebook uses (it depends only on the file names).
    """
    folder: Path
    profile: str = "auto"
    seed: int = 0
    progress: bool = False

    @cached_property
    def cfg(self) -> profiles.Profile:
        return profiles.get(self.profile)

    @cached_property
    def flowers(self):
        return data.load("flowers", size=self.cfg.size, limit=self.cfg.limit, progress=False)

    @cached_property
    def _split(self) -> tuple:
        return self.flowers.split(self.cfg.val_fraction)

    @property
    def train_set(self):
        return self._split[0]

    @property
    def val_set(self):
        return self._split[1]

    def fit(self, name: str, model, task, train_set=None, val_set="held-out", **kw):
        """``train.fit_named`` into this run folder with this seed; returns the trained model."""
        train.fit_named(name, model, task, self.train_set if train_set is None else train_set,
                        self.val_set if val_set == "held-out" else val_set, out_dir=self.folder,
                        seed=self.seed, progress=self.progress, **kw)
        return model

    def new(self, name: str, **kw):
        """``models.build(name, width=profile width, **kw)`` after seeding torch (as the notebooks do)."""
        torch.manual_seed(self.seed)
        return models.build(name, width=self.cfg.width, **kw)

    @cached_property
    def classifier(self):
        """The gray flower classifier of notebook 04 (the encoder of 04, embedder of 06, semantic
        features of 08): loaded from ``04-gray_classifier/last.pt`` or trained with its recipe
        (``tasks.RECIPES["species"]``)."""
        path = checkpoint(self.folder, CLASSIFIER)
        if path.exists():
            return train.load_model(path).eval()
        torch.manual_seed(self.seed)
        model, _ = pretrain.train_gray_classifier(
            self.train_set, self.val_set, width=self.cfg.width, size=self.cfg.size, profile=self.cfg.name,
            seed=self.seed, out_dir=path.parent, progress=self.progress)
        return model.eval()


# --- how each notebook trains its models ---------------------------------------------------------

def _regression(s: Setup):                                          # notebook 03
    return s.fit("03-regression", s.new("regression"), tasks.Regression(s.cfg.size, s.cfg.name))


def _vgg16_decoder(s: Setup):                                       # notebook 04: the baseline variant
    torch.manual_seed(s.seed)
    model = pretrain.decoder_from_classifier(s.classifier, "baseline", freeze_encoder=True)
    task = tasks.Regression(s.cfg.size, s.cfg.name).use_recipe("vgg16_decoder")
    return s.fit("04-vgg16_decoder", model, task)


def _zhang(rebalance: bool):                                        # notebook 05
    def fit(s: Setup):
        task = tasks.Classification(s.cfg.size, s.cfg.name, prior="train", lam=0.5, rebalance=rebalance)
        name = "05-zhang_rebalanced" if rebalance else "05-zhang_plain"
        return s.fit(name, s.new("zhang_eccv16"), task)
    return fit


def _koalarization(embedding: bool):                                # notebook 06
    def fit(s: Setup):
        torch.manual_seed(s.seed)
        fused = models.Koalarization.from_classifier(s.classifier, width=s.cfg.width)
        task = tasks.Regression(s.cfg.size, s.cfg.name).use_recipe("koalarization")
        if embedding:
            return s.fit("06-koalarization", fused, task)
        plain = s.new("koalarization", embedder="none", embedding_dim=fused.embedding_dim)
        return s.fit("06-koalarization-none", plain, task)
    return fit


def _rtnet(s: Setup):                                               # notebook 07
    task = tasks.PaletteReconstruction(s.cfg.size, s.cfg.name, blur_sigma=tasks.PaletteReconstruction.BLUR_SIGMA)
    return s.fit("07-rtnet", s.new("rtnet", activation="relu"), task)


def _hnet(s: Setup):                                                # notebook 07: HNet on 07's RTNet
    rt = load_or_train("07-rtnet", s.folder, setup=s)
    return s.fit("07-hnet", models.HNet.from_rtnet(rt), tasks.PaletteFromHints(s.cfg.size, s.cfg.name))


def _deep_colorization(s: Setup):                                   # notebook 08
    k = tasks.RECIPES["pixels"].photos[s.cfg.name]                  # 08's photos, spread over the set
    photos = s.train_set
    spread = photos.subset(np.linspace(0, len(photos) - 1, min(k, len(photos))).round().astype(int))
    torch.manual_seed(s.seed)
    model = models.DeepColorization.from_classifier(s.classifier, features=("patch", "daisy", "semantic"))
    task = tasks.PixelRegression(s.cfg.size, s.cfg.name, pixels=tasks.PixelRegression.PIXELS)
    return s.fit("08-deep_colorization", model, task, train_set=spread, val_set=None)


def _unet(s: Setup):                                                # notebook 09
    return s.fit("09-unet", s.new("unet"), tasks.L1Regression(s.cfg.size, s.cfg.name))


def _unet_gan(s: Setup):                                            # notebook 09
    task = tasks.ConditionalGAN(s.cfg.size, s.cfg.name, lambda_l1=100.0, real_label=0.9)
    return s.fit("09-unet_gan", s.new("unet_gan"), task)


def _zhang_hints(s: Setup):                                         # notebook 11
    return s.fit("11-zhang_hints", s.new("zhang_hints"), tasks.UserHints(s.cfg.size, s.cfg.name, hint_kind="points"))


@dataclass(frozen=True)
class Entry:
    """A model of the comparison. name: its checkpoint folder; title: a short label; given: what
    else it must be shown to colour well ("" nothing, "hints" simulated user hints, "palette" the
    colour photo's palette); fit: trains it (``Setup`` → model) with its notebook's recipe."""
    name: str
    title: str
    fit: Callable
    given: str = ""

    @property
    def notebook(self) -> str:
        return self.name[:2]


CATALOGUE: dict[str, Entry] = {e.name: e for e in [
    Entry("03-regression", "regression, MSE", _regression),
    Entry("04-vgg16_decoder", "VGG-16 encoder + decoder", _vgg16_decoder),
    Entry("05-zhang_rebalanced", "Zhang, rebalanced", _zhang(True)),
    Entry("05-zhang_plain", "Zhang, not rebalanced", _zhang(False)),
    Entry("06-koalarization", "Koalarization, fused", _koalarization(True)),
    Entry("06-koalarization-none", "Koalarization, no embedding", _koalarization(False)),
    Entry("07-rtnet", "RTNet (Daly & Zhao)", _rtnet, given="palette"),
    Entry("07-hnet", "HNet + RTNet", _hnet, given="hints"),
    Entry("08-deep_colorization", "Deep Colorization (Cheng)", _deep_colorization),
    Entry("09-unet", "U-Net, L1", _unet),
    Entry("09-unet_gan", "U-Net GAN", _unet_gan),
    Entry("11-zhang_hints", "SIGGRAPH17 hints net", _zhang_hints, given="hints"),
]}


# Notebook 10 trains ten variants of Massachi's network (one condition each; a sweep trains more).
# Two join the comparison, the two of its first question, when a run folder holds them; they are
# never trained here (10 trains them together, and they take minutes).
LOAD_ONLY = {"10-scratch": "Massachi: flowers from scratch",
             "10-finetune": "Massachi: Kodak, then flowers"}


def load_found(folder, names=tuple(LOAD_ONLY)) -> dict:
    """{name: model} of those ``names`` whose checkpoint is in ``folder``; one line for each missing."""
    found = {}
    for name in names:
        if checkpoint(folder, name).exists():
            found[name] = load(name, folder)
            print(f"{name}: loaded {checkpoint(folder, name)}")
        else:
            print(f"{name}: not in {folder} (run its notebook with this out_dir to add it); skipped")
    return found


# --- load or train -------------------------------------------------------------------------------

def load(name: str, folder):
    """The model saved as ``folder/name/last.pt`` (any checkpoint ``train.fit`` wrote)."""
    model = train.load_model(checkpoint(folder, name))
    model.zoo_origin = "loaded"
    return model


def load_or_train(name: str, folder, profile: str = "auto", seed: int = 0, progress: bool = False,
                  setup: Setup | None = None):
    """The model ``name`` (a ``CATALOGUE`` key): loaded from ``folder/name/last.pt`` if a notebook
    saved it there, else trained here with its notebook's recipe in ``profile`` and saved there.

    Returns the model in eval mode; ``model.zoo_origin`` is "loaded" or "trained", and one line
    says which (with the seconds it took). setup: a ``Setup`` to share between calls (its
    flowers and classifier are loaded once); None makes one from folder, profile and seed.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"out_dir {folder} is a file: give the run folder the notebooks "
                                 "saved their checkpoints in (or a new folder to train into)")
    t0 = time.perf_counter()
    if checkpoint(folder, name).exists():
        model = load(name, folder)
        print(f"{name}: loaded {checkpoint(folder, name)}")
        return model
    if name not in CATALOGUE:
        raise KeyError(f"{checkpoint(folder, name)} does not exist and {name!r} is not in "
                       f"zoo.CATALOGUE, so it cannot be trained here; known: {', '.join(CATALOGUE)}")
    s = setup or Setup(folder, profile, seed, progress)
    model = CATALOGUE[name].fit(s).eval()
    model.zoo_origin = "trained"
    print(f"{name}: not found in {folder}, trained here ({s.cfg.name} profile) in "
          f"{time.perf_counter() - t0:.1f} s")
    return model


# --- scoring on held-out photos (evaluate/scoring.py) ---------------------------------------------

def given_inputs(given: str, model, photos, seed: int = 0, n_hints: int = 5,
                 lab: torch.Tensor | None = None) -> dict:
    """What a model is shown besides L when it is helped (``Entry.given``), for (N, H, W, 3) photos:
    "hints" — ``n_hints`` simulated hints of the kind its task trains with, drawn from ``seed``;
    "palette" — the photos' own ab (RTNet computes its palette from the colour photo); "" — nothing.
    lab: the photos' Lab, if the caller has it already."""
    if not given:
        return {}
    ab = (lab_of(photos) if lab is None else lab)[:, 1:]
    if given == "palette":
        return {"ab": ab}
    if given == "hints":
        kind = getattr(tasks.of(model), "hint_kind", "points")
        return tasks.draw_hints(kind, ab, torch.Generator().manual_seed(seed), n=n_hints)
    raise ValueError(f"given must be '', 'hints' or 'palette', got {given!r}")


def score_model(model, photos, given: str = "", seed: int = 0, n_hints: int = 5, prior="imagenet") -> dict:
    """``scores`` of ``model``'s colouring of ``photos`` (L alone, or with ``given_inputs``)."""
    lab = lab_of(photos)                         # once, for the hints, the input and the scores
    extra = given_inputs(given, model, photos, seed, n_hints, lab=lab)
    return scores(predict_ab(model, lab[:, :1], **extra), photos, prior, lab=lab)
