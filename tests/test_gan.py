"""Nazeri et al.'s U-Net and conditional GAN (notebook 09): shapes, one training step of each,
both networks and optimizers in last.pt, the checkpoint alone colours a photo (function and
command line), bit-identical resume, and DDP under torchrun."""
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorlab import inference, models, tasks, train
from colorlab.evaluate import scoring
from colorlab.__main__ import main
from tests.test_train import toy_photos

ROOT = Path(__file__).resolve().parents[1]


def test_unet_maps_any_size_of_l_to_ab_within_110():
    net = models.build("unet", width=0.125)
    ab = net(torch.rand(2, 1, 37, 50) * 100)
    assert ab.shape == (2, 2, 37, 50) and ab.abs().max() < 110
    assert models.build("unet", width=0.125, depth=3).stride == 8


def test_unet_gan_generator_starts_as_the_unet_and_the_discriminator_scores_patches():
    torch.manual_seed(0)
    unet = models.build("unet", width=0.125)
    torch.manual_seed(0)
    gan = models.build("unet_gan", width=0.125)
    a, b = unet.state_dict(), gan.generator.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    L = torch.rand(2, 1, 32, 32) * 100
    assert torch.equal(gan(L), gan.generator(L))
    d = gan.discriminator(L, torch.zeros(2, 2, 32, 32))
    assert d.shape == (2, 1, 3, 3)           # 32 → 16 → 8 → 4 → one 4x4 stride-1 conv
    assert tasks.for_model(gan).name == "gan" and tasks.for_model(unet).name == "l1"


def one_step(name):
    torch.manual_seed(0)
    model = models.build(name, width=0.125)
    task = tasks.for_model(model, size=16, profile="smoke")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opts = task.configure_optimizers(model)
    batch = task.batch(torch.from_numpy(toy_photos(n=4, size=16)), None, True, torch.Generator().manual_seed(0))
    logs = train.train_step(task, task.wrap(model, lambda n: n), batch, opts,
                            lambda: torch.autocast("cpu", enabled=False))
    changed = {k.split(".")[0] for k, v in model.state_dict().items()
               if v.is_floating_point() and not torch.equal(v, before[k])}
    return model, task, opts, logs, changed


def test_one_l1_step_trains_the_unet_with_nazeris_adam():
    model, task, opts, logs, changed = one_step("unet")
    assert len(opts) == 1 and opts[0].defaults["lr"] == 2e-4 and opts[0].defaults["betas"] == (0.5, 0.999)
    assert torch.isfinite(logs["loss"]) and 0 < float(logs["loss"]) < 2
    assert {"downs", "ups", "out"} <= changed


def test_one_gan_step_updates_both_networks_and_logs_both_losses():
    model, task, opts, logs, changed = one_step("unet_gan")
    assert len(opts) == 2 and all(o.defaults["betas"] == (0.5, 0.999) for o in opts)
    assert changed == {"generator", "discriminator"}
    assert {"loss", "loss_g", "loss_d", "loss_adv", "loss_l1", "d_real", "d_fake"} <= set(logs)
    assert float(logs["loss_g"]) == pytest.approx(float(logs["loss_adv"]) + 100 * float(logs["loss_l1"]), rel=1e-5)
    assert 0 < float(logs["d_real"]) < 1 and 0 < float(logs["d_fake"]) < 1


def test_label_smoothing_and_lambda_are_the_tasks_state():
    task = tasks.ConditionalGAN(size=16, profile="smoke", lambda_l1=0, real_label=1.0)
    again = tasks.from_state(task.state())
    assert isinstance(again, tasks.ConditionalGAN) and (again.lambda_l1, again.real_label) == (0, 1.0)
    assert tasks.ConditionalGAN(profile="smoke").real_label == 0.9


def gan_run(out_dir=None, epochs=2, **kw):
    torch.manual_seed(0)
    model = models.build("unet_gan", width=0.125, depth=3)
    photos = toy_photos(n=40, size=16)
    hist = train.fit(model, tasks.ConditionalGAN(size=16, profile="smoke"), photos[:32], photos[32:],
                     epochs=epochs, batch_size=8, out_dir=out_dir, progress=False, **kw)
    return model, hist, photos


def test_last_pt_holds_both_networks_and_optimizers_and_alone_colours_a_photo(tmp_path):
    model, hist, photos = gan_run(tmp_path)
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert len(state["optimizers"]) == 2 and state["name"] == "unet_gan"
    assert any(k.startswith("discriminator.") for k in state["model"])
    assert {"train_loss_g", "train_loss_d", "train_d_real", "val_loss", "val_auc"} <= set(hist.last)
    loaded = train.load_model(tmp_path / "last.pt")
    assert isinstance(tasks.of(loaded), tasks.ConditionalGAN) and tasks.of(loaded).size == 16
    rgb = inference.colorize(loaded, photos[0])
    np.testing.assert_allclose(rgb, inference.colorize(model, photos[0]), atol=1e-6)
    assert 0 < scoring.against_gray(loaded, photos[32:])["auc"] <= 1
    img = tmp_path / "photo.png"
    Image.fromarray(toy_photos(1, size=40)[0]).save(img)
    assert main(["colorize", str(img), "--model", str(tmp_path), "--out", str(tmp_path / "out")]) == 0
    assert Image.open(tmp_path / "out" / "photo_color.png").size == (40, 40)


def test_gan_resume_is_bit_identical(tmp_path):
    full, _, _ = gan_run(tmp_path / "full", epochs=3)
    gan_run(tmp_path / "part", epochs=3, max_steps=5, checkpoint_every=2)
    resumed, hist, _ = gan_run(tmp_path / "part", epochs=3, resume=True)
    a, b = full.state_dict(), resumed.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a) and len(hist.epochs) == 3


DDP = """
import os, sys, torch
sys.path.insert(0, {root!r})
from tests.test_train import toy_photos
from colorlab import models, tasks, train
rank, world = train.init_distributed()
torch.manual_seed(0)
m = models.build("unet_gan", width=0.125, depth=3)
p = toy_photos(n=32, size=16)
train.fit(m, tasks.ConditionalGAN(size=16, profile="smoke"), p, None, epochs=1, batch_size=8,
          seed=0, out_dir={out!r}, progress=False)
torch.save(m.state_dict(), os.path.join({out!r}, f"rank{{rank}}.pt"))
train.end_distributed()
"""


@pytest.mark.slow
def test_unet_gan_under_torchrun_ends_with_equal_weights(tmp_path, torchrun):
    script = tmp_path / "ddp.py"
    script.write_text(DDP.format(root=str(ROOT), out=str(tmp_path)))
    r = torchrun(str(script), timeout=600)
    a, b = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert state["world"] == 2 and state["step"] == 32 // 2 // 8


@pytest.mark.parametrize("name", ["unet", "unet_gan"])
def test_the_command_line_trains_and_colours_with_the_model(tmp_path, name):
    assert main(["train", "--model", name, "--data", "flowers", "--profile", "smoke", "--limit", "24",
                 "--size", "16", "--batch-size", "8", "--out", str(tmp_path / "m"), "--quiet"]) == 0
    assert train.load_model(tmp_path / "m" / "last.pt").config["width"] == 0.125
    img = tmp_path / "photo.png"
    Image.fromarray(toy_photos(1, size=40)[0]).save(img)
    assert main(["colorize", str(img), "--model", str(tmp_path / "m"), "--out", str(tmp_path / "out")]) == 0
