"""The benchmark script runs and prints its ratios and its step breakdown (no timing is asserted);
the batches that the fast batch-building code makes are exactly those of a straightforward one."""
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from colorlab import bench, bins, color, tasks


# --- a straightforward reference for batch building --------------------------------------------

def reference_crop_flip(images, size, gen, flip=True):
    """Draw every offset, then every flip (as random_crop_flip does), then cut photo by photo."""
    n, h, w, _ = images.shape
    if gen is None:
        top, left = (h - size) // 2, (w - size) // 2
        return images[:, top:top + size, left:left + size]
    top = torch.randint(0, h - size + 1, (n,), generator=gen)
    left = torch.randint(0, w - size + 1, (n,), generator=gen)
    mirror = torch.rand(n, generator=gen) < 0.5 if flip else torch.zeros(n, dtype=torch.bool)
    crops = []
    for k in range(n):
        crop = images[k, int(top[k]):int(top[k]) + size, int(left[k]):int(left[k]) + size]
        crops.append(crop.flip(1) if mirror[k] else crop)
    return torch.stack(crops)


def reference_lab(images_u8):
    """uint8 → float / 255 → the step-by-step conversion (rgb_to_xyz, then xyz_to_lab)."""
    rgb = images_u8.permute(0, 3, 1, 2).float() / 255
    return color.xyz_to_lab(color.rgb_to_xyz(rgb))


def photos(n, h, w, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).integers(0, 256, (n, h, w, 3), dtype=np.uint8))


@pytest.mark.parametrize("n,h,w,size", [(32, 64, 64, 64), (32, 72, 80, 64), (16, 128, 128, 128),
                                        (5, 40, 33, 32), (3, 33, 33, 33)])
@pytest.mark.parametrize("threads", [1, 2])
def test_batches_equal_the_straightforward_reference(n, h, w, size, threads):
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        x = photos(n, h, w, seed=n + h)
        for flip in (True, False):
            g_fast, g_ref = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
            fast, ref = tasks.random_crop_flip(x, size, g_fast, flip), reference_crop_flip(x, size, g_ref, flip)
            assert torch.equal(fast, ref)
            assert torch.equal(g_fast.get_state(), g_ref.get_state())       # the same draws
        assert torch.equal(tasks.random_crop_flip(x, size, None), reference_crop_flip(x, size, None))
        for task in (tasks.Regression(size=size, profile="cpu"),
                     tasks.Classification(size=size, profile="cpu", prior="imagenet")):
            for train in (True, False):
                g_fast, g_ref = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
                b = task.batch(x, None, train=train, gen=g_fast)
                lab = reference_lab(reference_crop_flip(x, size, g_ref if train else None))
                assert torch.equal(b["L"], lab[:, :1]) and torch.equal(b["ab"], lab[:, 1:])
                assert b["L"].stride() == lab[:, :1].stride()
                assert torch.equal(g_fast.get_state(), g_ref.get_state())
    finally:
        torch.set_num_threads(before)


def test_lab_of_every_byte_value_equals_the_reference():
    """Every byte value, alone (the C library's pow) and in a batch (torch's vectorised pow)."""
    v = torch.arange(256, dtype=torch.uint8)
    batch = torch.stack([v, v.roll(85), v.roll(170)], -1).view(1, 16, 16, 3).repeat(4, 1, 1, 1)
    assert torch.equal(tasks.to_lab(batch), reference_lab(batch))
    for k in range(256):
        one = batch[:1, k // 16, k % 16][:, None, None]                      # (1, 1, 1, 3)
        assert torch.equal(tasks.to_lab(one), reference_lab(one))


def test_targets_equal_a_straightforward_knn_on_a_batch():
    """The sparse soft targets of a real batch against all-313 distances (float64), no near ties."""
    ab = tasks.to_lab(photos(8, 64, 64))[:, 1:]
    idx, wgt = bins.soft_encode_sparse(ab)
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2).double()
    d2 = torch.cdist(flat, torch.from_numpy(bins.ab_bins())) ** 2
    best, ref_idx = d2.topk(6, dim=1, largest=False)
    clear = (best[:, 5] - best[:, 4] > 1e-3) & ((best[:, 1:5] - best[:, :4]) > 1e-3).all(1)
    ours = idx.permute(0, 2, 3, 1).reshape(-1, 5)
    assert clear.float().mean() > 0.99
    assert torch.equal(ours[clear], ref_idx[clear, :5])
    ref_w = torch.exp(-(best[:, :5] - best[:, :1]) / (2 * bins.SIGMA ** 2))
    ref_w = ref_w / ref_w.sum(1, keepdim=True)
    torch.testing.assert_close(wgt.permute(0, 2, 3, 1).reshape(-1, 5).double()[clear], ref_w[clear],
                               atol=1e-5, rtol=1e-5)


# --- the benchmark ----------------------------------------------------------------------------

def test_bench_quick_prints_ratios_and_the_step_breakdown():
    r = subprocess.run([sys.executable, "-m", "colorlab", "bench", "--quick"], capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    out = r.stdout
    assert "RGB→Lab" in out and "× faster" in out and "6.78 s" in out
    assert re.search(r"hint painter, \d+² photo, zhang_hints w=0.25: median redraw after a stroke \d+ ms", out)
    assert re.search(r"hint painter, \d+² photo, hnet w=0.25: median redraw after a stroke \d+ ms", out)
    assert re.search(r"sparse, 5 indices \+ 5 weights: .* → [\d.]+× faster", out)
    assert re.search(r"dense \(\d+, 313, \d+, \d+\) .* → [\d.]+× faster", out)
    header = next(line for line in out.splitlines() if "outside fwd+bwd" in line)
    assert all(t in header for t in bench.STAGES.values())
    rows = [line for line in out.splitlines() if "|" in line and line.split()[0] in
            {name for name, _ in bench.CPU_MODELS}]
    assert {row.split()[0] for row in rows} == {name for name, _ in bench.CPU_MODELS}
    for row in rows:
        left, right = row.split("|")
        shares = [float(v) for v in left.split()[-len(bench.STAGES):]]
        assert all(0 <= s <= 100 for s in shares), row
        assert abs(sum(shares) - 100) < 0.5, row                         # rounded to 0.1 each
        outside = float(right.strip().rstrip("%"))
        fwd_bwd = shares[list(bench.STAGES).index("fwd_bwd")]
        assert 0 <= outside <= 100 and abs(outside + fwd_bwd - 100) < 0.2, row


def test_bench_training_shares_add_up():
    r = bench.bench_training("zhang_eccv16", {"width": 0.125}, size=32, batch=4, steps=2)
    assert set(r["shares"]) == set(bench.STAGES)
    assert all(0 <= s <= 1 for s in r["shares"].values())
    assert abs(sum(r["shares"].values()) - 1) < 1e-9
    assert r["seconds"]["targets"] > 0 and r["seconds"]["lab"] > 0 and r["seconds"]["optimizer"] > 0
    assert r["outside_share"] == pytest.approx(1 - r["shares"]["fwd_bwd"])
    assert tasks.random_crop_flip.__name__ == "random_crop_flip"             # unwrapped again


def test_bench_hint_painter_times_one_redraw_per_stroke():
    ms = bench.bench_hint_painter("zhang_hints", size=48, strokes=3)
    assert len(ms) == 3 and all(0 < t < 60_000 for t in ms)
