"""``python -m colorlab bench --variants``: each model's fastest memory layout and precision.

For every model the workbook trains, at the cpu profile's size and width (64 px, width 0.25,
batch 32), on the device ``train.fit`` would pick:

1. images/s of ``train.fit``'s own step (``bench.bench_training``) in each of the four variants
   of ``train.speed.VARIANTS`` (float32 or bf16 autocast, NCHW or channels_last);
2. the learning check: the same model, seed, photos and number of steps trained through
   ``train.fit`` in float32 and in bf16, then the held-out loss of each; bf16 learns as well when
   its loss is at most ``speed.LEARNS_AS_WELL`` above float32's;
3. the best variant: the fastest among those that learn as well (both float32 variants always
   qualify), beside the default that ``train.speed.FASTEST`` declares, and their ratio.

The last lines print the ``FASTEST`` rows these measurements give, to paste into
``train/speed.py``. Timings are medians of a few steps after a warm-up; on a busy machine they
include waits for a core (the load average is printed first).
"""
from __future__ import annotations

import time

import torch

from colorlab import data, models, tasks, train
from colorlab.cli import bench
from colorlab.train import speed

# The models the workbook trains (notebooks 03–12), at the cpu profile's width.
WIDTH = 0.25
TRAINED = ["regression", "vgg16_decoder", "koalarization", "gray_classifier", "zhang_eccv16",
           "unet", "unet_gan", "deep_colorization", "zhang_hints", "rtnet", "hnet"]


def images_per_second(name: str, size: int, batch: int, steps: int) -> dict:
    """{variant name: training images/s} for ``name`` at ``size`` px, one entry per variant."""
    out = {}
    for key, v in speed.VARIANTS.items():
        r = bench.bench_training(name, {"width": WIDTH}, size=size, batch=batch, steps=steps,
                                 bf16=v.bf16, channels_last=v.channels_last)
        out[key] = r["img_per_s"]
    return out


def learning_check(name: str, size: int = 64, steps: int = 150, batch: int = 32) -> dict:
    """Train ``name`` for ``steps`` steps in float32 and in bf16 (same seed and photos: the
    bundled flowers, 90 % of them) and evaluate each on the other 10 %.

    Returns {"fp32": {"val_loss", "seconds"}, "bf16": {…}, "learns_as_well": bool}.
    """
    photos = data.load("flowers", size=size, progress=False)
    tr, va = photos.split(0.1)
    out = {}
    for label, amp in (("fp32", False), ("bf16", True)):
        task = tasks.for_model(models.REGISTRY[name], size=size, profile="cpu")
        torch.manual_seed(0)
        model = models.build(name, width=WIDTH, **task.model_kwargs(tr))
        t0 = time.perf_counter()
        train.fit(model, task, tr, None, epochs=1000, batch_size=batch, seed=0, amp=amp,
                  channels_last=False, max_steps=steps, progress=False, device="cpu")
        seconds = time.perf_counter() - t0
        ev = train.evaluate(model, task, va, batch, torch.device("cpu"))
        out[label] = {"val_loss": ev["loss"], "seconds": seconds}
    out["learns_as_well"] = out["bf16"]["val_loss"] <= out["fp32"]["val_loss"] * (1 + speed.LEARNS_AS_WELL)
    return out


def best_variant(rates: dict, bf16_learns: bool) -> str:
    """The fastest variant among those allowed (bf16 ones only if bf16 learns as well)."""
    allowed = {k: r for k, r in rates.items() if bf16_learns or not speed.VARIANTS[k].bf16}
    return max(allowed, key=allowed.get)


def measure(name: str, size: int, batch: int, steps: int, check_steps: int) -> dict:
    """One model's row: images/s per variant, the learning check, the default and the best."""
    rates = images_per_second(name, size, batch, steps)
    check = learning_check(name, size, check_steps, batch)
    default = speed.name_of(speed.choose(name, torch.device("cpu")))
    best = best_variant(rates, check["learns_as_well"])
    return {"rates": rates, "check": check, "default": default, "best": best,
            "ratio": rates[default] / rates[best]}


def print_row(name: str, r: dict) -> None:
    c = r["check"]
    learns = (f"{c['fp32']['val_loss']:.4f} → {c['bf16']['val_loss']:.4f} "
              f"{'yes' if c['learns_as_well'] else 'NO'}")
    print(f"{name:<18}" + "".join(f"{r['rates'][k]:>9.0f}" for k in speed.VARIANTS)
          + f"  {learns:<24}{r['default']:>9}{r['best']:>9}{r['ratio']:>8.0%}", flush=True)


def main(quick: bool = False, names=None) -> dict:
    """Measure every model in ``names`` (default :data:`TRAINED`), print the table and the
    ``FASTEST`` rows it gives; return {name: row}."""
    names = names or TRAINED
    size, batch, steps, check_steps = (32, 8, 1, 4) if quick else (64, 32, 5, 150)
    print(f"colorlab bench --variants — torch {torch.__version__}, {torch.get_num_threads()} threads"
          f"{bench._load()}, bf16 instructions: {speed.cpu_has_bf16()}")
    print(f"training images/s at {size} px, batch {batch}, width {WIDTH}; learning check: held-out "
          f"loss after {check_steps} steps, fp32 → bf16, as well if ≤ +{speed.LEARNS_AS_WELL:.0%}")
    print(f"{'model':<18}" + "".join(f"{k:>9}" for k in speed.VARIANTS)
          + f"  {'learning check':<24}{'default':>9}{'best':>9}{'def/best':>8}")
    rows = {}
    for name in names:
        rows[name] = measure(name, size, batch, steps, check_steps)
        print_row(name, rows[name])
    print("\nFASTEST rows these figures give (cpu):")
    for name, r in rows.items():
        print(f'    "{name}": {{"cpu": "{r["best"]}"}},')
    return rows
