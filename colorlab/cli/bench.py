"""``python -m colorlab bench``: throughput figures, each against a baseline run in the same process.

Prints
- RGB→Lab in torch (float, and uint8 as training batches convert it) vs scikit-image
  (16 × 3 × 256 × 256), as ratios;
- soft encoding (exact 5-NN, σ = 5) vs scikit-learn ``NearestNeighbors`` — the released Zhang
  et al. code's way — on 16 × 256 × 256 ab values, two ways, each as a ratio: the sparse target
  the loss uses (5 bin indices + 5 weights per pixel, ``bins.soft_encode_sparse``) and the dense
  (N, 313, H, W) one (``bins.soft_encode``; its time is mostly writing 1.3 GB);
- a training step as ``train.fit`` takes it, for the models the cpu profile trains (batch 32,
  width 0.25) at 64 and 128 px: images/s and where the step's time goes — fetching the photos
  from the uint8 array, the random crop and flip, the Lab conversion, the soft targets (the
  classification task), forward + backward, the optimizer step, and the rest ("other": seeding,
  the finiteness check, the scheduler, the logs) — and the share outside forward + backward;
- per model at 64 px: training images/s in float32 and bfloat16 autocast, and milliseconds to
  colorize a 512 × 512 photo, beside the review's 6.78 s / 17.41 s for Cheng et al.'s Deep
  Colorization.
Each figure is a median over a few repeats after a warm-up. Nothing here is asserted: timings
depend on the machine and on what else runs on it; ratios and shares are what to compare.
"""
from __future__ import annotations

import os
import time
from types import SimpleNamespace

import numpy as np
import torch

from colorlab import data, models, tasks, train
from colorlab.color import bins
from colorlab.color import rgb_to_lab
from colorlab.evaluate.inference import colorize
from colorlab.show import widgets

# Beniwal et al. (review), Table/§ on Deep Colorization (Cheng et al.): seconds per image.
CHENG_SECONDS = {256: 6.78, 512: 17.41}

# The parts of a training step, in the order they happen, and their column titles.
STAGES = {"fetch": "fetch", "crop": "crop", "lab": "Lab", "targets": "targets",
          "fwd_bwd": "fwd+bwd", "optimizer": "optim", "other": "other"}

# The models the cpu profile trains, at its width.
CPU_MODELS = [("regression", {"width": 0.25}), ("vgg16_decoder", {"width": 0.25}),
              ("zhang_eccv16", {"width": 0.25}), ("gray_classifier", {"width": 0.25})]
# The colouring models for images/s in bf16 and colorize times (the last at the published width).
MODELS = [("regression", {"width": 0.25}), ("vgg16_decoder", {"width": 0.25}),
          ("zhang_eccv16", {"width": 0.25}), ("zhang_eccv16", {"width": 1.0})]


def median_time(fn, repeats: int = 3, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def bench_lab(n: int = 16, size: int = 256) -> dict:
    from skimage.color import rgb2lab
    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    rgb = (u8 / np.float32(255)).astype(np.float32)
    t = torch.from_numpy(rgb).permute(0, 3, 1, 2).contiguous()
    ours = median_time(lambda: rgb_to_lab(t))
    ours_u8 = median_time(lambda: tasks.to_lab(torch.from_numpy(u8)))
    base = median_time(lambda: rgb2lab(rgb), repeats=2)
    return {"ours_s": ours, "ours_u8_s": ours_u8, "skimage_s": base, "ratio": base / ours,
            "ratio_u8": base / ours_u8}


def bench_soft_encode(n: int = 16, size: int = 256) -> dict:
    """Sparse and dense soft encoding against scikit-learn's ``NearestNeighbors``.

    The baseline is the released code's way: ``kneighbors`` (ball tree), Gaussian weights,
    normalised (sparse); for the dense form then written into a zeroed (P, 313) float32 array
    and laid out as (N, 313, H, W), like ``bins.soft_encode``'s result.
    """
    from sklearn.neighbors import NearestNeighbors
    g = torch.Generator().manual_seed(0)
    ab = torch.rand(n, 2, size, size, generator=g) * 200 - 100
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2).numpy().astype(np.float64)
    nn = NearestNeighbors(n_neighbors=bins.K_NEIGHBOURS, algorithm="ball_tree").fit(bins.ab_bins())

    def sklearn_sparse():
        d, i = nn.kneighbors(flat)
        w = np.exp(-d ** 2 / (2 * bins.SIGMA ** 2))
        return i, w / w.sum(1, keepdims=True)

    def sklearn_dense():
        i, w = sklearn_sparse()
        dense = np.zeros((len(flat), bins.Q), dtype=np.float32)
        np.put_along_axis(dense, i, w.astype(np.float32), axis=1)
        return np.ascontiguousarray(dense.reshape(n, size, size, bins.Q).transpose(0, 3, 1, 2))

    sparse = median_time(lambda: bins.soft_encode_sparse(ab))
    base_sparse = median_time(sklearn_sparse, repeats=2)
    dense = median_time(lambda: bins.soft_encode(ab), repeats=2)
    base_dense = median_time(sklearn_dense, repeats=2, warmup=0)
    return {"sparse_s": sparse, "sklearn_sparse_s": base_sparse, "sparse_ratio": base_sparse / sparse,
            "dense_s": dense, "sklearn_dense_s": base_dense, "dense_ratio": base_dense / dense,
            "dense_gb": n * bins.Q * size * size * 4 / 1e9}


def _photos(n: int, size: int) -> np.ndarray:
    try:
        return np.array(data.load("flowers", size=size, limit=n, progress=False).images)
    except (FileNotFoundError, ValueError):
        return np.random.default_rng(0).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def _training_data(n: int, size: int):
    """n flowers at ``size`` px as ``data.load`` gives them (a memmap, with labels), or noise."""
    try:
        return data.load("flowers", size=size, limit=n, progress=False)
    except (FileNotFoundError, ValueError):
        rng = np.random.default_rng(0)
        return SimpleNamespace(images=rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8),
                               labels=rng.integers(0, 5, n), classes=list("abcde"))


class _Stopwatch:
    """Seconds spent in calls wrapped by ``wrap``, per stage; ``reset`` before each step."""

    def __init__(self):
        self.seconds = dict.fromkeys(STAGES, 0.0)
        self._t0 = 0.0

    def reset(self):
        self.seconds = dict.fromkeys(STAGES, 0.0)

    def wrap(self, stage: str, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - t0
        return timed

    def start(self, *_):                     # optimizer step pre-hook
        self._t0 = time.perf_counter()

    def stop(self, *_):                      # optimizer step post-hook
        self.seconds["optimizer"] += time.perf_counter() - self._t0


def bench_training(name: str, kwargs: dict, size: int = 64, batch: int = 32, steps: int = 5,
                   bf16: bool = False, warmup: int = 1, channels_last: bool = False,
                   device=None) -> dict:
    """Training steps as ``train.fit`` takes them, timed part by part.

    Each step is fit's: ``train.feeding.fetch`` from the uint8 array → seeding → ``task.batch`` (crop,
    Lab) → ``train.train_step`` (zero_grad, forward with the targets, backward, optimizer step) → finiteness check
    → scheduler step → logs (``train.loop._log_step``). The crop, the Lab conversion, the targets and
    the optimizer step are timed by wrapping ``tasks.batches.random_crop_flip``, ``tasks.batches.to_lab``,
    ``task.targets`` and the optimizer's step hooks; forward + backward is the rest of
    ``train.train_step``, "other" the rest of the step.

    bf16: under bf16 autocast; channels_last: the model's weights in NHWC layout (as ``fit`` does
    for a model whose ``train.speed`` variant says so); device: "cpu" (default), "cuda" …; on
    CUDA the result also holds ``peak_mib``, the most memory the steps held.
    Returns img_per_s and step_s (median step), ``seconds`` per stage (medians over ``steps``
    steps after ``warmup``), ``shares`` (those medians over their sum) and ``outside_share``
    (1 − the forward + backward share).
    """
    dev = torch.device(device or "cpu")
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    photos = _training_data(2 * batch, size)
    task = tasks.for_model(models.REGISTRY[name], size=size, profile="cpu")
    torch.manual_seed(0)
    model = models.build(name, **kwargs, **task.model_kwargs(photos)).to(dev)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    task.prepare(photos)                     # e.g. count the prior the loss rebalances with
    nets = task.wrap(model, lambda net: net)
    autocast = train.autocast_for(dev, bf16)
    optimizers = task.configure_optimizers(model)
    schedulers = task.configure_schedulers(optimizers, warmup + steps)
    images, labels = train.feeding.images_and_labels(photos)
    watch = _Stopwatch()
    saved = tasks.batches.random_crop_flip, tasks.batches.to_lab
    tasks.batches.random_crop_flip = watch.wrap("crop", tasks.batches.random_crop_flip)
    tasks.batches.to_lab = watch.wrap("lab", tasks.batches.to_lab)
    if hasattr(task, "targets"):
        task.targets = watch.wrap("targets", task.targets)
    hooks = [h for o in optimizers for h in (o.register_step_pre_hook(watch.start),
                                             o.register_step_post_hook(watch.stop))]
    run = SimpleNamespace(task=task, nets=nets, optimizers=optimizers, schedulers=schedulers,
                          autocast=autocast, images=images, labels=labels, batch=batch, dev=dev,
                          per_epoch=len(images) // batch, history=train.History(), sums={},
                          bar=train.loop._progress_bar(warmup + steps, 0, False), watch=watch)
    try:
        model.train()
        rows = [_timed_step(run, i) for i in range(warmup + steps)][warmup:]
    finally:
        tasks.batches.random_crop_flip, tasks.batches.to_lab = saved
        for h in hooks:
            h.remove()
        run.bar.close()
    return _summary(rows, batch, dev)


def _summary(rows: list, batch: int, dev) -> dict:
    """:func:`bench_training`'s result from its timed steps [(seconds, {stage: seconds})]."""
    seconds = {k: float(np.median([sec[k] for _, sec in rows])) for k in STAGES}
    total = sum(seconds.values())
    shares = {k: v / total for k, v in seconds.items()}
    step_s = float(np.median([t for t, _ in rows]))
    peak = torch.cuda.max_memory_allocated(dev) / 2 ** 20 if dev.type == "cuda" else None
    return {"img_per_s": batch / step_s, "step_s": step_s, "seconds": seconds, "shares": shares,
            "outside_share": 1 - shares["fwd_bwd"], "peak_mib": peak}


def _timed_step(run, i: int) -> tuple[float, dict]:
    """Step ``i`` of :func:`bench_training`, as fit takes it: (its seconds, seconds per stage)."""
    epoch, j = divmod(i, run.per_epoch)
    run.watch.reset()
    t0 = time.perf_counter()
    order = train.feeding.epoch_order(len(run.images), 0, epoch, 0, 1)
    x, y = train.feeding.fetch(run.images, run.labels, order[j * run.batch:(j + 1) * run.batch], run.dev)
    t1 = time.perf_counter()
    gen = train.feeding.seeded(0, epoch, j, 0)
    torch.manual_seed(int(torch.randint(0, 2 ** 62, (1,), generator=gen)))
    b = run.task.batch(x, y, train=True, gen=gen)
    t2 = time.perf_counter()
    out = train.train_step(run.task, run.nets, b, run.optimizers, run.autocast)
    t3 = time.perf_counter()
    logs = train.loop._as_floats(out)
    train.loop._check_finite(logs, run.history, f"step {i + 1}", None, None)
    for s in run.schedulers:
        s.step()
    train.loop._log_step(logs, run.sums, run.history, run.bar, epoch)
    t4 = time.perf_counter()
    sec = dict(run.watch.seconds)
    sec["fetch"] = t1 - t0
    sec["fwd_bwd"] = (t3 - t2) - sec["targets"] - sec["optimizer"]
    sec["other"] = (t2 - t1) - sec["crop"] - sec["lab"] + (t4 - t3)
    return t4 - t0, sec


def bench_colorize(name: str, kwargs: dict, size: int = 512) -> float:
    """Milliseconds to colorize one size × size photo at full resolution."""
    torch.manual_seed(0)
    model = models.build(name, **kwargs).eval()
    img = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return 1000 * median_time(lambda: colorize(model, img, size=size), repeats=2)


def bench_temperature_widget(size: int = 256) -> list[float]:
    """Milliseconds per slider change of the temperature explorer (logits computed once)."""
    torch.manual_seed(0)
    model = models.build("zhang_eccv16", width=0.25).eval()
    photo = _photos(1, 128)[0]
    ex = widgets.temperature_explorer(model, photo, size=size)
    times = []
    for T in np.geomspace(widgets.temperature.T_MIN, widgets.temperature.T_MAX, 20):
        ex.update(float(T))
        times.append(ex.last_ms)
    return times


def bench_hint_painter(name: str = "zhang_hints", size: int = 224, strokes: int = 12) -> list[float]:
    """Milliseconds per redraw of the hint painter after a stroke, with its widget built (the network,
    the PNG and the canvas drawing; no browser attached). An untrained ``name`` at the cpu width:
    the time does not depend on the weights. HNet gets a fresh RTNet inside."""
    torch.manual_seed(0)
    model = models.build(name, width=0.25).eval()
    painter = widgets.hint_painter(model, _photos(1, 256)[0], size=size)
    painter.widget  # noqa: B018 — build the canvas and images, as the notebook shows them
    rng = np.random.default_rng(0)
    for _ in range(strokes):
        x, y = rng.uniform(10, size - 10, 2)
        painter.stroke([(x, y), (x + 4, y + 2), (x + 8, y + 3)])
    return painter.redraw_ms[-strokes:]


def _load() -> str:
    """The load average beside the CPU count: on a busy machine every figure here includes waits
    for a core (each multi-threaded operation waits for its slowest thread)."""
    try:
        return f", load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    except (AttributeError, OSError):
        return ""


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.0f} ms" if ms >= 100 else f"{ms:.3g} ms"


def _label(name: str, kw: dict) -> str:
    return f"{name} w={kw['width']}"


def print_breakdown(results: list) -> None:
    """One row per (model, px): img/s, ms per step, each stage's share (%), the outside share."""
    print(f"{'model':<22}{'px':>4}{'img/s':>8}{'ms/step':>9}  "
          + "".join(f"{t:>8}" for t in STAGES.values()) + "  |  outside fwd+bwd")
    for label, size, r in results:
        print(f"{label:<22}{size:>4}{r['img_per_s']:>8.1f}{1e3 * r['step_s']:>9.0f}  "
              + "".join(f"{100 * r['shares'][k]:>8.1f}" for k in STAGES)
              + f"  |  {r['outside_share']:>6.1%}")


def main(quick: bool = False):
    n, size = (2, 64) if quick else (16, 256)
    print(f"colorlab bench — torch {torch.__version__}, {torch.get_num_threads()} threads{_load()}")
    lab = bench_lab(n, size)
    print(f"RGB→Lab {n}×3×{size}×{size}: torch {_ms(lab['ours_s'])} (from uint8, as batches are: "
          f"{_ms(lab['ours_u8_s'])}), scikit-image {_ms(lab['skimage_s'])} → {lab['ratio']:.2f}× "
          f"faster ({lab['ratio_u8']:.2f}× from uint8)")
    se = bench_soft_encode(n, size)
    print(f"soft encoding {n}×{size}×{size} (exact 5 nearest bins, σ = 5) against scikit-learn "
          f"NearestNeighbors, the released code's way:")
    print(f"  sparse, 5 indices + 5 weights: ours {_ms(se['sparse_s'])}, scikit-learn "
          f"{_ms(se['sklearn_sparse_s'])} → {se['sparse_ratio']:.2f}× faster")
    print(f"  dense ({n}, 313, {size}, {size}) float32, {se['dense_gb']:.2g} GB: ours "
          f"{_ms(se['dense_s'])}, scikit-learn {_ms(se['sklearn_dense_s'])} → "
          f"{se['dense_ratio']:.2f}× faster")

    batch, sizes, steps = (4, (64,), 1) if quick else (32, (64, 128), 5)
    print(f"\ntraining step as train.fit takes it — cpu profile, batch {batch}, fp32; median of "
          f"{steps} steps after a warm-up; share of the step in %:")
    results = []
    for px in sizes:
        for name, kw in CPU_MODELS:
            r = bench_training(name, kw, size=px, batch=batch, steps=steps if px == 64 else 3)
            results.append((_label(name, kw), px, r))
    if not quick:                            # the published width, for reference
        results.append((_label("zhang_eccv16", {"width": 1.0}), 64,
                        bench_training("zhang_eccv16", {"width": 1.0}, size=64, batch=batch, steps=3)))
    print_breakdown(results)

    fp32 = {label: r for label, px, r in results if px == 64}
    side = 128 if quick else 512
    print(f"\n{'model':<22}{'train img/s at 64 px, batch ' + str(batch):>34}{'colorize':>12}")
    print(f"{'':<22}{'fp32 (above)':>12}{'bf16 autocast':>22}{f'{side}² (ms)':>12}")
    for name, kw in (MODELS[:3] if quick else MODELS):
        bf16 = bench_training(name, kw, size=64, batch=batch, steps=1 if quick else 2, bf16=True)
        ms = bench_colorize(name, kw, 128 if quick else 512)
        print(f"{_label(name, kw):<22}{fp32[_label(name, kw)]['img_per_s']:>12.1f}"
              f"{bf16['img_per_s']:>22.1f}{ms:>12.0f}")
    print(f"\nfor comparison, the review reports Cheng et al.'s Deep Colorization at "
          f"{CHENG_SECONDS[256]} s (256²) and {CHENG_SECONDS[512]} s (512²) per image")
    ms = bench_temperature_widget(64 if quick else 256)
    print(f"\ntemperature widget, {64 if quick else 256}² photo, zhang_eccv16 w=0.25: median redraw "
          f"{np.median(ms):.0f} ms, max {np.max(ms):.0f} ms over {len(ms)} slider values (budget 100 ms)")
    side = 64 if quick else 224
    for name in ("zhang_hints", "hnet"):
        ms = bench_hint_painter(name, side)
        print(f"hint painter, {side}² photo, {name} w=0.25: median redraw after a stroke "
              f"{np.median(ms):.0f} ms, max {np.max(ms):.0f} ms over {len(ms)} strokes (budget 300 ms at 224²)")


if __name__ == "__main__":
    main()
