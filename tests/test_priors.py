"""Massachi ch. 4 (notebook 10): the 16 colour values, the 4 × 4 baseline, the colour-input
network and its task, and the three priors."""
import numpy as np
import pytest
import torch

from colorlab import bins, color, color_grid, inference, metrics, models, tasks, train


def photos(n=6, size=32, seed=0):
    """Smooth random colour photos (N, size, size, 3) uint8: a few colour blobs, not noise."""
    g = torch.Generator().manual_seed(seed)
    small = torch.rand(n, 3, 4, 4, generator=g)
    big = torch.nn.functional.interpolate(small, size=(size, size), mode="bilinear", align_corners=False)
    return (big.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()


def lab_of(images):
    lab = tasks.to_lab(torch.from_numpy(images))
    return lab[:, :1], lab[:, 1:]


# --- the 16 colour values and the baseline ------------------------------------------------------

def test_grid_ab_is_the_mean_of_each_cell():
    ab = torch.randn(2, 2, 32, 24) * 30
    grid = color_grid.grid_ab(ab)
    assert grid.shape == (2, 2, 4, 4)
    direct = ab.reshape(2, 2, 4, 8, 4, 6).mean(dim=(3, 5))   # 8 × 6 pixel cells
    assert torch.allclose(grid, direct, atol=1e-5)


def bilinear_by_hand(grid: np.ndarray, H: int, W: int) -> np.ndarray:
    """(2, k, k) → (2, H, W): each output pixel centre mapped into the grid (half-pixel
    centres, clamped at the border), the four neighbours mixed linearly."""
    k = grid.shape[-1]
    out = np.zeros((2, H, W))
    for i in range(H):
        y = min(max((i + 0.5) * k / H - 0.5, 0.0), k - 1)
        y0 = int(np.floor(y)); y1 = min(y0 + 1, k - 1); wy = y - y0
        for j in range(W):
            x = min(max((j + 0.5) * k / W - 0.5, 0.0), k - 1)
            x0 = int(np.floor(x)); x1 = min(x0 + 1, k - 1); wx = x - x0
            out[:, i, j] = ((1 - wy) * (1 - wx) * grid[:, y0, x0] + (1 - wy) * wx * grid[:, y0, x1]
                            + wy * (1 - wx) * grid[:, y1, x0] + wy * wx * grid[:, y1, x1])
    return out


def test_baseline_against_a_direct_computation():
    _, ab = lab_of(photos(2, 32))
    pred = color_grid.baseline(ab)
    assert pred.shape == ab.shape
    for n in range(2):
        cells = ab[n].double().numpy().reshape(2, 4, 8, 4, 8).mean(axis=(2, 4))
        assert np.allclose(pred[n].numpy(), bilinear_by_hand(cells, 32, 32), atol=1e-4)


def test_baseline_of_a_constant_photo_is_exact_and_beats_gray_on_colour_photos():
    ab = torch.tensor([20.0, -35.0]).view(1, 2, 1, 1).expand(1, 2, 16, 16)
    assert torch.allclose(color_grid.baseline(ab), ab)
    images = photos(8, 32, seed=1)
    L, ab = lab_of(images)
    rgb_base = color.merge_l_ab(L, color_grid.baseline(ab))
    rgb_gray = color.merge_l_ab(L, torch.zeros_like(ab))
    assert metrics.psnr(rgb_base, images) > metrics.psnr(rgb_gray, images) + 3


def test_grid_refuses_bad_shapes():
    with pytest.raises(ValueError, match="N, 2, H, W"):
        color_grid.grid_ab(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="k must be"):
        color_grid.grid_ab(torch.zeros(1, 2, 8, 8), k=9)


# --- the colour-input network ------------------------------------------------------------------

def test_plain_network_is_unchanged():
    net = models.build("zhang_eccv16", width=0.125)
    assert net.config == {"width": 0.125, "n_bins": 313}          # older checkpoints still load
    assert net.model1[0].in_channels == 1
    assert isinstance(tasks.for_model(net), tasks.Classification)
    assert not isinstance(tasks.for_model(net), tasks.ColorInput)
    with pytest.raises(ValueError, match="without colour input"):
        net(torch.rand(1, 1, 32, 32) * 100, torch.zeros(1, 2, 4, 4))


@pytest.mark.parametrize("scale", [110.0, 50.0])
def test_color_input_network_shapes_and_rebuild(scale):
    net = models.build("zhang_eccv16", width=0.125, color_scale=scale)
    assert net.model1[0].in_channels == 3
    assert isinstance(tasks.for_model(net), tasks.ColorInput)
    L = torch.rand(2, 1, 40, 24) * 100
    out = net(L, torch.randn(2, 2, 4, 4) * 30)
    assert out.shape == (2, 313, 10, 6)
    again = models.build("zhang_eccv16", **net.config)
    assert again.config == net.config and again.color_scale == scale
    with pytest.raises(ValueError, match="16 colour values"):
        net(L)


# An untrained network in eval mode (batch-norm with its initial statistics) passes almost no
# signal through its 20 layers; in training mode batch-norm rescales every layer, so the
# comparisons below use it.

def test_the_two_scales_differ_only_by_the_factor_on_the_colours():
    """Same weights: colours c at ±110 reach the first conv as colours c · 110/50 do at ±50."""
    torch.manual_seed(0)
    a = models.build("zhang_eccv16", width=0.125, color_scale=110).train()
    b = models.build("zhang_eccv16", width=0.125, color_scale=50).train()
    b.load_state_dict(a.state_dict())
    L, colors = torch.rand(2, 1, 32, 32) * 100, torch.randn(2, 2, 4, 4) * 20
    with torch.no_grad():
        assert torch.allclose(a(L, colors), b(L, colors * 110 / 50), atol=1e-5)
        assert not torch.allclose(a(L, colors), b(L, colors), atol=1e-3)


def test_the_network_sees_the_colours():
    torch.manual_seed(0)
    net = models.build("zhang_eccv16", width=0.125, color_scale=110).train()
    L = torch.rand(1, 1, 32, 32).expand(2, 1, 32, 32) * 100              # one photo twice …
    colors = torch.stack([torch.zeros(2, 4, 4), torch.full((2, 4, 4), 60.0)]).requires_grad_()
    out = net(L, colors)                                                  # … told two colours
    assert (out[0] - out[1]).abs().max() > 0.3 * out.std()
    out[:, 0].sum().backward()
    assert colors.grad.abs().min() > 0                                    # every value counts


# --- the task: batch, one training step, checkpoint round trip ---------------------------------

def test_task_puts_the_grid_of_the_crop_in_the_batch():
    task = tasks.ColorInput(size=32, profile="smoke", prior="uniform")
    images = torch.from_numpy(photos(3, 48))
    b = task.batch(images, None, train=True, gen=torch.Generator().manual_seed(0))
    assert b["colors"].shape == (3, 2, 4, 4)
    assert torch.allclose(b["colors"], color_grid.grid_ab(b["ab"]))   # of the crop, not the photo
    net = models.build("zhang_eccv16", width=0.125, color_scale=50)
    assert task.forward(net, b).shape == (3, 313, 8, 8)


def test_one_training_step_and_colouring_from_the_checkpoint(tmp_path):
    torch.manual_seed(0)
    net = models.build("zhang_eccv16", width=0.125, color_scale=50)
    task = tasks.ColorInput(size=32, profile="smoke", prior="imagenet")
    before = net.model1[0].weight.detach().clone()
    hist = train.fit(net, task, photos(8, 32), epochs=1, batch_size=8, out_dir=tmp_path, progress=False)
    assert len(hist.steps) == 1 and np.isfinite(hist.steps[0])
    assert not torch.equal(before[:, 1:], net.model1[0].weight[:, 1:])   # the colour channels learn

    loaded = train.load_model(tmp_path / "last.pt")
    assert loaded.color_scale == 50 and isinstance(tasks.of(loaded), tasks.ColorInput)
    assert tasks.of(loaded).prior_name == "imagenet"
    L, ab = lab_of(photos(2, 32, seed=3))
    grid = color_grid.grid_ab(ab)
    told = inference.predict_ab(loaded, L, colors=grid)
    gray = inference.predict_ab(loaded, L)                               # sixteen grays
    assert told.shape == gray.shape == (2, 2, 32, 32)
    with torch.no_grad():
        assert torch.allclose(told, tasks.logits_to_ab(loaded(L, grid), (32, 32)), atol=1e-5)
        assert torch.allclose(gray, tasks.logits_to_ab(loaded(L, torch.zeros_like(grid)), (32, 32)), atol=1e-5)


# --- the three priors ---------------------------------------------------------------------------

def test_prior_choices():
    uniform = tasks.ColorInput(size=32, profile="smoke", prior="uniform")
    assert torch.allclose(uniform.weights, torch.ones(313))            # plain cross-entropy (§4.6)
    imagenet = tasks.Classification(size=32, profile="smoke", prior="imagenet")
    assert np.allclose(imagenet.weights.numpy(), bins.rebalance_weights(bins.prior("imagenet")), rtol=1e-6)
    flowers = tasks.ColorInput(size=32, profile="smoke", prior="train")
    assert flowers.prior is None                                        # counted by prepare
    train_photos = photos(6, 32, seed=2)
    flowers.prepare(train_photos)
    assert np.allclose(flowers.prior, bins.prior(train_photos))
    assert not np.allclose(flowers.weights.numpy(), imagenet.weights.numpy(), rtol=0.05)
    assert tasks.from_state(flowers.state()).grid == 4


# --- the notebook: one condition per run, the same keys for every condition ----------------------

@pytest.mark.slow
def test_sweep_points_record_the_same_keys(tmp_path):
    """Two single-condition runs of notebook 10 (smoke): one row each, the same columns, the
    condition's numbers under priors/<metric>; a bad condition fails with a message naming it."""
    import csv

    from colorlab.workbook import execute, sweep
    out = tmp_path / "sweep"
    res = sweep.sweep("10", {"color_scale": [0, 50]}, out, fixed={"profile": "smoke", "prior": "uniform"},
                      progress=False)
    assert all(r.ok for r in res), [r.error for r in res]
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert len(rows) == 2 and rows[0].keys() == rows[1].keys()
    for key in ("priors/psnr", "priors/psnr_hvs_m", "priors/auc", "priors/auc_rebalanced",
                "priors/colorfulness", "priors/psnr/gray", "priors/psnr/baseline_4x4"):
        assert all(r[key] for r in rows), key
    assert not any(k.startswith("priors/psnr/scratch") for k in rows[0])   # no list-mode keys
    assert float(rows[0]["priors/psnr/baseline_4x4"]) > float(rows[0]["priors/psnr/gray"]) + 3
    bad = execute.run("10", {"profile": "smoke", "prior": "green"}, tmp_path / "bad", progress=False)
    assert not bad.ok and "prior must be one of imagenet, flowers, uniform" in bad.error
