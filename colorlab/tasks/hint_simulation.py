"""Simulated user hints for the tasks whose model is also told some true colours.

The hints are drawn in ``batch`` from the run's generator on the batch's device (``hints.py``),
so resume stays bit-exact; colouring without hints gives the model an empty hint image
(``hints.none_like``). Used by ``zhang_hints.UserHints`` and ``daly_zhao.PaletteFromHints``.
"""
from __future__ import annotations

import torch

from colorlab.data import hints

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


def takes_hints(task) -> bool:
    """True if ``task`` feeds its model hints (``hint_ab``, ``hint_mask``): zhang_hints, hnet."""
    return isinstance(task, WithHints)
