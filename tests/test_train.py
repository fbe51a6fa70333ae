"""The training engine: learning, seeds, checkpoints, kill-and-resume, safety, DDP."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from colorlab import models, tasks, train
from colorlab.evaluate.inference import colorize

ROOT = Path(__file__).resolve().parents[1]


def toy_photos(n=48, size=24, seed=0):
    """Random smooth colour photos: (n, size, size, 3) uint8."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (n, 3, 3, 3)).astype(np.float32)
    big = torch.nn.functional.interpolate(torch.from_numpy(small).permute(0, 3, 1, 2),
                                          size=(size, size), mode="bilinear", align_corners=False)
    return big.permute(0, 2, 3, 1).round().clamp(0, 255).to(torch.uint8).numpy()


def small_run(out_dir=None, seed=0, epochs=2, **kw):
    torch.manual_seed(seed)
    model = models.build("regression", width=0.125)
    photos = toy_photos()
    hist = train.fit(model, tasks.Regression(size=16), photos[:40], photos[40:], epochs=epochs,
                     batch_size=8, lr=3e-3, seed=seed, out_dir=out_dir, progress=False, **kw)
    return model, hist


def weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_loss_falls_and_history_is_complete():
    _, hist = small_run(epochs=4)
    assert len(hist.epochs) == 4 and len(hist.steps) == 4 * 5
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert all(0 <= a <= 1 for a in hist["val_auc"])


def test_same_seed_same_weights_other_seed_differs():
    a, _ = small_run(seed=1)
    b, _ = small_run(seed=1)
    c, _ = small_run(seed=2)
    assert same(weights(a), weights(b))
    assert not same(weights(a), weights(c))


def test_checkpoint_holds_everything_and_rebuilds(tmp_path):
    model, _ = small_run(tmp_path)
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    for key in ("model", "name", "kwargs", "optimizers", "schedulers", "rng", "epoch", "step"):
        assert key in state
    assert state["name"] == "regression" and state["epoch"] == 2
    again = train.load_model(tmp_path / "last.pt")
    assert same(weights(again), weights(model))


def test_resume_in_process_is_bit_identical(tmp_path):
    full, _ = small_run(tmp_path / "full", epochs=3)
    part, hist = small_run(tmp_path / "part", epochs=3, max_steps=7, checkpoint_every=2)
    state = torch.load(tmp_path / "part" / "last.pt", weights_only=True)
    assert (state["epoch"], state["step_in_epoch"], state["step"]) == (1, 2, 7)  # mid-epoch 2
    assert same(state["model"], weights(part)) and "max_steps" in hist.stopped
    resumed, hist = small_run(tmp_path / "part", epochs=3, resume=True)
    assert same(weights(full), weights(resumed))
    assert len(hist.epochs) == 3


TRAIN_SCRIPT = """
import sys, torch
sys.path.insert(0, {root!r})
from tests.test_train import toy_photos
from colorlab import models, tasks, train
torch.manual_seed(0)
m = models.build("regression", width=0.125)
p = toy_photos(n=200, size=32)
train.fit(m, tasks.Regression(size=32), p[:160], p[160:], epochs=6, batch_size=8, lr=3e-3, seed=0,
          out_dir={out!r}, checkpoint_every=3, resume=True, progress=False)
torch.save(m.state_dict(), {final!r})
"""


def run_script(out, final):
    code = TRAIN_SCRIPT.format(root=str(ROOT), out=str(out), final=str(final))
    return subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_is_bit_identical(tmp_path):
    # the uninterrupted run
    assert run_script(tmp_path / "a", tmp_path / "a.pt").wait(timeout=300) == 0
    # the same run, killed with SIGKILL once it has written a mid-epoch checkpoint
    proc = run_script(tmp_path / "b", tmp_path / "b.pt")
    ckpt, deadline = tmp_path / "b" / "last.pt", time.time() + 120
    while time.time() < deadline:
        if ckpt.exists():
            state = torch.load(ckpt, weights_only=True)
            if state["step"] >= 9 and state["step_in_epoch"] > 0:
                break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    killed_at = torch.load(ckpt, weights_only=True)["step"]
    assert killed_at < 6 * 20 and not (tmp_path / "b.pt").exists()
    # resume from the checkpoint on disk
    assert run_script(tmp_path / "b", tmp_path / "b.pt").wait(timeout=300) == 0
    a, b = torch.load(tmp_path / "a.pt"), torch.load(tmp_path / "b.pt")
    assert all(torch.equal(a[k], b[k]) for k in a), f"weights differ after resuming at step {killed_at}"


def test_resume_refuses_a_different_run(tmp_path):
    small_run(tmp_path, seed=0, epochs=1)
    with pytest.raises(train.CheckpointError, match="seed"):
        small_run(tmp_path, seed=5, epochs=2, resume=True)


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    small_run(tmp_path, epochs=1)  # 5 steps, checkpoint at step 5

    class Exploding(tasks.Regression):
        calls = 0

        def loss(self, model, batch):
            loss, logs = super().loss(model, batch)
            Exploding.calls += 1
            return (loss * float("nan") if Exploding.calls == 8 else loss), logs

    torch.manual_seed(0)
    model = models.build("regression", width=0.125)
    # resumed at step 5: the 8th loss is step 13, the 3rd batch of epoch 3
    with pytest.raises(train.TrainingDiverged, match=r"step 13 \(epoch 3, batch 3\)"):
        train.fit(model, Exploding(size=16), toy_photos()[:40], None, epochs=3, batch_size=8,
                  seed=0, out_dir=tmp_path, resume=True, progress=False, lr=3e-3)
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert state["step"] == 10  # the end of epoch 2, the last good state
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


class Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_malicious_checkpoint_is_refused_and_nothing_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / "evil.pt"
    torch.save({"model": Boom()}, evil)
    with pytest.raises(train.CheckpointError, match="refuses"):
        train.load_model(evil)
    assert not (tmp_path / "pwned").exists()
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(train.CheckpointError, match="cannot read"):
        train.load_model(garbage)
    with pytest.raises(train.CheckpointError, match="does not exist"):
        train.load_model(tmp_path / "missing.pt")


def test_cli_errors_are_one_line(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"model": Boom()}, evil)
    img = tmp_path / "x.png"
    from PIL import Image
    Image.fromarray(toy_photos(1)[0]).save(img)
    for args in (["colorize", str(img), "--model", str(evil)],
                 ["colorize", str(img), "--model", str(tmp_path / "none.pt")],
                 ["train", "--model", "nope", "--data", "flowers", "--profile", "smoke"],
                 ["train", "--model", "regression", "--data", str(tmp_path / "nodata")]):
        r = subprocess.run([sys.executable, "-m", "colorlab", *args], capture_output=True,
                           text=True, cwd=tmp_path)
        assert r.returncode == 2, r.stderr
        assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr


@pytest.mark.parametrize("name", ["regression", "zhang_eccv16", "vgg16_decoder"])
def test_colorize_any_size_gray_or_colour(name):
    torch.manual_seed(0)
    model = models.build(name, width=0.125).eval()
    rng = np.random.default_rng(0)
    for shape in [(37, 53, 3), (101, 64), (20, 300, 3)]:
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        out = colorize(model, img, size=None if shape[0] < 50 else 48)
        assert out.shape == shape[:2] + (3,) and out.min() >= 0 and out.max() <= 1
        # the photo's own lightness is kept
        from colorlab.color import rgb_to_lab
        src = np.repeat(img[..., None], 3, -1) if img.ndim == 2 else img
        dL = np.abs(rgb_to_lab(out)[..., 0] - rgb_to_lab(src)[..., 0])
        assert np.median(dL) < 2.0


def test_colorize_command_writes_pngs(tmp_path):
    model, _ = small_run(tmp_path / "m", epochs=1)
    from PIL import Image
    gray = tmp_path / "gray.png"
    Image.fromarray(toy_photos(1, size=45)[0][..., 0]).save(gray)
    r = subprocess.run([sys.executable, "-m", "colorlab", "colorize", str(gray),
                        str(tmp_path / "missing.jpg"), "--model", str(tmp_path / "m" / "last.pt"),
                        "--out", str(tmp_path / "out")], capture_output=True, text=True)
    out = Image.open(tmp_path / "out" / "gray_color.png")
    assert out.size == (45, 45) and out.mode == "RGB"
    assert "skipped" in r.stdout and r.returncode == 1


DDP_SCRIPT = """
import os, sys, torch
sys.path.insert(0, {root!r})
from tests.test_train import toy_photos
from colorlab import models, tasks, train
rank, world = train.init_distributed()
torch.manual_seed(0)
m = models.build("regression", width=0.125)
p = toy_photos(n=64, size=16)
train.fit(m, tasks.Regression(size=16), p, None, epochs=2, batch_size=8, lr=3e-3, seed=0,
          out_dir={out!r}, progress=False)
torch.save(m.state_dict(), os.path.join({out!r}, f"rank{{rank}}.pt"))
train.end_distributed()
"""


@pytest.mark.slow
def test_ddp_two_processes_gloo_same_weights(tmp_path, torchrun):
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT.format(root=str(ROOT), out=str(tmp_path)))
    r = torchrun(str(script))
    a, b = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    # it trained (weights moved away from the initial ones) and only rank 0 wrote last.pt
    torch.manual_seed(0)
    init = models.build("regression", width=0.125).state_dict()
    assert not torch.equal(init["out.weight"] if "out.weight" in init else next(iter(init.values())),
                           a["out.weight"] if "out.weight" in a else next(iter(a.values())))
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert state["world"] == 2 and state["step"] == 2 * (64 // 2 // 8)


@pytest.mark.slow
def test_torchrun_train_command(tmp_path, torchrun):
    """The documented command: torchrun --nproc_per_node=2 -m colorlab train … (gloo on CPU)."""
    photos = tmp_path / "photos"
    photos.mkdir()
    from PIL import Image
    for i, img in enumerate(toy_photos(n=40, size=40)):
        Image.fromarray(img).save(photos / f"p{i:02d}.png")
    r = torchrun("-m", "colorlab", "train", "--model", "regression", "--data", photos,
                 "--profile", "smoke", "--batch-size", "4", "--out", tmp_path / "out", "--quiet")
    state = torch.load(tmp_path / "out" / "last.pt", weights_only=True)
    assert state["world"] == 2 and state["name"] == "regression"
    assert r.stdout.count("weights:") == 1  # only rank 0 reports


def test_predict_ab_in_batches_equals_all_at_once():
    from colorlab.evaluate.inference import predict_ab
    torch.manual_seed(0)
    L = torch.rand(5, 1, 24, 24) * 100
    for name in ("regression", "zhang_eccv16"):
        model = models.build(name, width=0.125).eval()
        torch.testing.assert_close(predict_ab(model, L, batch_size=2), predict_ab(model, L))


class FixedColours(torch.nn.Module):
    """A stand-in 'colorizer' that answers with given ab (N, 2, H, W), whatever L it sees."""
    task = "regression"

    def __init__(self, ab):
        super().__init__()
        self.ab, self.unused = ab, torch.nn.Parameter(torch.zeros(1))

    def forward(self, L):
        return self.ab[:len(L)]


def test_against_gray_scores_the_truth_the_gray_guess_and_a_model():
    from colorlab import metrics
    from colorlab.evaluate.inference import predict_ab
    from colorlab.evaluate.scoring import against_gray
    photos = toy_photos(n=6, size=16)
    lab = tasks.to_lab(torch.from_numpy(photos))
    truth = against_gray(FixedColours(lab[:, 1:]), photos)
    assert truth["auc"] == pytest.approx(1.0) and truth["auc_rebalanced"] == pytest.approx(1.0)
    assert truth["auc_gray"] < 0.99 and truth["beats_gray"]
    assert truth["colorfulness"] == pytest.approx(truth["colorfulness_true"], abs=0.5)
    gray = against_gray(FixedColours(torch.zeros_like(lab[:, 1:])), photos)
    assert gray["auc"] == gray["auc_gray"] == truth["auc_gray"] and not gray["beats_gray"]
    assert gray["colorfulness"] < 0.5
    torch.manual_seed(0)
    model = models.build("zhang_eccv16", width=0.125)
    scores = against_gray(model, photos, T=0.5)
    expected = metrics.auc(predict_ab(model.eval(), lab[:, :1], T=0.5), lab[:, 1:])
    assert scores["auc"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="uint8"):
        against_gray(model, photos.astype(np.float32))


def test_optimizer_kw_reaches_the_optimizer(tmp_path):
    _, plain = small_run(epochs=1)
    model, decayed = small_run(tmp_path, epochs=1, optimizer_kw={"betas": (0.9, 0.99), "weight_decay": 0.5})
    group = torch.load(tmp_path / "last.pt", weights_only=True)["optimizers"][0]["param_groups"][0]
    assert group["weight_decay"] == 0.5 and tuple(group["betas"]) == (0.9, 0.99)
    assert decayed.steps != plain.steps


def test_history_keeps_every_steps_logs_and_reads_old_checkpoints(tmp_path):
    _, hist = small_run(tmp_path)
    assert len(hist.logs) == len(hist.steps) == 10 and hist.steps == hist.per_step("loss")
    stored = torch.load(tmp_path / "last.pt", weights_only=True)["history"]
    assert train.History.from_dict(stored).logs == hist.logs
    old = {"epochs": stored["epochs"], "steps": stored["steps"], "stopped": ""}   # before `logs`
    assert train.History.from_dict(old).steps == hist.steps


def test_train_step_is_zero_grad_loss_backward_step():
    """train.train_step is the loop of notebook 03: the same weights as writing it out."""
    torch.manual_seed(0)
    a = models.build("regression", width=0.125)
    b = models.build("regression", width=0.125)
    b.load_state_dict(a.state_dict())
    task = tasks.Regression(size=16, profile="smoke")
    batch = task.batch(torch.from_numpy(toy_photos(n=8)), None, train=True, gen=torch.Generator().manual_seed(0))
    opt_a, = task.configure_optimizers(a)
    opt_a.zero_grad()
    loss, _ = task.loss(a, batch)
    loss.backward()
    opt_a.step()
    logs = train.train_step(task, b, batch, task.configure_optimizers(b), lambda: torch.autocast("cpu", enabled=False))
    assert torch.equal(logs["loss"], loss.detach()) and same(weights(a), weights(b))


def test_every_recipe_has_epochs_for_every_profile():
    from colorlab import profiles
    for name, recipe in tasks.RECIPES.items():
        assert set(recipe.epochs) == set(profiles.PROFILES), name
    assert all(cls.recipe in tasks.RECIPES.values() for cls in tasks.TASKS.values()
               if cls.__module__.startswith("colorlab"))
    assert tasks.for_model(models.REGISTRY["vgg16_decoder"], profile="cpu").epochs == 3
