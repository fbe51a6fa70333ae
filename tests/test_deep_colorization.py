"""Cheng et al.'s Deep Colorization (notebook 08): each descriptor against a direct computation,
the joint bilateral filter against a slow per-pixel reference, shapes, one training step on
sampled pixels, and a checkpoint that alone colours a photo."""
import numpy as np
import pytest
import torch
from skimage.feature import daisy

from colorlab import descriptors, inference, models, tasks, train
from colorlab.models.deep_colorization import DeepColorization
from colorlab.models.vgg16 import vgg_input
from tests.test_train import toy_photos


def gray(n=2, h=20, w=23, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, h, w, generator=g) * 100


def test_patch_features_are_the_7x7_neighbourhood():
    L = gray()
    f = descriptors.patch_features(L)
    assert f.shape == (2, 49, 20, 23)
    y, x = 9, 11
    np.testing.assert_allclose(f[1, :, y, x].view(7, 7).numpy(), L[1, 0, y - 3:y + 4, x - 3:x + 4].numpy() / 100,
                               rtol=1e-6)
    assert torch.equal(f[:, 24], L[:, 0] / 100)                      # the centre channel
    assert torch.allclose(f[0, 0, 0, 0], L[0, 0, 3, 3] / 100)        # mirrored border


def test_daisy_features_are_skimages_descriptor_at_every_pixel():
    L = gray(1, 24, 24)
    f = descriptors.daisy_features(L)
    assert f.shape == (1, descriptors.daisy_dim(), 24, 24) == (1, 104, 24, 24)
    r = descriptors.DAISY["radius"]
    direct = daisy(np.pad(L[0, 0].double().numpy() / 100, r, mode="reflect"), step=1, **descriptors.DAISY)
    np.testing.assert_allclose(f[0, :, 5, 7].numpy(), direct[5, 7], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(f[0, :, 23, 0].numpy(), direct[23, 0], rtol=1e-5, atol=1e-6)


def test_semantic_features_are_the_feature_map_upsampled_to_every_pixel():
    L = gray(1, 16, 16)
    net = torch.nn.Conv2d(1, 3, 4, stride=4)
    f = descriptors.semantic_features(L, net)
    assert f.shape == (1, 3, 16, 16)
    coarse = net(L).detach()
    torch.testing.assert_close(f[..., 1::4, 1::4].mean(), f.mean(), atol=1.0, rtol=0)  # smooth
    # bilinear, align_corners=False: output pixel 4i + 1.5 lies exactly on coarse pixel i
    up = torch.nn.functional.interpolate(coarse, size=(16, 16), mode="bilinear", align_corners=False)
    torch.testing.assert_close(f, up)


def joint_bilateral_slow(ab, L, radius, sigma_space, sigma_range):
    """The definition, one pixel at a time (float64)."""
    ab, L = ab.double().numpy(), L.double().numpy()
    n, c, h, w = ab.shape
    out = np.zeros_like(ab)
    for k in range(n):
        for y in range(h):
            for x in range(w):
                num, den = np.zeros(c), 0.0
                for qy in range(max(0, y - radius), min(h, y + radius + 1)):
                    for qx in range(max(0, x - radius), min(w, x + radius + 1)):
                        wgt = (np.exp(-((qy - y) ** 2 + (qx - x) ** 2) / (2 * sigma_space ** 2))
                               * np.exp(-(L[k, 0, y, x] - L[k, 0, qy, qx]) ** 2 / (2 * sigma_range ** 2)))
                        num += wgt * ab[k, :, qy, qx]
                        den += wgt
                out[k, :, y, x] = num / den
    return out


@pytest.mark.parametrize("radius,ss,sr", [(2, 1.5, 10.0), (3, 3.0, 4.0)])
def test_joint_bilateral_matches_the_slow_reference(radius, ss, sr):
    L = gray(2, 9, 11, seed=1)
    ab = (torch.rand(2, 2, 9, 11, generator=torch.Generator().manual_seed(2)) - 0.5) * 100
    fast = descriptors.joint_bilateral(ab, L, radius, ss, sr)
    np.testing.assert_allclose(fast.numpy(), joint_bilateral_slow(ab, L, radius, ss, sr), rtol=1e-4, atol=1e-3)


def test_joint_bilateral_keeps_an_edge_that_a_blur_would_smear():
    L = torch.zeros(1, 1, 8, 8)
    L[..., 4:] = 80                                                     # a sharp lightness edge
    ab = torch.zeros(1, 2, 8, 8)
    ab[:, 0, :, 4:] = 50                                                # colour only on the right
    out = descriptors.joint_bilateral(ab, L, radius=3, sigma_space=2.0, sigma_range=5.0)
    assert out[0, 0, :, :4].abs().max() < 1e-3 and (out[0, 0, :, 4:] - 50).abs().max() < 1e-3


def test_model_shapes_features_and_pixels():
    net = models.build("deep_colorization", width=0.125)
    assert net.in_dim == 49 + 104 + 32 and tasks.for_model(net).name == "pixels"
    L = gray(2, 20, 24)
    assert net(L).shape == (2, 2, 20, 24) and net(L).abs().max() <= 110
    pix = torch.tensor([[0, 5, 479], [1, 2, 3]])
    sampled = net(L, pix)
    assert sampled.shape == (2, 2, 3)
    net.refine = False
    full = net(L).flatten(2)
    torch.testing.assert_close(sampled, full.gather(2, pix[:, None].expand(-1, 2, -1)), atol=1e-5, rtol=1e-5)
    assert models.build("deep_colorization", features=["patch"]).in_dim == 49
    with pytest.raises(ValueError, match="features"):
        models.build("deep_colorization", features=["sift"])


def test_the_semantic_network_is_a_frozen_copy_of_the_classifier():
    torch.manual_seed(0)
    clf = models.build("gray_classifier", n_classes=3, width=0.125)
    net = DeepColorization.from_classifier(clf)
    net.train()
    assert not net.semantic.training and all(not p.requires_grad for p in net.semantic.parameters())
    L = gray(1, 16, 16)
    with torch.no_grad():
        expect = clf.eval().encoder.features[:len(net.semantic)](vgg_input(L))
    torch.testing.assert_close(net._semantic(L), expect)


def test_one_training_step_and_a_checkpoint_that_colours(tmp_path):
    torch.manual_seed(0)
    net = models.build("deep_colorization", width=0.125)
    sem = {k: v.clone() for k, v in net.state_dict().items() if k.startswith("semantic.")}
    before = net.mlp[0].weight.clone()
    photos = toy_photos(n=16, size=16)
    task = tasks.PixelRegression(size=16, profile="smoke", pixels=32)
    hist = train.fit(net, task, photos[:8], photos[8:], epochs=1, batch_size=4, out_dir=tmp_path,
                     progress=False)
    assert not torch.equal(before, net.mlp[0].weight) and np.isfinite(hist.last["val_auc"])
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in sem.items())
    loaded = train.load_model(tmp_path / "last.pt")
    assert tasks.of(loaded).pixels == 32
    np.testing.assert_allclose(inference.colorize(loaded, photos[0]), inference.colorize(net, photos[0]), atol=1e-5)


def test_the_command_line_trains_it(tmp_path):
    from colorlab.__main__ import main
    assert main(["train", "--model", "deep_colorization", "--data", "flowers", "--profile", "smoke",
                 "--limit", "24", "--size", "16", "--batch-size", "8", "--out", str(tmp_path), "--quiet"]) == 0
    assert isinstance(tasks.of(train.load_model(tmp_path / "last.pt")), tasks.PixelRegression)
