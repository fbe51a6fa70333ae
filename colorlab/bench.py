"""``python -m colorlab bench``: throughput figures, each against a baseline run in the same process.

Prints
- RGB→Lab in torch vs scikit-image (16 × 3 × 256 × 256), as a ratio;
- soft encoding (exact 5-NN, σ = 5) vs scikit-learn ``NearestNeighbors`` — the released Zhang
  et al. code's way — on 16 × 256 × 256 ab values, as a ratio;
- per model at 64 px: training images/s in float32 and bfloat16 autocast, the share of a step
  spent outside forward/backward (batch building + optimizer), and milliseconds to colorize a
  512 × 512 photo, beside the review's 6.78 s / 17.41 s for Cheng et al.'s Deep Colorization.
Each figure is the median of a few repeats after a warm-up. Nothing here is asserted: timings
depend on the machine; ratios are what to compare.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from colorlab import bins, data, models, tasks, train, widgets
from colorlab.color import rgb_to_lab
from colorlab.inference import colorize

# Beniwal et al. (review), Table/§ on Deep Colorization (Cheng et al.): seconds per image.
CHENG_SECONDS = {256: 6.78, 512: 17.41}


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
    rgb = rng.random((n, size, size, 3), dtype=np.float32)
    t = torch.from_numpy(rgb).permute(0, 3, 1, 2).contiguous()
    ours = median_time(lambda: rgb_to_lab(t))
    base = median_time(lambda: rgb2lab(rgb), repeats=2)
    return {"ours_s": ours, "skimage_s": base, "ratio": base / ours}


def bench_soft_encode(n: int = 16, size: int = 256) -> dict:
    from sklearn.neighbors import NearestNeighbors
    g = torch.Generator().manual_seed(0)
    ab = torch.rand(n, 2, size, size, generator=g) * 200 - 100
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2).numpy().astype(np.float64)
    nn = NearestNeighbors(n_neighbors=bins.K_NEIGHBOURS, algorithm="ball_tree").fit(bins.ab_bins())

    def sklearn_way():  # the released code: kneighbors, then Gaussian weights, normalised
        d, _ = nn.kneighbors(flat)
        w = np.exp(-d ** 2 / (2 * bins.SIGMA ** 2))
        return w / w.sum(1, keepdims=True)

    ours = median_time(lambda: bins.soft_encode_sparse(ab))
    base = median_time(sklearn_way, repeats=2)
    return {"ours_s": ours, "sklearn_s": base, "ratio": base / ours}


def _photos(n: int, size: int) -> np.ndarray:
    try:
        return np.array(data.load("flowers", size=size, limit=n, progress=False).images)
    except (FileNotFoundError, ValueError):
        return np.random.default_rng(0).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def bench_training(name: str, kwargs: dict, size: int = 64, batch: int = 16, steps: int = 4,
                   bf16: bool = False) -> dict:
    """Images/s of training steps and the share of a step outside forward + backward."""
    torch.manual_seed(0)
    model = models.build(name, **kwargs).train()
    task = tasks.for_model(model, size=size, profile="cpu")
    task.prepare(_photos(batch, size))     # e.g. count the prior the loss rebalances with
    auto = train.autocast_for(torch.device("cpu"), bf16)
    photos = torch.from_numpy(_photos(batch, size))
    labels = torch.zeros(batch, dtype=torch.long)
    opts = task.configure_optimizers(model, 1e-3)
    gen = torch.Generator().manual_seed(0)
    parts = {"batch": 0.0, "fwd_bwd": 0.0, "opt": 0.0}

    def step(record: bool):
        t0 = time.perf_counter()
        b = task.batch(photos, labels, train=True, gen=gen)
        t1 = time.perf_counter()
        opts[0].zero_grad(set_to_none=True)
        with auto():
            loss, _ = task.loss(model, b)
        loss.backward()
        t2 = time.perf_counter()
        opts[0].step()
        t3 = time.perf_counter()
        if record:
            parts["batch"] += t1 - t0
            parts["fwd_bwd"] += t2 - t1
            parts["opt"] += t3 - t2

    step(False)
    for _ in range(steps):
        step(True)
    total = sum(parts.values())
    return {"img_per_s": batch * steps / total, "outside_share": 1 - parts["fwd_bwd"] / total}


def bench_colorize(name: str, kwargs: dict, size: int = 512) -> float:
    """Milliseconds to colorize one size × size photo at full resolution."""
    torch.manual_seed(0)
    model = models.build(name, **kwargs).eval()
    img = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return 1000 * median_time(lambda: colorize(model, img, size=size), repeats=2)


def bf16_learning_check(name: str = "zhang_eccv16", width: float = 0.25, size: int = 64,
                        steps: int = 150, batch: int = 32) -> dict:
    """Does bf16 autocast on the CPU learn as well as float32? Same model, seed, data and steps.

    Returns {precision: {"val_loss", "val_auc", "seconds"}} on held-out flowers.
    """
    photos = data.load("flowers", size=size, progress=False)
    tr, va = photos.split(0.1)
    out = {}
    for label, amp in (("fp32", False), ("bf16", True)):
        torch.manual_seed(0)
        model = models.build(name, width=width)
        task = tasks.for_model(model, size=size, profile="cpu")
        t0 = time.perf_counter()
        train.fit(model, task, tr, None, epochs=100, batch_size=batch, lr=1e-3, seed=0,
                  amp=amp, max_steps=steps, progress=False, device="cpu")
        seconds = time.perf_counter() - t0
        ev = train.evaluate(model, task, va, batch, torch.device("cpu"))
        out[label] = {"val_loss": ev["loss"], "val_auc": ev["auc"], "seconds": seconds}
    return out


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


MODELS = [("regression", {"width": 0.25}), ("vgg16_decoder", {"width": 0.25}),
          ("zhang_eccv16", {"width": 0.25}), ("zhang_eccv16", {"width": 1.0})]


def main(quick: bool = False, bf16_check: bool = False):
    n, size = (2, 64) if quick else (16, 256)
    print(f"colorlab bench — torch {torch.__version__}, {torch.get_num_threads()} threads")
    lab = bench_lab(n, size)
    print(f"RGB→Lab {n}×3×{size}×{size}: torch {lab['ours_s'] * 1e3:.0f} ms, scikit-image "
          f"{lab['skimage_s'] * 1e3:.0f} ms → {lab['ratio']:.2f}× faster")
    se = bench_soft_encode(n, size)
    print(f"soft encoding {n}×{size}×{size}: ours {se['ours_s'] * 1e3:.0f} ms, scikit-learn "
          f"NearestNeighbors {se['sklearn_s'] * 1e3:.0f} ms → {se['ratio']:.2f}× faster")
    print("\nmodel                 train img/s fp32  bf16   outside fwd/bwd   colorize 512² (ms)")
    models_ = MODELS[:3] if quick else MODELS
    for name, kw in models_:
        steps = 1 if quick else 4
        fp32 = bench_training(name, kw, steps=steps)
        bf16 = bench_training(name, kw, steps=steps, bf16=True)
        ms = bench_colorize(name, kw, 128 if quick else 512)
        label = f"{name} w={kw['width']}"
        print(f"{label:<22}{fp32['img_per_s']:>14.1f}{bf16['img_per_s']:>7.1f}"
              f"{fp32['outside_share']:>14.1%}{ms:>18.0f}")
    print(f"\nfor comparison, the review reports Cheng et al.'s Deep Colorization at "
          f"{CHENG_SECONDS[256]} s (256²) and {CHENG_SECONDS[512]} s (512²) per image")
    if bf16_check:
        res = bf16_learning_check()
        print("\nbf16 autocast on the CPU vs float32 (zhang_eccv16 w=0.25, 64 px, 150 steps of 32):")
        for k, v in res.items():
            print(f"  {k}: val loss {v['val_loss']:.4f}, val AuC {v['val_auc']:.4f}, {v['seconds']:.0f} s")
    ms = bench_temperature_widget(64 if quick else 256)
    print(f"\ntemperature widget, {64 if quick else 256}² photo, zhang_eccv16 w=0.25: median redraw "
          f"{np.median(ms):.0f} ms, max {np.max(ms):.0f} ms over {len(ms)} slider values (budget 100 ms)")


if __name__ == "__main__":
    main()
