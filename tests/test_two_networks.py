"""Two networks, two optimizers, one engine: a toy GAN trains through train.fit with every
promise the engine makes — per-optimizer settings from the task, every loss logged and checked,
both networks and optimizers in last.pt, bit-identical resume after SIGKILL, DDP under torchrun."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from colorlab import tasks, train
from tests.test_train import toy_photos
from tests.toy_models import ToyGAN, ToyGANTask

ROOT = Path(__file__).resolve().parents[1]


def gan_run(out_dir=None, epochs=2, **kw):
    torch.manual_seed(0)
    model = ToyGAN(width=0.5)
    photos = toy_photos(n=40, size=16)
    hist = train.fit(model, ToyGANTask(size=16, profile="smoke"), photos[:32], photos[32:],
                     epochs=epochs, batch_size=8, out_dir=out_dir, progress=False, **kw)
    return model, hist


def test_each_network_has_its_own_optimizer_and_both_losses_are_logged(tmp_path):
    model, hist = gan_run(tmp_path)
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert len(state["optimizers"]) == 2 and len(state["schedulers"]) == 2
    for opt in state["optimizers"]:
        group = opt["param_groups"][0]
        assert group["lr"] == 2e-4 and tuple(group["betas"]) == (0.5, 0.999)
    n_g = sum(p.numel() for p in model.generator.parameters())
    n_d = sum(p.numel() for p in model.discriminator.parameters())
    assert [len(o["param_groups"][0]["params"]) for o in state["optimizers"]] == [
        len(list(model.generator.parameters())), len(list(model.discriminator.parameters()))]
    assert n_g > 0 and n_d > 0
    assert any(k.startswith("discriminator.") for k in state["model"])
    assert {"train_loss_g", "train_loss_d", "val_loss", "val_auc"} <= set(hist.last)
    assert state["task"]["task"] == "toy_gan"


def test_a_non_finite_discriminator_loss_stops_training(tmp_path, monkeypatch):
    real_objectives = ToyGANTask.objectives

    def bad_objectives(self, nets, optimizers):
        (opt_d, d_loss), g = real_objectives(self, nets, optimizers)
        def nan_d(batch):
            loss, logs = d_loss(batch)
            return loss, {**logs, "loss_d": torch.tensor(float("nan"))}
        return [(opt_d, nan_d), g]
    monkeypatch.setattr(ToyGANTask, "objectives", bad_objectives)
    with pytest.raises(train.TrainingDiverged, match="loss_d became nan at step 1"):
        gan_run(tmp_path)


def test_gan_resume_in_process_is_bit_identical(tmp_path):
    full, _ = gan_run(tmp_path / "full", epochs=3)
    gan_run(tmp_path / "part", epochs=3, max_steps=5, checkpoint_every=2)
    resumed, hist = gan_run(tmp_path / "part", epochs=3, resume=True)
    a, b = full.state_dict(), resumed.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a) and len(hist.epochs) == 3


GAN_SCRIPT = """
import sys, torch
sys.path.insert(0, {root!r})
from tests.test_train import toy_photos
from tests.toy_models import ToyGAN, ToyGANTask
from colorlab import train
torch.manual_seed(0)
m = ToyGAN(width=0.5)
p = toy_photos(n=200, size=32)
train.fit(m, ToyGANTask(size=32, profile="smoke"), p[:160], p[160:], epochs=6, batch_size=8,
          seed=0, out_dir={out!r}, checkpoint_every=3, resume=True, progress=False)
torch.save(m.state_dict(), {final!r})
"""


def run_gan(out, final):
    code = GAN_SCRIPT.format(root=str(ROOT), out=str(out), final=str(final))
    return subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.mark.slow
def test_gan_sigkill_then_resume_is_bit_identical(tmp_path):
    assert run_gan(tmp_path / "a", tmp_path / "a.pt").wait(timeout=300) == 0
    proc = run_gan(tmp_path / "b", tmp_path / "b.pt")
    ckpt, deadline = tmp_path / "b" / "last.pt", time.time() + 120
    while time.time() < deadline:
        if ckpt.exists():
            state = torch.load(ckpt, weights_only=True)
            if state["step"] >= 9 and state["step_in_epoch"] > 0:
                break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (tmp_path / "b.pt").exists()
    assert run_gan(tmp_path / "b", tmp_path / "b.pt").wait(timeout=300) == 0
    a, b = torch.load(tmp_path / "a.pt"), torch.load(tmp_path / "b.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)


DDP_GAN = """
import os, sys, torch
sys.path.insert(0, {root!r})
from tests.test_train import toy_photos
from tests.toy_models import ToyGAN, ToyGANTask
from colorlab import train
rank, world = train.init_distributed()
torch.manual_seed(0)
m = ToyGAN(width=0.5)
p = toy_photos(n=64, size=16)
train.fit(m, ToyGANTask(size=16, profile="smoke"), p, None, epochs=2, batch_size=8, seed=0,
          out_dir={out!r}, progress=False)
torch.save(m.state_dict(), os.path.join({out!r}, f"rank{{rank}}.pt"))
train.end_distributed()
"""


@pytest.mark.slow
def test_gan_under_torchrun_ends_with_equal_weights_on_both_ranks(tmp_path, torchrun):
    script = tmp_path / "ddp_gan.py"
    script.write_text(DDP_GAN.format(root=str(ROOT), out=str(tmp_path)))
    r = torchrun(str(script))
    a, b = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    torch.manual_seed(0)
    init = ToyGAN(width=0.5).state_dict()
    for net in ("generator", "discriminator"):   # both networks learned
        k = next(k for k in init if k.startswith(net) and k.endswith("weight"))
        assert not torch.equal(init[k], a[k]), f"{net} did not train"
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert state["world"] == 2 and state["step"] == 2 * (64 // 2 // 8)
    assert tasks.from_state(state["task"]).name == "toy_gan"
