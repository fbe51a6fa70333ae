"""Tests of the model zoo ``colorlab.models``: registry, shapes, gradients, weights, configs."""
from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from colorlab import models
from colorlab.models import (GrayClassifier, VGG16Decoder, VGG16Features, ZhangECCV16,
                             count_parameters, crop, load_vgg16_weights, pad_to_multiple)

# (registered name, constructor kwargs): every model, narrow enough to be fast on a CPU
SMALL = [
    ("regression", dict(width=0.125)),
    ("vgg16_decoder", dict(width=0.125)),
    ("vgg16_decoder", dict(width=0.125, variant="batchnorm")),
    ("vgg16_decoder", dict(width=0.125, variant="dropout", dropout=0.3)),
    ("vgg16_decoder", dict(width=0.125, freeze_encoder=True, encoder_batchnorm=True)),
    ("zhang_eccv16", dict(width=0.125)),
    ("gray_classifier", dict(width=0.125, n_classes=5)),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in SMALL]

# torchvision vgg16().features: (index of the conv, in channels, out channels); pools at 4 … 30
TV_CONVS = [(0, 3, 64), (2, 64, 64), (5, 64, 128), (7, 128, 128), (10, 128, 256),
            (12, 256, 256), (14, 256, 256), (17, 256, 512), (19, 512, 512), (21, 512, 512),
            (24, 512, 512), (26, 512, 512), (28, 512, 512)]
TV_POOLS = [4, 9, 16, 23, 30]


def lightness(n, h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, h, w, generator=g) * 100.0


def first_conv(model):
    return next(m for m in model.modules() if isinstance(m, nn.Conv2d))


# --- registry ---------------------------------------------------------------------------------

def test_names():
    # tests may register toy models of their own (tests/toy_models.py); the package's are these
    package = [n for n in models.names() if models.REGISTRY[n].__module__.startswith("colorlab.")]
    assert package == ["deep_colorization", "gray_classifier", "hnet", "koalarization", "regression",
                       "rtnet", "unet", "unet_gan", "vgg16_decoder", "zhang_eccv16", "zhang_hints"]
    assert models.names() == sorted(models.names())


def test_build_unknown_name_lists_names():
    with pytest.raises(ValueError) as e:
        models.build("unet9000")
    for name in models.names():
        assert name in str(e.value)


def test_build_unknown_kwarg_names_it_and_the_valid_ones():
    with pytest.raises(TypeError) as e:
        models.build("zhang_eccv16", widht=0.5)
    assert "widht" in str(e.value) and "width" in str(e.value) and "n_bins" in str(e.value)


def test_unknown_vgg_variant():
    with pytest.raises(ValueError, match="baseline"):
        VGG16Decoder(variant="bogus", width=0.125)


# --- padding helpers --------------------------------------------------------------------------

def test_pad_to_multiple_and_crop():
    x = torch.arange(37 * 53, dtype=torch.float32).view(1, 1, 37, 53)
    xp, size = pad_to_multiple(x, 8)
    assert xp.shape[-2:] == (40, 56) and size == (37, 53)
    assert torch.equal(xp[..., :37, :53], x)             # original at the top left
    assert torch.equal(xp[..., 37, :53], x[..., 35, :])  # reflected, not zero
    assert torch.equal(crop(xp, size), x)
    assert crop(torch.zeros(1, 3, 10, 14), size, factor=4).shape[-2:] == (10, 14)
    tiny, size = pad_to_multiple(torch.ones(1, 1, 5, 7), 32)  # too small to reflect: replicate
    assert tiny.shape[-2:] == (32, 32) and torch.all(tiny == 1) and size == (5, 7)
    same, _ = pad_to_multiple(x[..., :32, :48], 16)
    assert same.shape[-2:] == (32, 48)


# --- every model: shapes, range, gradients ----------------------------------------------------

@pytest.mark.parametrize("name,kw", SMALL, ids=IDS)
@pytest.mark.parametrize("hw", [(37, 53), (64, 48), (5, 7)])
def test_output_shape_any_size(name, kw, hw):
    torch.manual_seed(0)
    m = models.build(name, **kw).eval()
    h, w = hw
    with torch.no_grad():
        y = m(lightness(2, h, w))
    assert torch.isfinite(y).all()
    if m.task == "regression":
        assert y.shape == (2, 2, h, w)
        assert y.abs().max() < m.ab_scale
    elif m.task == "classification":
        assert y.shape == (2, 313, math.ceil(h / 4), math.ceil(w / 4))
    else:
        assert m.task == "species" and y.shape == (2, kw["n_classes"])


def test_ab_scales():
    assert models.RegressionNet.ab_scale == 110.0
    assert VGG16Decoder.ab_scale == 128.0


@pytest.mark.parametrize("name,kw", SMALL, ids=IDS)
def test_gradients_flow(name, kw):
    torch.manual_seed(0)
    m = models.build(name, **kw).train()
    y = m(lightness(2, 37, 53))
    y.float().pow(2).mean().backward()
    if kw.get("freeze_encoder"):
        assert all(p.grad is None for p in m.encoder.parameters())
        grads = [p.grad for p in m.decoder.parameters()]
        assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    else:
        g = first_conv(m).weight.grad
        assert g is not None and torch.isfinite(g).all() and g.abs().sum() > 0


def test_frozen_encoder_stays_in_eval_mode():
    m = VGG16Decoder(width=0.125, freeze_encoder=True, encoder_batchnorm=True)
    assert count_parameters(m, trainable_only=True) == count_parameters(m.decoder)
    m.train()
    assert m.training and m.decoder.training
    assert not any(mod.training for mod in m.encoder.modules())
    bn = next(mod for mod in m.encoder.modules() if isinstance(mod, nn.BatchNorm2d))
    before = bn.running_mean.clone()
    m(lightness(2, 32, 32))
    assert torch.equal(bn.running_mean, before)  # eval-mode BN: running statistics untouched
    m.eval().train(True)
    assert not m.encoder.training


# --- VGG-16 -----------------------------------------------------------------------------------

def test_vgg16_features_layout_matches_torchvision():
    f = VGG16Features().features
    assert len(f) == 31
    for i, c_in, c_out in TV_CONVS:
        assert isinstance(f[i], nn.Conv2d) and f[i].weight.shape == (c_out, c_in, 3, 3)
        assert isinstance(f[i + 1], nn.ReLU)
    assert [i for i, mod in enumerate(f) if isinstance(mod, nn.MaxPool2d)] == TV_POOLS
    assert count_parameters(f) == 14_714_688


def fake_torchvision_vgg16(seed=0):
    """A state dict with torchvision VGG-16's keys and shapes, made by hand (random values)."""
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for i, c_in, c_out in TV_CONVS:
        sd[f"features.{i}.weight"] = torch.randn(c_out, c_in, 3, 3, generator=g)
        sd[f"features.{i}.bias"] = torch.randn(c_out, generator=g)
    sd["classifier.0.weight"] = torch.randn(8, 8, generator=g)  # ignored by the loader
    sd["classifier.0.bias"] = torch.randn(8, generator=g)
    sd["classifier.6.weight"] = torch.randn(10, 8, generator=g)
    return sd


def test_load_vgg16_weights(tmp_path):
    sd = fake_torchvision_vgg16()
    path = tmp_path / "vgg16-fake.pth"
    torch.save(sd, path)
    m = VGG16Decoder(weights=str(path), freeze_encoder=True)
    for i, _, _ in TV_CONVS:
        assert torch.equal(m.encoder.features[i].weight, sd[f"features.{i}.weight"])
        assert torch.equal(m.encoder.features[i].bias, sd[f"features.{i}.bias"])
    assert m.config["weights"] is None and m.weights_path == str(path)
    json.dumps(m.config)
    # the loaded weights live in the state dict: a rebuilt model takes them without the file
    again = models.build("vgg16_decoder", **m.config)
    again.load_state_dict(m.state_dict(), strict=True)
    # also directly into a bare VGG16Features, and through models.vgg16(weights=PATH)
    enc = load_vgg16_weights(VGG16Features(), path)
    assert torch.equal(enc.features[28].weight, sd["features.28.weight"])
    assert torch.equal(models.vgg16(weights=path).features[0].weight, sd["features.0.weight"])

    # wrong shapes (a one-channel first conv): ValueError naming what was expected
    bad = dict(sd, **{"features.0.weight": torch.zeros(64, 1, 3, 3)})
    torch.save(bad, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="torchvision VGG-16 state dict"):
        load_vgg16_weights(VGG16Features(), tmp_path / "bad.pth")
    # missing keys
    torch.save({k: v for k, v in sd.items() if k != "features.28.bias"}, tmp_path / "cut.pth")
    with pytest.raises(ValueError, match="features.28.bias"):
        load_vgg16_weights(VGG16Features(), tmp_path / "cut.pth")
    # a full-size file into a narrow encoder
    with pytest.raises(ValueError, match="width 0.125"):
        VGG16Decoder(width=0.125, weights=str(path))
    # not a torch file at all
    (tmp_path / "junk.pth").write_text("not a state dict")
    with pytest.raises(ValueError, match="torchvision VGG-16"):
        load_vgg16_weights(VGG16Features(), tmp_path / "junk.pth")


def test_load_vgg16_weights_missing_file(tmp_path):
    missing = tmp_path / "nowhere" / "vgg16.pth"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        VGG16Decoder(width=0.125, weights=str(missing))


def test_hultgren_decoder_table2():
    m = VGG16Decoder()
    convs = [mod for mod in m.decoder if isinstance(mod, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [256, 128, 64, 32, 16, 2]
    assert all(c.kernel_size == (3, 3) for c in convs)
    ups = [mod for mod in m.decoder if isinstance(mod, nn.Upsample)]
    assert len(ups) == 5 and all(u.mode == "nearest" and u.scale_factor == 2 for u in ups)
    assert isinstance(list(m.decoder)[-2], nn.Tanh)
    n = count_parameters(m.decoder)
    assert n == 1_572_114
    assert abs(n - 1.5e6) / 1.5e6 < 0.1  # Hultgren et al. §4.1: "approximately 1.5M parameters"


def test_hultgren_variants():
    bn = VGG16Decoder(width=0.25, variant="batchnorm").decoder
    names = [k for k, _ in bn.named_children()]
    for number in (19, 20, 22, 24, 26, 28):  # batch-norm right before every decoder conv
        assert names.index(f"bn{number}") + 1 == names.index(f"conv{number}")
    drop = VGG16Decoder(width=0.25, variant="dropout", dropout=0.3).decoder
    dropouts = [mod for mod in drop if isinstance(mod, nn.Dropout)]
    assert len(dropouts) == 5 and all(d.p == 0.3 for d in dropouts)
    base = VGG16Decoder(width=0.25).decoder
    assert not any(isinstance(mod, (nn.Dropout, nn.BatchNorm2d)) for mod in base)


def test_gray_classifier_embedding_and_encoder_transfer():
    torch.manual_seed(0)
    clf = GrayClassifier(n_classes=5, width=0.125).eval()
    e = clf.embedding(lightness(3, 40, 40))
    assert e.shape == (3, clf.embedding_dim) == (3, 64)
    m = VGG16Decoder(width=0.125, encoder_batchnorm=True, freeze_encoder=True)
    assert m.load_encoder_from(clf) is m
    for a, b in zip(m.encoder.state_dict().values(), clf.encoder.state_dict().values()):
        assert torch.equal(a, b)
    assert not any(p.requires_grad for p in m.encoder.parameters())
    with pytest.raises(ValueError, match="width"):
        VGG16Decoder(width=0.25, encoder_batchnorm=True).load_encoder_from(clf)
    with pytest.raises(ValueError, match="encoder_batchnorm=True"):
        VGG16Decoder(width=0.125).load_encoder_from(clf)


# --- Zhang et al. ECCV16 ----------------------------------------------------------------------

def test_zhang_eccv16_full_width():
    m = ZhangECCV16().eval()
    n = count_parameters(m)
    assert n == 32_235_385  # the released model: 32,236,011 incl. its fixed 626-weight model_out
    assert 32.0e6 < n < 32.5e6
    sd = m.state_dict()  # keys and shapes of the authors' PyTorch port
    assert sd["model1.0.weight"].shape == (64, 1, 3, 3)
    assert sd["model3.6.running_mean"].shape == (256,)
    assert sd["model8.0.weight"].shape == (512, 256, 4, 4)  # ConvTranspose2d: (in, out, k, k)
    assert sd["model8.6.weight"].shape == (313, 256, 1, 1)
    blocks = [getattr(m, f"model{i}") for i in range(1, 9)]
    for i, b in enumerate(blocks[:7], start=1):
        assert isinstance(b[-1], nn.BatchNorm2d), f"model{i} ends with BN"
        convs = [c for c in b if isinstance(c, nn.Conv2d)]
        assert len(convs) == (2 if i <= 2 else 3)
        assert [c.stride for c in convs][-1] == ((2, 2) if i <= 3 else (1, 1))
        d = 2 if i in (5, 6) else 1
        assert all(c.dilation == (d, d) and c.padding == (d, d) for c in convs)
        assert all(c.bias is not None for c in convs)
    with torch.no_grad():
        assert m(lightness(1, 64, 64)).shape == (1, 313, 16, 16)
        assert m(lightness(1, 37, 53)).shape == (1, 313, 10, 14)


def test_zhang_input_normalisation():
    m = ZhangECCV16(width=0.125).eval()
    seen = {}
    m.model1[0].register_forward_pre_hook(lambda mod, inp: seen.update(x=inp[0]))
    with torch.no_grad():
        m(torch.full((1, 1, 16, 16), 75.0))
    assert torch.allclose(seen["x"], torch.full_like(seen["x"], 0.25))  # (75 - 50) / 100


# --- checkpoints: rebuild from config -------------------------------------------------------

@pytest.mark.parametrize("name,kw", SMALL, ids=IDS)
def test_rebuild_from_config(name, kw):
    torch.manual_seed(0)
    m = models.build(name, **kw)
    config = json.loads(json.dumps(m.config))  # JSON-able, survives a round trip
    assert set(kw) <= set(config) and all(config[k] == v for k, v in kw.items())
    again = models.build(name, **config)
    again.load_state_dict(m.state_dict(), strict=True)
    m.eval(), again.eval()
    x = lightness(1, 32, 32)
    with torch.no_grad():
        assert torch.equal(m(x), again(x))
