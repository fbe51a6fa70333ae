"""TensorBoard logs of a run (``train --tensorboard``, ``fit(log_dir=…)``), read back with
TensorBoard's own reader; and logging changes nothing in training."""
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

from colorlab import models, tasks, train
from tests.test_train import same, toy_photos, weights


def read_events(folder):
    """Every scalar, image and hparams record in ``folder``, as TensorBoard's own reader sees them."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def scalars(acc, tag) -> list:
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def test_train_command_writes_steps_epochs_images_and_recipe(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i, img in enumerate(toy_photos(n=40, size=40)):
        Image.fromarray(img).save(photos / f"p{i:02d}.png")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "colorlab", "train", "--model", "regression",
                        "--data", str(photos), "--profile", "smoke", "--size", "16", "--width", "0.125",
                        "--batch-size", "8", "--epochs", "2", "--out", str(out), "--quiet",
                        "--tensorboard"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"tensorboard --logdir {out / 'tensorboard'}" in r.stdout
    history = torch.load(out / "last.pt", weights_only=True)["history"]
    acc = read_events(out / "tensorboard")
    # every step's loss, once, at steps 1, 2, …, equal (in float32) to History.logs
    losses = [log["loss"] for log in history["logs"]]
    assert len(losses) == 2 * 4
    assert scalars(acc, "train/loss") == [(i + 1, np.float32(v)) for i, v in enumerate(losses)]
    # every epoch's validation metrics, at the step the epoch ended
    for key in ("loss", "auc"):
        assert scalars(acc, f"val/{key}") == [(row["steps"], np.float32(row[f"val_{key}"]))
                                              for row in history["epochs"]]
    assert len(acc.Scalars("epoch/train_loss")) == 2
    # one picture per epoch: 4 photos of 16 px, one row each (gray | prediction | truth)
    pictures = acc.Images("val/colourings")
    assert [p.step for p in pictures] == [4, 8]
    assert (pictures[0].height, pictures[0].width) == (4 * 16, 3 * 16)
    # the recipe as hparams
    assert "_hparams_/experiment" in acc.PluginTagToContent("hparams")


def small_fit(log_dir=None, **kw):
    torch.manual_seed(3)
    model = models.build("regression", width=0.125)
    photos = toy_photos()
    history = train.fit(model, tasks.Regression(size=16), photos[:40], photos[40:], epochs=2,
                        batch_size=8, lr=3e-3, seed=3, progress=False, log_dir=log_dir, **kw)
    return model, history


def test_logging_changes_nothing_and_a_resumed_run_continues_its_curves(tmp_path):
    plain, h_plain = small_fit()
    logged, h_logged = small_fit(tmp_path / "tb")
    assert same(weights(plain), weights(logged))
    assert h_plain.logs == h_logged.logs and h_plain["val_loss"] == h_logged["val_loss"]
    # stopped after 3 of 10 steps, then resumed into the same folder: each step once, no gaps
    small_fit(tmp_path / "part", out_dir=tmp_path / "part", max_steps=3, checkpoint_every=1)
    resumed, h_resumed = small_fit(tmp_path / "part", out_dir=tmp_path / "part", resume=True)
    assert same(weights(plain), weights(resumed))
    steps = scalars(read_events(tmp_path / "part"), "train/loss")
    assert steps == [(i + 1, np.float32(v)) for i, v in enumerate(h_resumed.steps)]


def test_without_log_dir_tensorboard_is_not_imported():
    code = ("import sys; from colorlab import train; "
            "print('torch.utils.tensorboard' in sys.modules, 'tensorboard' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == ["False", "False"], r.stderr[-2000:]
