"""Hint models go through the one path: the task draws hints from the run's generator, the
engine trains, saves and resumes them bit for bit, and colouring, scoring against gray and the
command line work for them untouched."""
import numpy as np
import pytest
import torch

from colorlab import hints, inference, models, tasks, train
from colorlab.evaluate import scoring
from tests.test_train import toy_photos


def test_zhang_hints_shapes_and_heads():
    torch.manual_seed(0)
    net = models.build("zhang_hints", width=0.125)
    L = torch.rand(2, 1, 21, 30) * 100
    none = hints.none_like(L)
    ab = net(L, none["hint_ab"], none["hint_mask"])
    assert ab.shape == (2, 2, 21, 30) and float(ab.detach().abs().max()) <= 110
    net2 = models.build("zhang_hints", width=0.125, classify=True)
    ab2, logits = net2(L, none["hint_ab"], none["hint_mask"])
    assert ab2.shape == (2, 2, 21, 30) and logits.shape == (2, 529, 6, 8)
    assert net.task == "zhang_hints" and isinstance(tasks.for_model(net), tasks.UserHints)


def test_the_task_draws_hints_from_the_generator_on_the_batch_device():
    task = tasks.UserHints(size=16, profile="smoke")
    x = torch.from_numpy(toy_photos(8, size=16))
    b1 = task.batch(x, None, True, torch.Generator().manual_seed(3))
    b2 = task.batch(x, None, True, torch.Generator().manual_seed(3))
    assert set(b1) >= {"L", "ab", "hint_ab", "hint_mask"}
    assert torch.equal(b1["hint_mask"], b2["hint_mask"]) and torch.equal(b1["hint_ab"], b2["hint_ab"])
    assert b1["hint_mask"].device == b1["L"].device
    assert torch.all(b1["hint_ab"] * (1 - b1["hint_mask"]) == 0)
    v1, v2 = task.batch(x, None, False, None), task.batch(x, None, False, None)
    assert torch.equal(v1["hint_mask"], v2["hint_mask"])      # validation: the same hints every time
    circ = tasks.UserHints(size=16, profile="smoke", hint_kind="circles").batch(x, None, True, torch.Generator())
    assert float(hints.coverage(circ["hint_mask"]).min()) > 0   # at least one circle each
    with pytest.raises(ValueError, match="hint kind"):
        tasks.UserHints(hint_kind="blobs")


def fit_hints(out_dir, **kw):
    torch.manual_seed(0)
    model = models.build("zhang_hints", width=0.125)
    photos = toy_photos(n=40, size=16)
    hist = train.fit(model, tasks.UserHints(size=16, profile="smoke"), photos[:32], photos[32:],
                     epochs=kw.pop("epochs", 2), batch_size=8, out_dir=out_dir, progress=False, **kw)
    return model, hist, photos


def test_zhang_hints_trains_saves_colours_and_scores(tmp_path):
    model, hist, photos = fit_hints(tmp_path)
    assert np.isfinite(hist.last["val_loss"])
    loaded = train.load_model(tmp_path / "last.pt")
    task = tasks.of(loaded)
    assert isinstance(task, tasks.UserHints) and task.hint_kind == "points" and task.size == 16
    rgb = inference.colorize(loaded, photos[0])
    assert rgb.shape == (16, 16, 3)
    scores = scoring.against_gray(loaded, photos[32:])
    assert 0 < scores["auc"] <= 1
    # hints reach the model through predict_ab (the generic extra batch entries)
    L = tasks.to_lab(torch.from_numpy(photos[32:34]))[:, :1]
    ab_true = tasks.to_lab(torch.from_numpy(photos[32:34]))[:, 1:]
    full = {"hint_ab": ab_true, "hint_mask": torch.ones_like(L)}
    with_h = inference.predict_ab(loaded, L, **full)
    without = inference.predict_ab(loaded, L)
    assert not torch.allclose(with_h, without)
    # hints at another size are resized to L's by the task
    small = hints.resize(full, (8, 8))
    assert inference.predict_ab(loaded, L, **small).shape == (2, 2, 16, 16)


def test_zhang_hints_resume_is_bit_identical(tmp_path):
    # constant lr: max_steps shortens a cosine schedule, so the interrupted run is cut by max_steps
    # only where the schedule does not depend on the run's length
    full, _, _ = fit_hints(tmp_path / "full", epochs=2, schedule="constant")
    fit_hints(tmp_path / "part", epochs=2, max_steps=3, checkpoint_every=2, schedule="constant")
    resumed, hist, _ = fit_hints(tmp_path / "part", epochs=2, resume=True, schedule="constant")
    a, b = full.state_dict(), resumed.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a) and len(hist.epochs) == 2


def test_classification_head_trains():
    torch.manual_seed(0)
    model = models.build("zhang_hints", width=0.125, classify=True)
    photos = toy_photos(n=16, size=16)
    hist = train.fit(model, tasks.UserHints(size=16, profile="smoke"), photos, photos[:8], epochs=1,
                     batch_size=8, progress=False)
    assert {"train_loss_reg", "train_loss_ce"} <= set(hist.last)


def test_the_command_line_colours_with_hints(tmp_path, capsys):
    from PIL import Image

    from colorlab.__main__ import main
    fit_hints(tmp_path / "m", epochs=1)
    photos = toy_photos(3, size=40)
    for i, name in enumerate(("a", "b")):
        Image.fromarray(photos[i]).save(tmp_path / f"{name}.jpg")
    Image.fromarray(photos[2]).save(tmp_path / "ref.png")
    rgba = np.zeros((20, 20, 4), np.uint8)                     # half the photo's size: resized
    rgba[5:10, 5:10] = (200, 30, 30, 255)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "h.png")
    model = str(tmp_path / "m")
    run = lambda *a: main(["colorize", *map(str, a), "--model", model, "--out", str(tmp_path / "out")])  # noqa: E731
    assert run(tmp_path / "a.jpg", "--hints", tmp_path / "h.png") == 0
    assert "resized the hints" in capsys.readouterr().out
    out_h = np.asarray(Image.open(tmp_path / "out" / "a_color.png"))
    assert out_h.shape == (40, 40, 3)
    # a folder of hint PNGs named like the photos; a photo without one is coloured without hints
    (tmp_path / "hd").mkdir()
    Image.fromarray(rgba, "RGBA").save(tmp_path / "hd" / "a.png")
    assert run(tmp_path / "a.jpg", tmp_path / "b.jpg", "--hints", tmp_path / "hd") == 0
    assert "no hint file" in capsys.readouterr().out
    assert run(tmp_path / "a.jpg", "--reference", tmp_path / "ref.png", "--points", 30, "--seed", 3) == 0
    # a hint image without alpha: one line that says what is expected
    Image.fromarray(rgba[..., :3]).save(tmp_path / "rgb.png")
    assert run(tmp_path / "a.jpg", "--hints", tmp_path / "rgb.png") == 1
    assert "no alpha channel" in capsys.readouterr().out
    assert run(tmp_path / "a.jpg", "--points", 5) == 2
    assert "--reference" in capsys.readouterr().err


def test_hints_are_refused_for_a_model_without_hints(tmp_path, capsys):
    from colorlab.__main__ import main
    torch.manual_seed(0)
    photos = toy_photos(n=16, size=16)
    train.fit(models.build("regression", width=0.125), tasks.Regression(size=16, profile="smoke"), photos, None,
              epochs=1, batch_size=8, out_dir=tmp_path / "r", progress=False)
    from PIL import Image
    Image.fromarray(photos[0]).save(tmp_path / "p.png")
    assert main(["colorize", str(tmp_path / "p.png"), "--model", str(tmp_path / "r"),
                 "--reference", str(tmp_path / "p.png"), "--out", str(tmp_path / "o")]) == 2
    assert "does not take hints" in capsys.readouterr().err


def test_colorize_passes_hints_to_the_model(tmp_path):
    model, _, photos = fit_hints(tmp_path, epochs=1)
    big = np.asarray(__import__("PIL.Image", fromlist=["Image"]).fromarray(photos[33]).resize((48, 32)))
    lab = tasks.to_lab(torch.from_numpy(big[None].copy()))
    given = {"hint_ab": lab[:, 1:], "hint_mask": torch.ones_like(lab[:, :1])}
    with_h = inference.colorize(model, big, hints=given)
    assert with_h.shape == (32, 48, 3)
    assert not np.allclose(with_h, inference.colorize(model, big))
    assert tasks.takes_hints(tasks.of(model)) and not tasks.takes_hints(tasks.Regression(profile="smoke"))
