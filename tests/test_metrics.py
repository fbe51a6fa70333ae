"""Tests for colorlab.metrics: each metric against a library, a hand-computed value, or its limits."""
import warnings

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from colorlab import color, metrics
from colorlab.color import bins


def rand_u8(*shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def noisy(img_u8, sigma, seed=1):
    noise = np.random.default_rng(seed).normal(0, sigma, img_u8.shape)
    return np.clip(np.round(img_u8 + noise), 0, 255).astype(np.uint8)


def smooth_image(h=32, w=32):
    """A colourful, smooth uint8 test image (gradients in every channel)."""
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    return np.round(np.stack([x, y, 1 - (x + y) / 2], -1) * 255).astype(np.uint8)


# --- PSNR ---------------------------------------------------------------------------------------

def test_psnr_matches_skimage_on_random_pairs():
    for seed in range(3):
        a, b = rand_u8(16, 20, 3, seed=seed), rand_u8(16, 20, 3, seed=seed + 10)
        assert metrics.psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=255),
                                                   abs=1e-10)


def test_psnr_one_level_everywhere_is_exact():
    a = rand_u8(8, 8, 3).clip(0, 254)
    assert metrics.psnr(a, a + 1) == pytest.approx(20 * np.log10(255), abs=1e-12)  # 48.13 dB
    assert metrics.psnr(a, a + 1) == pytest.approx(48.1308, abs=1e-4)


def test_psnr_identical_is_capped():
    a = rand_u8(8, 8, 3)
    assert metrics.psnr(a, a) == metrics.PSNR_CAP == 100.0
    batch = np.stack([a, a])
    b2 = batch.copy()
    b2[1] = noisy(a, 10)
    vals = metrics.psnr(batch, b2, per_image=True)
    assert vals[0] == 100.0 and vals[1] < 40
    assert metrics.psnr(batch, b2) == pytest.approx(vals.mean())


def test_image_layouts_give_the_same_number():
    a, b = rand_u8(2, 12, 10, 3, seed=3), noisy(rand_u8(2, 12, 10, 3, seed=3), 20)
    layouts = [lambda x: x, lambda x: x / 255.0, lambda x: (x / 255.0).astype(np.float32),
               lambda x: torch.from_numpy(x / 255.0).permute(0, 3, 1, 2).float()]
    for fn in (metrics.psnr, metrics.psnr_hvs_m, metrics.ssim):
        values = [fn(f(a), f(b)) for f in layouts]
        assert np.allclose(values, values[0], rtol=0, atol=1e-12), fn.__name__
        # one image: HWC numpy == its torch (3, H, W) == the first of the batch
        single = fn(a[0], b[0])
        assert single == pytest.approx(fn(torch.from_numpy(a[0] / 255).permute(2, 0, 1),
                                          torch.from_numpy(b[0] / 255).permute(2, 0, 1)))
        assert single == pytest.approx(fn(a, b, per_image=True)[0])


def test_shape_mismatch_raises_with_both_shapes():
    for fn in (metrics.psnr, metrics.psnr_hvs_m, metrics.ssim, metrics.mae):
        with pytest.raises(ValueError, match=r"\(8, 8, 3\).*\(8, 9, 3\)"):
            fn(rand_u8(8, 8, 3), rand_u8(8, 9, 3))
    with pytest.raises(ValueError, match="differ"):
        metrics.auc(np.zeros((4, 4, 2)), np.zeros((4, 5, 2)))
    with pytest.raises(ValueError):
        metrics.psnr(rand_u8(8, 8, 4), rand_u8(8, 8, 4))


# --- PSNR-HVS-M -----------------------------------------------------------------------------------

def test_psnr_hvs_m_identical_and_decreasing_with_noise():
    a = smooth_image(32, 40)
    assert metrics.psnr_hvs_m(a, a) == 100.0
    scores = [metrics.psnr_hvs_m(a, noisy(a, s)) for s in (2, 5, 10, 20)]
    assert all(s1 > s2 for s1, s2 in zip(scores, scores[1:])), scores
    assert scores[0] < 100


def test_psnr_hvs_m_pads_odd_sizes_and_channels():
    a = rand_u8(37, 45, 3, seed=5)
    b = noisy(a, 8)
    assert metrics.psnr_hvs_m(a, a) == 100.0
    v = metrics.psnr_hvs_m(a, b)
    assert np.isfinite(v) and 20 < v < 100
    assert metrics.psnr_hvs_m(rand_u8(3, 5, 3), rand_u8(3, 5, 3, seed=9)) < 100  # tiny works too
    per_channel = [metrics.psnr_hvs_m(a, b, channel=c) for c in "rgb"]
    assert all(np.isfinite(per_channel))
    # only the red channel differs → g and b identical
    c = a.copy()
    c[..., 0] = b[..., 0]
    assert metrics.psnr_hvs_m(a, c, channel="g") == 100.0
    assert metrics.psnr_hvs_m(a, c, channel="r") < 100
    flat = np.full((16, 16, 3), 100, dtype=np.uint8)         # flat blocks: no warnings, finite
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert 30 < metrics.psnr_hvs_m(flat, flat + 1) < 100
    with pytest.raises(ValueError, match="channel"):
        metrics.psnr_hvs_m(a, b, channel="u")


# --- SSIM -----------------------------------------------------------------------------------------

def test_ssim_identical_noisy_and_skimage():
    a = smooth_image(24, 24)
    b = noisy(a, 15)
    assert metrics.ssim(a, a) == pytest.approx(1.0)
    s = metrics.ssim(a, b)
    assert 0 < s < 1
    assert s == pytest.approx(structural_similarity(a, b, channel_axis=-1, data_range=255))
    with pytest.raises(ValueError, match="at least 7"):
        metrics.ssim(rand_u8(6, 20, 3), rand_u8(6, 20, 3))


# --- MAE ------------------------------------------------------------------------------------------

def test_mae():
    a = np.zeros((2, 4, 4, 2))
    assert metrics.mae(a, a + 3) == 3.0
    assert metrics.mae(torch.zeros(1, 2, 3, 3), torch.full((1, 2, 3, 3), -2.5)) == 2.5
    x = np.array([0, 255], dtype=np.uint8)
    assert metrics.mae(x, x[::-1]) == 255.0  # no uint8 wrap-around


# --- AuC ------------------------------------------------------------------------------------------

def colourful_ab(n=2, h=16, w=16, seed=0):
    return np.random.default_rng(seed).uniform(-60, 60, (n, h, w, 2))


def test_auc_perfect_and_constant_error():
    ab = colourful_ab()
    assert metrics.auc(ab, ab) == 1.0
    # error (6, 8) everywhere = distance 10: acc(t) = 0 for t < 10, 1 from 10 on
    # trapezoids: ½ on [9, 10] and 1 on each of the 140 intervals [10, 11] … [149, 150]
    assert metrics.auc(ab + np.array([6.0, 8.0]), ab) == pytest.approx(140.5 / 150, abs=1e-12)
    curve = metrics.accuracy_curve(ab + np.array([6.0, 8.0]), ab)
    assert curve.shape == (151,) and curve[9] == 0 and curve[10] == 1
    # torch layout, same answer
    t = torch.from_numpy(ab).permute(0, 3, 1, 2)
    assert metrics.auc(t + torch.tensor([6.0, 8.0]).view(1, 2, 1, 1), t) == pytest.approx(140.5 / 150)
    assert metrics.auc(ab + 1000, ab) == 0.0


def test_auc_gray_below_one_and_monotone():
    ab = colourful_ab()
    gray = np.zeros_like(ab)
    assert metrics.auc(gray, ab) < 0.9
    scores = [metrics.auc(ab * (1 - f), ab) for f in (0.0, 0.25, 0.5, 0.75, 1.0)]  # 1.0 = gray
    assert all(s1 > s2 for s1, s2 in zip(scores, scores[1:])), scores
    with pytest.raises(ValueError, match="weights"):
        metrics.auc(gray, ab, weights=np.ones(3))


def test_auc_rebalanced_weights_rare_colours():
    ab = np.zeros((1, 16, 16, 2))
    ab[0, :2, :2] = [70.0, 60.0]            # 4 rare, saturated pixels (a red)
    pred = ab.copy()
    pred[0, :2, :2] = 0.0                   # wrong only there (by 92 units)
    plain = metrics.auc(pred, ab)
    for lam in (0.0, 0.5):
        reb = metrics.auc_rebalanced(pred, ab, lam=lam)
        assert reb < plain, (lam, reb, plain)
    assert metrics.auc_rebalanced(ab, ab) == 1.0
    # by hand: the weighted curve with the true bins' weights
    w = bins.rebalance_weights(bins.prior("imagenet"), 0.0)
    idx = bins.nearest_bin(torch.from_numpy(ab).permute(0, 3, 1, 2)).numpy()
    assert metrics.auc_rebalanced(pred, ab) == pytest.approx(metrics.auc(pred, ab, weights=w[idx]))
    # a uniform prior gives every bin the same weight: rebalanced == plain
    assert metrics.auc_rebalanced(pred, ab, prior="uniform") == pytest.approx(plain)


# --- colourfulness ----------------------------------------------------------------------------------

def test_colorfulness_gray_saturated_and_by_hand():
    gray = np.repeat(rand_u8(10, 10, 1), 3, axis=-1)
    assert metrics.colorfulness(gray) == 0.0
    assert metrics.colorfulness(smooth_image()) > metrics.colorfulness(noisy(gray, 2)) > 0
    # half pure red, half pure blue: rg = 255 / 0, yb = 127.5 / −255
    # σ_rg = 127.5, σ_yb = 191.25 = 1.5 · 127.5, μ_rg = 127.5, μ_yb = −63.75
    img = np.zeros((4, 4, 3), dtype=np.uint8)
    img[:, :2, 0] = 255
    img[:, 2:, 2] = 255
    expected = 127.5 * np.sqrt(1 + 1.5 ** 2) + 0.3 * 63.75 * np.sqrt(5)   # ≈ 272.62
    assert metrics.colorfulness(img) == pytest.approx(expected, abs=1e-9)
    assert metrics.colorfulness(np.stack([img, gray[:4, :4]]), per_image=True) == \
        pytest.approx([expected, 0.0])


# --- helpers ----------------------------------------------------------------------------------------

def test_gray_baseline_layouts():
    a = smooth_image(16, 16)
    g = metrics.gray_baseline(a)
    assert g.dtype == np.uint8 and g.shape == a.shape
    assert metrics.colorfulness(g) < 1.0
    lab = color.rgb_to_lab(g)
    assert np.abs(lab[..., 1:]).max() < 1.5  # 8-bit rounding leaves a trace of colour
    t = torch.from_numpy(a / 255).permute(2, 0, 1).float()
    assert metrics.gray_baseline(t).shape == (3, 16, 16)
    assert metrics.gray_baseline(t[None]).shape == (1, 3, 16, 16)


def summarize(pred_rgb, true_rgb, prior="imagenet") -> dict:
    """Every metric of colorlab.metrics for one batch of predictions against the truth: floats
    ``psnr``, ``psnr_hvs_m`` (luma), ``ssim``, ``mae_ab``, ``auc``, ``auc_rebalanced`` (ab from
    ``color.rgb_to_lab`` of the 8-bit images) and ``colorfulness`` of the predictions."""
    pred, true = metrics.to_uint8(pred_rgb), metrics.to_uint8(true_rgb)
    ab_pred, ab_true = color.rgb_to_lab(pred)[..., 1:], color.rgb_to_lab(true)[..., 1:]
    return {"psnr": metrics.psnr(pred, true), "psnr_hvs_m": metrics.psnr_hvs_m(pred, true),
            "ssim": metrics.ssim(pred, true), "mae_ab": metrics.mae(ab_pred, ab_true),
            "auc": metrics.auc(ab_pred, ab_true),
            "auc_rebalanced": metrics.auc_rebalanced(ab_pred, ab_true, prior),
            "colorfulness": metrics.colorfulness(pred)}


def test_summarize():
    true = np.stack([smooth_image(24, 24), smooth_image(24, 24)[::-1]])
    pred = noisy(true, 6)
    s = summarize(pred, true)
    assert set(s) == {"psnr", "psnr_hvs_m", "ssim", "mae_ab", "auc", "auc_rebalanced", "colorfulness"}
    assert all(isinstance(v, float) and np.isfinite(v) for v in s.values())
    g = summarize(metrics.gray_baseline(true), true)
    assert s["psnr"] > g["psnr"] and s["auc"] > g["auc"] and s["mae_ab"] < g["mae_ab"]
    assert g["colorfulness"] < s["colorfulness"]
    assert summarize(true, true)["auc"] == 1.0
