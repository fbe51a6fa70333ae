"""How each model trains fastest on each kind of device: memory layout and precision, as measured.

Two settings speed up a convolutional network without changing what it computes (beyond
rounding):

- **channels_last** stores a (N, C, H, W) tensor as N, H, W, C in memory, the layout that the
  CPU's oneDNN and the GPU's tensor-core convolutions prefer;
- **bf16 autocast** runs convolutions and matrix products in bfloat16 (8 bits of mantissa instead
  of float32's 23) where the hardware has bf16 instructions, keeping weights, reductions and the
  loss in float32.

Which of the four pairs (:data:`VARIANTS`) is fastest depends on the network *and* the device, and
bf16 is only a candidate for a model when it learns as well as float32 there. ``python -m
colorlab bench --variants`` measures every pair per model with ``train.fit``'s own step, runs the
fp32-vs-bf16 learning check per model, and prints the fastest pair that learns as well beside
the one :data:`FASTEST` declares; :data:`FASTEST` holds what it measured. ``fit`` reads it through
:func:`choose`; ``fit(amp=…, channels_last=…)`` overrides either half.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Variant:
    """A memory layout and a precision: ``channels_last`` (NHWC weights), ``bf16`` (autocast)."""
    channels_last: bool
    bf16: bool


VARIANTS = {"fp32": Variant(False, False), "fp32+cl": Variant(True, False),
            "bf16": Variant(False, True), "bf16+cl": Variant(True, True)}

# A model without a measured row: bf16 + channels_last on CUDA (tensor cores), float32 elsewhere.
UNMEASURED = {"cuda": "bf16+cl", "cpu": "fp32", "mps": "fp32"}

# bf16 "learns as well" when its held-out loss after the learning check's steps is at most this
# much (relative) above float32's, from the same seed, data and steps (our threshold).
LEARNS_AS_WELL = 0.05

# Measured by ``python -m colorlab bench --variants`` (train.fit's step, batch 32, 64 px, the cpu
# profile's width 0.25; learning check: 150 steps, 5 % threshold) on a 2-core AVX-512 CPU with
# bf16 instructions (avx512_bf16), torch 2.13.0, 2026-12-06. No GPU was measured: "cuda" keeps
# the UNMEASURED rule. Device "cpu" means a CPU with bf16 instructions; on one without, the
# bf16 half is dropped (see :func:`choose`). The figures are the first of two runs; the second,
# on an idle machine, chose the same except for hnet (fp32+cl 1234, bf16+cl 1216 img/s: noise).
FASTEST: dict[str, dict[str, str]] = {
    # model               device: variant     training img/s fp32 → this variant, as measured
    "regression":        {"cpu": "bf16+cl"},  # 390 → 872
    "vgg16_decoder":     {"cpu": "bf16+cl"},  # 291 → 562
    "koalarization":     {"cpu": "bf16+cl"},  # 579 → 989
    "gray_classifier":   {"cpu": "bf16+cl"},  # 223 → 470
    "zhang_eccv16":      {"cpu": "bf16+cl"},  # 144 → 268
    "unet":              {"cpu": "bf16+cl"},  # 597 → 857
    "unet_gan":          {"cpu": "bf16+cl"},  # 351 → 534
    "deep_colorization": {"cpu": "bf16+cl"},  # 79 → 106 (fp32+cl: 102)
    "zhang_hints":       {"cpu": "bf16+cl"},  # 122 → 203
    "rtnet":             {"cpu": "bf16+cl"},  # 143 → 303
    "hnet":              {"cpu": "bf16+cl"},  # 1080 → 1280
}


def device_kind(dev: torch.device) -> str:
    """The row key of a device: "cuda", "mps" or "cpu"."""
    return dev.type


def cpu_has_bf16() -> bool:
    """Whether this CPU has bf16 instructions (AVX-512 BF16 or AMX) that oneDNN uses; without
    them bf16 autocast is emulated and slower than float32."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def choose(name: str, dev: torch.device, amp: bool | None = None,
           channels_last: bool | None = None) -> Variant:
    """The variant ``fit`` trains model ``name`` (a ``models.REGISTRY`` name) with on ``dev``.

    :data:`FASTEST`'s row for the model and device, else :data:`UNMEASURED`'s; ``amp`` and
    ``channels_last`` (True/False) override their half. bf16 is dropped on a CPU without bf16
    instructions unless ``amp=True`` asks for it, and on devices other than CUDA and CPU.
    """
    kind = device_kind(dev)
    picked = VARIANTS[FASTEST.get(name, {}).get(kind, UNMEASURED.get(kind, "fp32"))]
    bf16 = picked.bf16 if amp is None else bool(amp)
    if amp is None and kind == "cpu" and not cpu_has_bf16():
        bf16 = False
    if kind not in ("cuda", "cpu"):
        bf16 = False
    cl = picked.channels_last if channels_last is None else bool(channels_last)
    return Variant(cl, bf16)


def name_of(variant: Variant) -> str:
    """The key of ``variant`` in :data:`VARIANTS` ("bf16+cl" …)."""
    return next(k for k, v in VARIANTS.items() if v == variant)
