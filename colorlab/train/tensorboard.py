"""TensorBoard logs of a training run: ``fit(..., log_dir=DIR)`` writes event files into DIR.

What ``fit`` writes, and under which tag (view them with ``tensorboard --logdir DIR``, offline):

- every step: each key of the step's log dict as ``train/<key>`` (``train/loss``; for a GAN also
  ``train/loss_d``, ``train/d_real`` …), at the global step (1, 2, …) — the numbers of
  ``History.logs``;
- every epoch, at the step where the epoch ended (so it lines up with the step curves): the
  validation metrics ``val/<key>`` (``val/loss``, ``val/auc``), the epoch means and seconds as
  ``epoch/<key>`` (``epoch/train_loss``), and ``val/colourings``: a few validation photos, one row
  each, gray input | prediction | truth;
- at the end: the recipe (lr, schedule, epochs, batch size, model name and kwargs …) as hparams,
  beside the final validation metrics (TensorBoard's HPARAMS tab compares runs by them).

Logging changes nothing in training: the colourings are made without gradients, in eval mode,
with the global random state saved and restored. Only rank 0 writes. Each call to ``fit`` writes
a new event file, and TensorBoard drops what earlier files in the folder hold from the step this
run starts at on (``purge_step``): a resumed run continues its curves (the steps it redoes after
the last checkpoint appear once), a new run in the same folder replaces the earlier run's curves.

``torch.utils.tensorboard`` (the ``tensorboard`` package) is imported only when a folder is given.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import torch

from colorlab.color import merge_l_ab
from colorlab.train import feeding

SHOWN = 4    # validation photos coloured for ``val/colourings`` every epoch


@contextlib.contextmanager
def opened(log_dir, start_step: int, rank: int):
    """``with opened(DIR, step, rank) as writer:`` a ``SummaryWriter`` into DIR, closed at the end
    (also on an exception); None when DIR is None or on ranks other than 0 (nothing is written)."""
    if log_dir is None or rank != 0:
        yield None
        return
    from torch.utils.tensorboard import SummaryWriter   # here: only runs that log pay for it
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    writer = SummaryWriter(str(log_dir), purge_step=start_step + 1)   # steps count from 1
    try:
        yield writer
    finally:
        writer.close()


def log_step(writer, logs: dict, step: int) -> None:
    """Every value of one step's logs (floats) as ``train/<key>`` at ``step``."""
    for key, value in logs.items():
        writer.add_scalar(f"train/{key}", value, step)


def log_epoch(writer, row: dict) -> None:
    """An epoch's row of ``History.epochs``: ``val_X`` → ``val/X``, the others (train means,
    seconds) → ``epoch/<key>``, at the step the epoch ended (``row["steps"]``)."""
    for key, value in row.items():
        if key in ("epoch", "steps"):
            continue
        tag = f"val/{key[len('val_'):]}" if key.startswith("val_") else f"epoch/{key}"
        writer.add_scalar(tag, value, row["steps"])


def log_colourings(writer, model, task, val_data, step: int, device, autocast, n: int = SHOWN) -> None:
    """The first ``n`` validation photos coloured by ``model``, as one image ``val/colourings``:
    one row per photo, gray input | prediction | truth. Nothing for a task that does not colour
    (a classifier) or without validation photos."""
    if val_data is None or not getattr(task, "colors", True):
        return
    images, labels = feeding.images_and_labels(val_data)
    idx = torch.arange(min(n, len(images)))
    if len(idx) == 0:
        return
    rows = _colour_rows(model, task, *feeding.fetch(images, labels, idx, device), autocast)
    writer.add_image("val/colourings", rows, step)


@torch.no_grad()
def _colour_rows(model, task, x, y, autocast) -> torch.Tensor:
    """(3, n·H, 3·W) sRGB in [0, 1]: for each photo in ``x``, gray | predicted | true colours.

    Done as ``evaluate`` does it (validation batch: centre crop, fixed hints; eval mode, no
    gradients), and with the global random state saved and restored, so training goes on exactly
    as it would have without this picture."""
    rng, was_training = torch.get_rng_state(), model.training
    model.eval()
    try:
        batch = task.batch(x, y, train=False, gen=None)
        with autocast():
            ab = task.predict_ab(model, batch)
        L, truth = batch["L"].float().cpu(), batch["ab"].float().cpu()
        ab = ab.float().cpu()
        gray = merge_l_ab(L, torch.zeros_like(truth))
        row = torch.cat([gray, merge_l_ab(L, ab), merge_l_ab(L, truth)], dim=3)   # side by side
        return torch.cat(list(row), dim=1)                                          # photos stacked
    finally:
        model.train(was_training)
        torch.set_rng_state(rng)


def log_recipe(writer, run, schedule, optimizer_kw, final: dict) -> None:
    """The recipe the run trained with as hparams, with the final metrics (``val_*`` of
    ``final``, the last row of ``History.epochs``) as the metrics TensorBoard compares."""
    from torch.utils.tensorboard.summary import hparams
    metrics = {f"val/{k[len('val_'):]}": v for k, v in final.items() if k.startswith("val_")}
    experiment, start, end = hparams(recipe(run, schedule, optimizer_kw), metrics)
    for summary in (experiment, start, end):
        writer.file_writer.add_summary(summary)


def recipe(run, schedule, optimizer_kw) -> dict:
    """What the run trained with, as flat ``{name: number or text}`` (what hparams accepts)."""
    task, config = run.task, run.run_config
    flat = {"model": config["name"], "task": task.name, "lr": run.lr or task.lr,
            "schedule": schedule or task.schedule, "epochs": run.epochs,
            "batch_size": run.batch_size, "seed": run.seed, "world": run.world,
            "size": getattr(task, "size", None)}
    flat.update({f"optimizer.{k}": v for k, v in {**task.optimizer_kw, **(optimizer_kw or {})}.items()})
    flat.update({f"model.{k}": v for k, v in config["kwargs"].items()})
    return {k: v if isinstance(v, (bool, int, float, str)) else str(v) for k, v in flat.items()}
