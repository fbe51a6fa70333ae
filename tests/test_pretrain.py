"""Tests of ``colorlab.train.pretrain``: the stand-in VGG-16 encoder and local weights files."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from colorlab import pretrain, train
from colorlab.data import ImageSet
from colorlab.models import GrayClassifier, VGG16Decoder, VGG16Features


def tiny_set(n=8, size=32, n_classes=2, labels=True, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    lab = (np.arange(n) % n_classes).astype(np.int64) if labels else None
    classes = [f"c{i}" for i in range(n_classes)] if labels else []
    return ImageSet(images, [f"/x/{i}.png" for i in range(n)], labels=lab, classes=classes,
                    root="/x")


@pytest.mark.parametrize("bn", [False, True])
def test_has_batchnorm_reads_the_layout(tmp_path, bn):
    state = VGG16Features(width=0.125, batchnorm=bn).state_dict()
    assert pretrain.has_batchnorm(state) is bn
    path = tmp_path / "vgg.pth"
    torch.save(state, path)
    assert pretrain.has_batchnorm(path) is bn


def test_has_batchnorm_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        pretrain.has_batchnorm(tmp_path / "missing.pth")
    bad = tmp_path / "bad.pth"
    bad.write_text("not a torch file")
    with pytest.raises(ValueError, match="state dict"):
        pretrain.has_batchnorm(bad)
    with pytest.raises(ValueError, match="state dict"):
        pretrain.has_batchnorm([1, 2])


def test_parameter_counts_match_the_documented_numbers():
    counts = pretrain.parameter_counts(VGG16Decoder(width=0.125, freeze_encoder=True))
    assert counts == {"encoder": 230_568, "decoder": 24_652, "total": 255_220,
                      "trainable": 24_652}
    counts = pretrain.parameter_counts(VGG16Decoder(width=0.125))
    assert counts["trainable"] == counts["total"] == 255_220
    clf = pretrain.parameter_counts(GrayClassifier(n_classes=5, width=0.125, batchnorm=False))
    assert clf["encoder"] == 230_568 and clf["head"] == 64 * 5 + 5


@pytest.mark.parametrize("bn", [False, True])
def test_decoder_from_classifier_copies_the_encoder(bn):
    torch.manual_seed(0)
    clf = GrayClassifier(n_classes=3, width=0.125, batchnorm=bn)
    with torch.no_grad():
        for p in clf.encoder.parameters():
            p.add_(torch.randn_like(p))
    dec = pretrain.decoder_from_classifier(clf, "dropout", freeze_encoder=True, dropout=0.2)
    assert dec.config["encoder_batchnorm"] is bn and dec.config["width"] == 0.125
    assert dec.config["variant"] == "dropout" and dec.config["dropout"] == 0.2
    for (k, a), b in zip(clf.encoder.state_dict().items(), dec.encoder.state_dict().values()):
        assert torch.equal(a, b), k
    assert not any(p.requires_grad for p in dec.encoder.parameters())
    with torch.no_grad():  # a copy, not shared storage
        next(dec.encoder.parameters()).zero_()
    assert next(clf.encoder.parameters()).abs().sum() > 0


def test_decoder_from_vgg_file(tmp_path):
    # a real torchvision file is width 1; build one from our own module (same keys and shapes)
    for bn in (False, True):
        path = tmp_path / f"vgg{int(bn)}.pth"
        torch.save(VGG16Features(width=1.0, batchnorm=bn).state_dict(), path)
        dec = pretrain.decoder_from_vgg_file(path, "batchnorm", freeze_encoder=True)
        assert dec.config["width"] == 1.0 and dec.config["encoder_batchnorm"] is bn
        assert dec.config["weights"] is None  # the weights live in the state dict
        want = torch.load(path, weights_only=True)
        assert all(torch.equal(want[k], v) for k, v in dec.encoder.state_dict().items())


def test_train_gray_classifier_writes_a_reloadable_checkpoint(tmp_path):
    tr, va = tiny_set(8), tiny_set(4, seed=1)
    model, hist = pretrain.train_gray_classifier(tr, va, width=0.125, size=32, epochs=2,
                                                 batch_size=4, out_dir=tmp_path)
    assert isinstance(model, GrayClassifier) and model.head.out_features == 2
    assert len(hist.steps) == 4 and len(hist.epochs) == 2
    assert 0.0 <= hist.last["val_accuracy"] <= 1.0 and "train_accuracy" in hist.last
    again = train.load_model(tmp_path / "last.pt")
    L = torch.rand(2, 1, 32, 32) * 100
    with torch.no_grad():
        assert torch.allclose(again(L), model.eval()(L))
    # resuming a finished run trains no further and gives back the same weights and history
    model2, hist2 = pretrain.train_gray_classifier(tr, va, width=0.125, size=32, epochs=2,
                                                   batch_size=4, out_dir=tmp_path, resume=True)
    assert hist2.steps == hist.steps
    with torch.no_grad():
        assert torch.allclose(model2.eval()(L), model.eval()(L))


def test_train_gray_classifier_needs_labels():
    with pytest.raises(ValueError, match="labels"):
        pretrain.train_gray_classifier(tiny_set(labels=False), width=0.125, size=32, epochs=1)
