"""Deep Koalarization (notebook 06): shapes, the fusion step, the embedder choices ("classifier"
from a model or a checkpoint file, "vgg16" from a local torchvision file, "none"), the frozen
embedder in the state dict, one training step, and a checkpoint that alone colours a photo."""
import numpy as np
import pytest
import torch

from colorlab import inference, models, tasks, train
from colorlab.models.koalarization import Koalarization
from tests.test_train import toy_photos


def classifier(width=0.125):
    torch.manual_seed(1)
    return models.build("gray_classifier", n_classes=3, width=width)


def test_shapes_and_output_range():
    net = models.build("koalarization", width=0.125)
    ab = net(torch.rand(2, 1, 37, 50) * 100)
    assert ab.shape == (2, 2, 37, 50) and ab.abs().max() <= 127
    assert tasks.for_model(net).name == "regression" and net.ab_scale == 127


def test_fusion_tiles_the_embedding_over_every_position():
    net = Koalarization.from_classifier(classifier(), width=0.125)
    L = torch.rand(2, 1, 32, 32) * 100
    feats, emb = net.encode(L), net.embed(L)
    assert feats.shape == (2, 32, 4, 4) and emb.shape == (2, 64)
    fused = net.fuse(feats, emb)
    assert fused.shape == (2, 32, 4, 4)
    # the fusion is a 1x1 conv of [features, tiled embedding], by hand:
    x = torch.cat([feats, emb[:, :, None, None].expand(-1, -1, 4, 4)], 1)
    w, b = net.fusion[0].weight[:, :, 0, 0], net.fusion[0].bias
    by_hand = torch.relu(torch.einsum("oc,nchw->nohw", w, x) + b[None, :, None, None])
    torch.testing.assert_close(fused, by_hand, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(net(L), net.decode(fused))


def test_embedder_none_gives_zeros_and_classifier_gives_the_classifiers_embedding():
    clf = classifier()
    L = torch.rand(3, 1, 32, 32) * 100
    with_clf = Koalarization.from_classifier(clf, width=0.125)
    with torch.no_grad():
        torch.testing.assert_close(with_clf.embed(L), clf.eval().embedding(L))
    none = models.build("koalarization", width=0.125, embedder="none", embedding_dim=64)
    assert torch.equal(none.embed(L), torch.zeros(3, 64))
    assert not any(k.startswith("embedder.") for k in none.state_dict())
    with pytest.raises(ValueError, match="embedder must be one of"):
        models.build("koalarization", embedder="inception")


def test_the_embedder_is_frozen_kept_in_eval_mode_and_saved_in_the_state_dict():
    net = Koalarization.from_classifier(classifier(), width=0.125)
    net.train()
    assert not net.embedder.training and net.encoder.training
    assert all(not p.requires_grad for p in net.embedder.parameters())
    assert any(k.startswith("embedder.") for k in net.state_dict())
    again = models.build("koalarization", **net.config)          # no weights file needed
    again.load_state_dict(net.state_dict())
    L = torch.rand(1, 1, 32, 32) * 100
    torch.testing.assert_close(again.eval()(L), net.eval()(L))


def test_embedder_from_a_classifier_checkpoint_file(tmp_path):
    clf = classifier()
    torch.save({"name": "gray_classifier", "kwargs": clf.config, "model": clf.state_dict()}, tmp_path / "clf.pt")
    net = models.build("koalarization", width=0.125, embedder="classifier",
                       embedder_weights=str(tmp_path / "clf.pt"))
    assert net.config["embedder_config"] == clf.config and "embedder_weights" not in net.config
    L = torch.rand(1, 1, 32, 32) * 100
    with torch.no_grad():
        torch.testing.assert_close(net.embed(L), clf.eval().embedding(L))
    torch.save({"name": "regression", "kwargs": {}, "model": {}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a checkpoint of a gray_classifier"):
        models.build("koalarization", embedder="classifier", embedder_weights=str(tmp_path / "other.pt"))
    with pytest.raises(FileNotFoundError, match="never"):
        models.build("koalarization", embedder="classifier", embedder_weights=str(tmp_path / "missing.pt"))


def test_embedder_vgg16_reads_a_local_torchvision_file(tmp_path):
    torch.manual_seed(2)
    vgg = models.VGG16Features(1.0)
    torch.save({**vgg.state_dict(), "classifier.0.weight": torch.zeros(1)}, tmp_path / "vgg16.pth")
    net = models.build("koalarization", width=0.125, embedder="vgg16",
                       embedder_weights=str(tmp_path / "vgg16.pth"))
    assert net.embedding_dim == 512
    assert torch.equal(net.embedder.features.features[0].weight, vgg.features[0].weight)
    assert net(torch.rand(1, 1, 32, 32) * 100).shape == (1, 2, 32, 32)


def test_one_training_step_changes_everything_but_the_embedder_and_the_checkpoint_colours(tmp_path):
    net = Koalarization.from_classifier(classifier(), width=0.125)
    frozen = {k: v.clone() for k, v in net.state_dict().items() if k.startswith("embedder.")}
    before = net.encoder[0][0].weight.clone()
    photos = toy_photos(n=24, size=16)
    train.fit(net, tasks.Regression(size=16, profile="smoke"), photos[:16], photos[16:], epochs=1,
              batch_size=8, out_dir=tmp_path, progress=False)
    assert not torch.equal(before, net.encoder[0][0].weight)
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in frozen.items())  # BN stats too
    loaded = train.load_model(tmp_path / "last.pt")
    np.testing.assert_allclose(inference.colorize(loaded, photos[0]), inference.colorize(net, photos[0]),
                               atol=1e-6)


def test_the_command_line_trains_it(tmp_path):
    from colorlab.__main__ import main
    assert main(["train", "--model", "koalarization", "--data", "flowers", "--profile", "smoke",
                 "--limit", "24", "--size", "16", "--batch-size", "8", "--out", str(tmp_path), "--quiet"]) == 0
    assert train.load_model(tmp_path / "last.pt").config["embedder"] == "none"


def test_the_command_line_chooses_the_embedder(tmp_path):
    """--model-arg embedder=classifier embedder_weights=CKPT: the fused model, with the classifier's
    weights inside; the embedder's weights equal the checkpoint's."""
    from colorlab.__main__ import main
    common = ["--data", "flowers", "--profile", "smoke", "--limit", "24", "--size", "16",
              "--batch-size", "8", "--quiet"]
    assert main(["train", "--model", "gray_classifier", *common, "--out", str(tmp_path / "cls")]) == 0
    assert main(["train", "--model", "koalarization", *common, "--out", str(tmp_path / "koala"),
                 "--model-arg", "embedder=classifier",
                 "--model-arg", f"embedder_weights={tmp_path / 'cls' / 'last.pt'}"]) == 0
    koala = train.load_model(tmp_path / "koala" / "last.pt")
    classifier = train.load_model(tmp_path / "cls" / "last.pt")
    assert koala.config["embedder"] == "classifier"
    for k, v in classifier.state_dict().items():
        assert torch.equal(koala.embedder.state_dict()[k], v), k
