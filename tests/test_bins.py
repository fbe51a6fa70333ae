"""colorlab.color.bins: the 313 bins, exact soft encoding, priors, rebalancing, annealed mean."""
import numpy as np
import pytest
import torch

from colorlab.color import bins


def soft_encode_bruteforce(ab, k: int = bins.K_NEIGHBOURS, sigma: float = bins.SIGMA):
    """The same as bins.soft_encode, by comparing every pixel with all 313 centres (slow):
    ab (N, 2, H, W) → (N, 313, H, W) float64."""
    ab = torch.as_tensor(ab).double()
    n, _, h, w = ab.shape
    centres = torch.from_numpy(bins.ab_bins())
    d2 = torch.cdist(ab.permute(0, 2, 3, 1).reshape(-1, 2), centres) ** 2
    best, idx = d2.topk(k, dim=1, largest=False)
    wgt = torch.exp(-(best - best[:, :1]) / (2 * sigma ** 2))
    wgt = wgt / wgt.sum(1, keepdim=True)
    dense = torch.zeros(len(d2), bins.Q, dtype=torch.float64).scatter_(1, idx, wgt)
    return dense.view(n, h, w, bins.Q).permute(0, 3, 1, 2)


def test_published_bins():
    c = bins.ab_bins()
    assert c.shape == (313, 2)
    np.testing.assert_array_equal(c[120], [0, 0])
    # ordered by a then b, all on the 10-unit grid
    assert (np.lexsort((c[:, 1], c[:, 0])) == np.arange(313)).all()
    assert (c % 10 == 0).all() and np.abs(c).max() <= 110


def test_gamut_set_is_a_different_smaller_set():
    g = bins.gamut_bins()
    assert 215 <= len(g) <= 235
    assert len(g) < 313


def random_ab(shape, seed=0, scale=130.0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g, dtype=torch.float64) * 2 * scale - scale


def test_soft_encode_equals_brute_force_where_no_tie():
    ab = random_ab((2, 2, 48, 48))
    ab[0, :, 0, 0] = torch.tensor([300.0, -250.0])  # far outside the table: the fallback path
    fast = bins.soft_encode(ab.float()).double()
    slow = soft_encode_bruteforce(ab)
    # where the 5th and 6th nearest centres are (nearly) equally far, either is right
    d = torch.cdist(ab.permute(0, 2, 3, 1).reshape(-1, 2), torch.from_numpy(bins.ab_bins()))
    d5, d6 = d.sort(1).values[:, 4], d.sort(1).values[:, 5]
    no_tie = ((d6 - d5) > 1e-3).view(2, 48, 48)
    err = (fast - slow).abs().amax(1)
    assert no_tie.float().mean() > 0.9
    assert err[no_tie].max() < 1e-5
    assert err.max() < 0.2  # even at ties the two encodings stay close


def test_soft_encode_properties():
    ab = random_ab((1, 2, 16, 16), seed=1, scale=100).float()
    enc = bins.soft_encode(ab)
    assert enc.shape == (1, 313, 16, 16)
    torch.testing.assert_close(enc.sum(1), torch.ones(1, 16, 16))
    assert ((enc > 0).sum(1) == 5).all()
    idx, w = bins.soft_encode_sparse(ab)
    assert idx.shape == w.shape == (1, 5, 16, 16)
    assert (w[:, :-1] >= w[:, 1:] - 1e-7).all()  # nearest first
    # a colour exactly on a centre gives that centre the largest weight
    on = torch.tensor(bins.ab_bins()[[0, 120, 312]], dtype=torch.float32).T.reshape(1, 2, 1, 3)
    assert (bins.nearest_bin(on).view(-1) == torch.tensor([0, 120, 312])).all()


def test_prior_imagenet_and_uniform():
    p = bins.prior("imagenet")
    assert p.shape == (313,) and abs(p.sum() - 1) < 1e-9
    assert p.argmax() == 120 and abs(p.max() - 0.2012) < 1e-3
    np.testing.assert_allclose(bins.prior("uniform"), 1 / 313)


def test_prior_counted_on_images():
    rng = np.random.default_rng(0)
    gray = np.full((4, 8, 8, 3), 128, np.uint8)
    p = bins.prior(gray)
    assert p.argmax() == 120 and abs(p.sum() - 1) < 1e-9
    red = np.zeros((4, 8, 8, 3), np.uint8)
    red[..., 0] = 255
    assert bins.prior(red).argmax() != 120
    noisy = rng.integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
    assert (bins.prior(noisy) > 0).sum() > (bins.prior(gray) > 1e-3).sum()


def test_rebalance_weights():
    p = bins.prior("imagenet")
    w = bins.rebalance_weights(p)
    assert abs((p * w).sum() - 1) < 1e-9
    assert w[120] == w.min()  # the most common bin (gray) is weighted least
    np.testing.assert_allclose(bins.rebalance_weights(bins.prior("uniform")), 1.0)
    # λ = 1 is uniform weighting of bins, i.e. w ∝ const
    w1 = bins.rebalance_weights(p, lam=1.0)
    np.testing.assert_allclose(w1, w1[0])


def test_annealed_mean_limits():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 313, 4, 4, generator=g) * 3
    probs = torch.softmax(logits, 1)
    centres = torch.tensor(bins.ab_bins(), dtype=torch.float32)
    mean = torch.einsum("nqhw,qc->nchw", probs, centres)
    torch.testing.assert_close(bins.annealed_mean(logits, T=1.0), mean, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(bins.annealed_mean(logits, T=1e-3), bins.mode(logits), rtol=0, atol=1e-2)
    with pytest.raises(ValueError):
        bins.annealed_mean(logits, T=0)


def test_lower_temperature_is_more_saturated():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(1, 313, 8, 8, generator=g) * 2
    sat = [bins.annealed_mean(logits, T).norm(dim=1).mean().item() for T in (1.0, 0.38, 0.05)]
    assert sat[0] < sat[1] < sat[2]
