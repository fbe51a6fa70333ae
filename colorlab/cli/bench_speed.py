"""``python -m colorlab bench --variants``: each model's fastest memory layout and precision.

For every model the workbook trains, at a profile's size, width and batch (``cpu``: 64 px, width
0.25, batch 32; ``--profile gpu`` for a GPU run), on the device ``train.fit`` would pick:

1. images/s of ``train.fit``'s own step (``bench.bench_training``) in each of the four variants
   of ``train.speed.VARIANTS`` (float32 or bf16 autocast, NCHW or channels_last);
2. the learning check: the same model, seed, photos and number of steps trained through
   ``train.fit`` in float32 and in bf16, then the held-out loss of each; bf16 learns as well when
   its loss is at most ``speed.LEARNS_AS_WELL`` above float32's;
3. the best variant: the fastest among those that learn as well (both float32 variants always
   qualify), beside the default that ``train.speed.FASTEST`` declares, and their ratio.

The last lines print the ``FASTEST`` rows these measurements give, to paste into
``train/speed.py`` (on CUDA also each variant's peak memory). Timings are medians of a few steps
after a warm-up; on a busy machine they include waits for a core (the load average is printed).
"""
from __future__ import annotations

import time

import torch

from colorlab import data, models, profiles, tasks, train
from colorlab.cli import bench
from colorlab.train import speed

# The models the workbook trains (notebooks 03–12).
TRAINED = ["regression", "vgg16_decoder", "koalarization", "gray_classifier", "zhang_eccv16",
           "unet", "unet_gan", "deep_colorization", "zhang_hints", "rtnet", "hnet"]


def images_per_second(name: str, cfg, steps: int, dev) -> tuple[dict, dict]:
    """({variant: training images/s}, {variant: peak MiB on CUDA, else None}) for ``name`` at
    the size, width and batch of profile ``cfg``."""
    rates, peaks = {}, {}
    for key, v in speed.VARIANTS.items():
        r = bench.bench_training(name, {"width": cfg.width}, size=cfg.size, batch=cfg.batch_size,
                                 steps=steps, bf16=v.bf16, channels_last=v.channels_last,
                                 device=dev)
        rates[key], peaks[key] = r["img_per_s"], r["peak_mib"]
    return rates, peaks


def learning_check(name: str, cfg, steps: int = 150, dev=None) -> dict:
    """Train ``name`` for ``steps`` steps in float32 and in bf16 (same seed and photos: the
    bundled flowers, 90 % of them, at profile ``cfg``'s size, width and batch) and evaluate each
    on the other 10 %.

    Returns {"fp32": {"val_loss", "val_auc" (None if the task has none), "seconds"}, "bf16": {…},
    "learns_as_well": bool}.
    """
    dev = torch.device(dev or "cpu")
    photos = data.load("flowers", size=cfg.size, progress=False)
    tr, va = photos.split(0.1)
    out = {}
    for label, amp in (("fp32", False), ("bf16", True)):
        task = tasks.for_model(models.REGISTRY[name], size=cfg.size, profile=cfg.name)
        torch.manual_seed(0)
        model = models.build(name, width=cfg.width, **task.model_kwargs(tr))
        t0 = time.perf_counter()
        train.fit(model, task, tr, None, epochs=1000, batch_size=cfg.batch_size, seed=0, amp=amp,
                  channels_last=False, max_steps=steps, progress=False, device=dev)
        seconds = time.perf_counter() - t0
        ev = train.evaluate(model, task, va, cfg.batch_size, dev)
        out[label] = {"val_loss": ev["loss"], "val_auc": ev.get("auc"), "seconds": seconds}
    out["learns_as_well"] = out["bf16"]["val_loss"] <= out["fp32"]["val_loss"] * (1 + speed.LEARNS_AS_WELL)
    return out


def best_variant(rates: dict, bf16_learns: bool) -> str:
    """The fastest variant among those allowed (bf16 ones only if bf16 learns as well)."""
    allowed = {k: r for k, r in rates.items() if bf16_learns or not speed.VARIANTS[k].bf16}
    return max(allowed, key=allowed.get)


def measure(name: str, cfg, steps: int, check_steps: int, dev) -> dict:
    """One model's row: images/s (and CUDA peak MiB) per variant, the learning check, the
    default on ``dev`` and the best."""
    rates, peaks = images_per_second(name, cfg, steps, dev)
    check = learning_check(name, cfg, check_steps, dev)
    default = speed.name_of(speed.choose(name, dev))
    best = best_variant(rates, check["learns_as_well"])
    return {"rates": rates, "peaks": peaks, "check": check, "default": default, "best": best,
            "ratio": rates[default] / rates[best]}


def print_row(name: str, r: dict) -> None:
    c = r["check"]
    learns = (f"{c['fp32']['val_loss']:.4f} → {c['bf16']['val_loss']:.4f} "
              f"{'yes' if c['learns_as_well'] else 'NO'}")
    print(f"{name:<18}" + "".join(f"{r['rates'][k]:>9.0f}" for k in speed.VARIANTS)
          + f"  {learns:<24}{r['default']:>9}{r['best']:>9}{r['ratio']:>10.0%}", flush=True)
    if r["peaks"]["fp32"] is not None:
        print(f"{'  peak MiB':<18}" + "".join(f"{r['peaks'][k]:>9.0f}" for k in speed.VARIANTS))


def main(quick: bool = False, names=None, profile: str = "cpu", device=None) -> dict:
    """Measure every model in ``names`` (default :data:`TRAINED`) at ``profile``'s size, width
    and batch on ``device`` (default: the one fit picks), print the table and the ``FASTEST``
    rows it gives; return {name: row}. ``quick``: the smoke profile, a step or two."""
    names = names or TRAINED
    cfg = profiles.get("smoke" if quick else profile)
    steps, check_steps = (1, 4) if quick else (5, 150)
    dev = train.pick_device(device)
    kind = speed.device_kind(dev)
    print(f"colorlab bench --variants — torch {torch.__version__}, {dev}, "
          f"{torch.get_num_threads()} threads{bench._load()}"
          + (f", bf16 instructions: {speed.cpu_has_bf16()}" if kind == "cpu" else ""))
    print(f"training images/s, profile {cfg.name}: {cfg.size} px, batch {cfg.batch_size}, width "
          f"{cfg.width}; learning check: held-out loss after {check_steps} steps, fp32 → bf16, "
          f"as well if ≤ +{speed.LEARNS_AS_WELL:.0%}")
    print(f"{'model':<18}" + "".join(f"{k:>9}" for k in speed.VARIANTS)
          + f"  {'learning check':<24}{'default':>9}{'best':>9}{'def/best':>10}")
    rows = {}
    for name in names:
        rows[name] = measure(name, cfg, steps, check_steps, dev)
        print_row(name, rows[name])
    print(f"\nFASTEST rows these figures give ({kind}):")
    for name, r in rows.items():
        print(f'    "{name}": {{"{kind}": "{r["best"]}"}},')
    return rows


def print_check(name: str = "zhang_eccv16", profile: str = "cpu") -> dict:
    """``bench --bf16-check``: :func:`learning_check` of one model, printed; returns it."""
    cfg = profiles.get(profile)
    res = learning_check(name, cfg)
    print(f"\nbf16 autocast on the CPU vs float32 ({name} w={cfg.width}, {cfg.size} px, 150 steps "
          f"of {cfg.batch_size}):")
    for k in ("fp32", "bf16"):
        v = res[k]
        auc = "" if v["val_auc"] is None else f", val AuC {v['val_auc']:.4f}"
        print(f"  {k}: val loss {v['val_loss']:.4f}{auc}, {v['seconds']:.0f} s")
    return res
