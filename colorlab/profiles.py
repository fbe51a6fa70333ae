"""The parameter sets the notebooks run with: ``smoke``, ``cpu``, ``gpu`` and ``auto``.

- ``smoke``: every notebook in about a minute on a 2-core CPU (tiny subsets, narrow models).
  The tests use it; the numbers it gives only show that the code runs.
- ``cpu``: a laptop, a few minutes per notebook; models visibly learn.
- ``gpu``: full widths, all the bundled data (or your folder), real training.
- ``auto``: ``gpu`` when CUDA is present, else ``cpu``; the environment variable
  ``COLORLAB_PROFILE`` overrides it.

A notebook reads its profile with ``cfg = profiles.get(profile)`` and may scale the values
(``epochs = cfg.epochs * 2``); a value passed as a notebook parameter overrides the profile.
How many epochs each method trains in each profile is in ``tasks.recipes.EPOCHS`` (one table).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace, asdict

NAMES = ("smoke", "cpu", "gpu", "auto")
VAL_FRACTION = 0.1   # every notebook holds out the same 10 % of a data set (the split depends on names)


@dataclass(frozen=True)
class Profile:
    name: str
    size: int          # training image side, px
    limit: int | None  # at most this many images of a data set (None: all)
    epochs: int        # epochs of a typical training run in a notebook
    width: float       # channel multiplier for the wide models (1.0 = as published)
    batch_size: int
    threads: int | None = None  # CPU threads for PyTorch (None: PyTorch's default, one per core)
    val_fraction: float = VAL_FRACTION  # held-out share of the photos (``ImageSet.split``)

    def as_dict(self) -> dict:
        return asdict(self)


PROFILES = {
    "smoke": Profile("smoke", size=32, limit=64, epochs=1, width=0.125, batch_size=16,
                     threads=1),   # tiny tensors, and the test runner beside the kernel
    "cpu": Profile("cpu", size=64, limit=2000, epochs=6, width=0.25, batch_size=32),
    "gpu": Profile("gpu", size=128, limit=None, epochs=30, width=1.0, batch_size=64),
}


def resolve_name(name: str = "auto") -> str:
    """``auto`` → ``$COLORLAB_PROFILE`` if set, else ``gpu`` with CUDA, else ``cpu``."""
    if name not in NAMES:
        raise ValueError(f"unknown profile {name!r}; valid profiles: {', '.join(NAMES)}")
    if name != "auto":
        return name
    env = os.environ.get("COLORLAB_PROFILE", "").strip()
    if env:
        if env not in PROFILES:
            raise ValueError(f"COLORLAB_PROFILE={env!r} is not a profile; "
                             f"use one of {', '.join(PROFILES)}")
        return env
    import torch
    return "gpu" if torch.cuda.is_available() else "cpu"


def set_threads(prof: Profile) -> int:
    """Give PyTorch the profile's CPU thread count (``threads``; None keeps PyTorch's default, one
    per core) and return the count in use. Measured on an idle 2-core machine, training at 64 px:
    2 threads 1.25-1.5x faster than 1; on a busy one 1 thread can be several times faster."""
    import torch
    if prof.threads is not None:
        torch.set_num_threads(prof.threads)
    return torch.get_num_threads()


def get(name: str = "auto", **overrides) -> Profile:
    """The profile ``name`` with any non-None ``overrides`` applied (``get("cpu", epochs=3)``)."""
    prof = PROFILES[resolve_name(name)]
    unknown = set(overrides) - set(Profile.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown profile field(s) {sorted(unknown)}; "
                         f"valid: {list(Profile.__dataclass_fields__)}")
    return replace(prof, **{k: v for k, v in overrides.items() if v is not None})
