"""One training loop for every model in the workbook.

``fit(model, task, train_data, val_data)`` trains ``model`` on a task (``colorlab.tasks``) with the
task's recipe and returns a :class:`History`. Its body is the loop notebook 03 writes by hand:
photos → ``task.batch`` → ``train_step`` (for each of the task's objectives: ``zero_grad``,
forward + loss, ``backward``, optimizer ``step``) → schedulers → log → checkpoint. Around it, small
modules handle what a real run needs:

- ``device``: CUDA, then Apple MPS, then CPU (``device=`` overrides);
- ``speed``: the memory layout and precision measured fastest for this model on this kind of
  device (``channels_last``, bf16 autocast), among those that learn as well as float32;
- ``feeding``: every random choice (data order, crops, flips, dropout) drawn from generators seeded
  by ``(seed, epoch, step)``, so a run is a function of its seed;
- ``checkpoint``: written atomically at the end of every epoch and every ``checkpoint_every``
  steps; ``resume=True`` continues from ``out_dir/last.pt``, and on a CPU the resumed run ends with
  the same weights, bit for bit, as one that was never interrupted;
- ``distributed``: data parallel when launched by ``torchrun`` (only rank 0 writes); a task with
  two networks (a GAN) has each wrapped on its own, with its own optimizer and schedule;
- ``tensorboard``: with ``log_dir=DIR``, TensorBoard event files of the step logs, the epoch
  metrics, a few validation colourings and the recipe (``tensorboard --logdir DIR`` shows them);
- a non-finite loss stops training, names the step, and keeps the last good checkpoint.
"""
from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from types import SimpleNamespace

import torch
from torch import nn
from tqdm.auto import tqdm

from colorlab.train import checkpoint, distributed, feeding, speed, tensorboard
from colorlab.train.device import autocast_for, pick_device
from colorlab.train.history import History


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite."""


def train_step(task, nets, batch: dict, optimizers, autocast) -> dict:
    """One training step, as notebook 03 writes it by hand, for each of the task's objectives in
    turn (one for most tasks; the discriminator's, then the generator's for a GAN):
    clear the gradients, forward + loss (under ``autocast``), backward, optimizer step.
    Returns the logs of every objective, tensors (``loss`` among them)."""
    logs = {}
    for optimizer, loss_of in task.objectives(nets, optimizers):
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss, more = loss_of(batch)
        loss.backward()
        optimizer.step()     # gradient clipping would go just before this line
        logs.update(more)
    return logs


def fit(model: nn.Module, task, train_data, val_data=None, *, epochs: int | None = None,
        batch_size: int | None = None, lr: float | None = None, schedule: str | None = None,
        optimizer_kw: dict | None = None, seed: int = 0, out_dir=None, checkpoint_every: int = 0,
        resume: bool = False, device=None, amp: bool | None = None,
        channels_last: bool | None = None, max_steps: int | None = None, progress: bool = True,
        val_batches: int | None = None, log_dir=None) -> History:
    """Train ``model`` on ``task`` for ``epochs`` passes over ``train_data``; return a History.

    train_data, val_data: an ``ImageSet`` (``data.load``) or (N, H, W, 3) uint8 photos.
    epochs, batch_size, lr, schedule ("constant" | "cosine"), optimizer_kw (e.g. betas,
    weight_decay): None takes the task's recipe (``task.epochs``, ``task.lr`` …, from
    ``tasks.RECIPES``). out_dir: where ``last.pt`` goes (None: no checkpoints); an earlier run's
    ``last.pt`` there is kept beside as ``last.previous-K.pt``. checkpoint_every: also save every
    that many steps (0: only at epoch ends). resume: continue from ``out_dir/last.pt`` if it
    exists. amp (bf16 autocast), channels_last: None takes the model's measured fastest
    (``speed.choose``), True/False overrides. max_steps: stop after that many steps in all.
    val_batches: at most that many validation batches per epoch. log_dir: a folder for
    TensorBoard event files (module ``tensorboard``; None: nothing written, not even imported).
    Raises :class:`TrainingDiverged` when a loss stops being finite.
    """
    run = _setup(model, task, train_data, epochs, batch_size, lr, schedule, optimizer_kw, seed,
                 device, speed_args=(amp, channels_last), max_steps=max_steps)
    run.ckpt, run.checkpoint_every = (Path(out_dir) / "last.pt" if out_dir else None), checkpoint_every
    epoch, step_in_epoch = _start(run, resume, progress)
    run.bar = _progress_bar(run.total, run.step, progress and run.rank == 0)
    t0 = time.perf_counter()
    with tensorboard.opened(log_dir, run.step, run.rank) as run.board:   # None: no logging
        while epoch < run.epochs and run.step < run.total:
            t_epoch = time.perf_counter()
            step_in_epoch, sums, count = _train_epoch(run, epoch, step_in_epoch)
            if step_in_epoch < run.steps_per_epoch:   # stopped by max_steps mid-epoch
                run.history.stopped = f"max_steps={max_steps} reached at epoch {epoch + 1}, batch {step_in_epoch}"
                _save(run, epoch, step_in_epoch)      # last.pt holds the model fit returns
                break
            row = {"epoch": epoch + 1, "steps": run.step, "seconds": round(time.perf_counter() - t_epoch, 2)}
            row.update({f"train_{k}": v / max(count, 1) for k, v in sums.items()})
            if val_data is not None:
                row.update({f"val_{k}": v for k, v in evaluate(model, task, val_data, run.batch_size, run.dev,
                                                                run.autocast, val_batches).items()})
            run.history.epochs.append(row)
            _say(run.rank, progress, f"epoch {epoch + 1}/{run.epochs}: " + ", ".join(
                f"{k} {v:.4f}" for k, v in row.items() if k.startswith(("train_", "val_"))))
            if run.board is not None:
                tensorboard.log_epoch(run.board, row)
                tensorboard.log_colourings(run.board, model, task, val_data, run.step, run.dev, run.autocast)
            epoch, step_in_epoch = epoch + 1, 0
            _save(run, epoch, 0)
        if run.board is not None:
            tensorboard.log_recipe(run.board, run, schedule, optimizer_kw, run.history.last)
    run.bar.close()
    run.history.seconds = round(time.perf_counter() - t0, 2)
    distributed.sync_buffers(model, run.world)
    model.to(memory_format=torch.contiguous_format)   # as a loaded model is: the same numbers
    model.task_state = task.state()      # colouring with this model now uses this task
    model.eval()
    return run.history


def _setup(model, task, train_data, epochs, batch_size, lr, schedule, optimizer_kw, seed, device,
           speed_args, max_steps) -> SimpleNamespace:
    """Everything a run holds: the device and speed variant, the (wrapped) networks, optimizers
    and schedulers (the recipe's, or the overrides), the photos, and the number of steps."""
    epochs = task.epochs if epochs is None else epochs
    batch_size = task.batch_size if batch_size is None else batch_size
    rank, world = distributed.dist_info()
    dev = pick_device(device)
    model.to(dev)
    variant = speed.choose(checkpoint.model_name(model), dev, *speed_args)
    if variant.channels_last:
        model.to(memory_format=torch.channels_last)
    task.prepare(train_data)
    nets = task.wrap(model, distributed.wrap_fn(world, dev))
    autocast = autocast_for(dev, variant.bf16)
    optimizers = task.configure_optimizers(model, lr, **(optimizer_kw or {}))
    images, labels = feeding.images_and_labels(train_data)
    steps_per_epoch = len(feeding.epoch_order(len(images), seed, 0, rank, world)) // batch_size
    if steps_per_epoch == 0:
        raise ValueError(f"batch_size {batch_size} is larger than the {len(images)} training "
                         f"images{' per process' if world > 1 else ''}; use a smaller batch")
    total = epochs * steps_per_epoch if max_steps is None else min(max_steps, epochs * steps_per_epoch)
    schedulers = task.configure_schedulers(optimizers, total, schedule)
    run_config = {"name": checkpoint.model_name(model), "kwargs": dict(getattr(model, "config", {})),
                  "batch_size": batch_size, "seed": seed, "world": world}
    history = History()
    history.speed = speed.name_of(variant)
    return SimpleNamespace(model=model, task=task, nets=nets, optimizers=optimizers,
                           schedulers=schedulers, autocast=autocast, dev=dev, rank=rank, world=world,
                           images=images, labels=labels, seed=seed, epochs=epochs, lr=lr,
                           batch_size=batch_size, steps_per_epoch=steps_per_epoch, total=total,
                           run_config=run_config, history=history, step=0, board=None)


def _start(run, resume: bool, progress: bool) -> tuple[int, int]:
    """Resume from ``run.ckpt`` if asked and it exists, else start afresh (keeping an earlier
    run's ``last.pt`` beside); returns (epoch, step in epoch) to start at."""
    epoch = step_in_epoch = 0
    ckpt = run.ckpt
    if resume and ckpt is not None and ckpt.exists():
        state = checkpoint.restore(ckpt, run.run_config, run.model, run.optimizers, run.schedulers)
        run.history = History.from_dict(state["history"])
        epoch, step_in_epoch, run.step = state["epoch"], state["step_in_epoch"], state["step"]
        _say(run.rank, progress, f"resuming {ckpt} at epoch {epoch + 1}, step {run.step}")
    elif resume and ckpt is not None:
        _say(run.rank, True, f"no checkpoint at {ckpt} to resume from: starting a new run")
    checkpoint.keep_previous(ckpt, resume, run.rank)
    if ckpt is not None and run.rank == 0 and ckpt.parent.is_dir():
        checkpoint.remove_stale_temporaries(ckpt.parent)
    return epoch, step_in_epoch


def _train_epoch(run, epoch: int, step_in_epoch: int) -> tuple[int, dict, int]:
    """Train from batch ``step_in_epoch`` of ``epoch`` to its end (or ``run.total`` steps);
    returns (batches done in this epoch, sums of the step logs, steps taken here)."""
    if isinstance(run.nets, nn.Module):
        run.nets.train()
    run.model.train()
    order = feeding.epoch_order(len(run.images), run.seed, epoch, run.rank, run.world)
    sums, count, b = {}, 0, run.batch_size
    while step_in_epoch < run.steps_per_epoch and run.step < run.total:
        x, y = feeding.fetch(run.images, run.labels, order[step_in_epoch * b:(step_in_epoch + 1) * b], run.dev)
        gen = feeding.seeded(run.seed, epoch, step_in_epoch, run.rank)
        torch.manual_seed(int(torch.randint(0, 2 ** 62, (1,), generator=gen)))  # dropout etc.
        batch = run.task.batch(x, y, train=True, gen=gen)
        logs = _as_floats(train_step(run.task, run.nets, batch, run.optimizers, run.autocast))
        _check_finite(logs, run.history, f"step {run.step + 1} (epoch {epoch + 1}, batch {step_in_epoch + 1})",
                      run.ckpt, run.lr)
        for s in run.schedulers:
            s.step()
        run.step, step_in_epoch, count = run.step + 1, step_in_epoch + 1, count + 1
        _log_step(logs, sums, run.history, run.bar, epoch)
        if run.board is not None:
            tensorboard.log_step(run.board, logs, run.step)
        if run.checkpoint_every and run.step % run.checkpoint_every == 0 and step_in_epoch < run.steps_per_epoch:
            _save(run, epoch, step_in_epoch)
    return step_in_epoch, sums, count


def _save(run, epoch: int, step_in_epoch: int) -> None:
    checkpoint.save_run(run.ckpt, run.rank, run.run_config, run.model, run.task, run.optimizers,
                        run.schedulers, run.history, epoch, step_in_epoch, run.step)


def _as_floats(logs: dict) -> dict:
    """A step's logs (tensors or numbers) as Python floats, with one copy from the device.

    On a GPU each ``float(tensor)`` waits for the device; stacking first waits once. The values
    are those ``float`` gives: they are stacked in float32, which holds bf16 and float32 values
    exactly and, unlike float64, exists on every device (Apple's MPS has no float64).
    """
    tensors = [v for v in logs.values() if isinstance(v, torch.Tensor)]
    if not tensors or all(t.device.type == "cpu" for t in tensors):
        return {k: float(v) for k, v in logs.items()}
    dev = tensors[0].device
    stacked = torch.stack([torch.as_tensor(v, device=dev).detach().reshape(()).float()
                           for v in logs.values()])
    return dict(zip(logs, stacked.tolist()))


def _log_step(logs: dict, sums: dict, history: History, bar, epoch: int) -> None:
    """Per-step bookkeeping of ``fit``: the logs (floats) summed for the epoch means and
    appended to ``history.logs``, the bar advanced (its running loss only when it is shown)."""
    for k, v in logs.items():
        sums[k] = sums.get(k, 0.0) + v
    history.logs.append(logs)
    if not bar.disable:
        recent = [log["loss"] for log in history.logs[-20:]]
        bar.set_postfix(epoch=epoch + 1, loss=f"{sum(recent) / len(recent):.4f}", refresh=False)
    bar.update(1)


def _check_finite(logs: dict, history: History, where: str, ckpt, lr) -> None:
    """Raise TrainingDiverged if any loss in ``logs`` (keys starting with "loss") is NaN or inf."""
    bad = {k: float(v) for k, v in logs.items() if k.startswith("loss") and not math.isfinite(float(v))}
    if bad:
        keep = f"the last good checkpoint is {ckpt}" if ckpt and ckpt.exists() else "no checkpoint was written"
        history.stopped = f"{', '.join(f'{k} became {v}' for k, v in bad.items())} at {where}"
        raise TrainingDiverged(f"{history.stopped}; {keep}. Try a lower learning rate "
                               f"(lr={lr}) or check the data.")


def _say(rank: int, show: bool, text: str) -> None:
    if rank == 0 and show:
        print(f"[colorlab] {text}", flush=True)


def _progress_bar(total: int, done: int, show: bool):
    """One bar for the whole run: tqdm's notebook bar in Jupyter, a text bar in a terminal."""
    return tqdm(total=total, initial=done, desc="training", unit="step", disable=not show,
                mininterval=1.0)


def fit_named(name: str, model: nn.Module, task, train_data, val_data=None, *, out_dir=None,
              **fit_kw) -> History:
    """``fit`` with a name: checkpoints in ``out_dir/name``, and a one-line report when done
    (steps, seconds, seconds per step, the last validation numbers, the checkpoint)."""
    where = Path(out_dir) / name if out_dir is not None else None
    history = fit(model, task, train_data, val_data, out_dir=where, **fit_kw)
    n = len(history.steps)
    val = ", ".join(f"{k} {v:.4f}" for k, v in history.last.items() if k.startswith("val_"))
    print(f"{name}: {n} steps in {history.seconds:.0f} s ({history.seconds / max(n, 1):.2f} s/step, "
          f"{history.speed})"
          + (f"; {val}" if val else "") + (f"; checkpoint {where / 'last.pt'}" if where else ""))
    return history


@torch.no_grad()
def evaluate(model, task, data, batch_size: int = 32, device=None, autocast=None,
             max_batches: int | None = None) -> dict:
    """Mean validation loss and metrics of ``task`` over ``data`` (centre crops, no flips)."""
    dev = pick_device(device) if device is None or isinstance(device, str) else device
    autocast = autocast or contextlib.nullcontext
    was_training = model.training
    model.eval()
    images, labels = feeding.images_and_labels(data)
    sums, n = {}, 0
    for b, s in enumerate(range(0, len(images), batch_size)):
        if max_batches is not None and b >= max_batches:
            break
        idx = torch.arange(s, min(s + batch_size, len(images)))
        x, y = feeding.fetch(images, labels, idx, dev)
        with autocast():
            logs = task.validate(model, task.batch(x, y, train=False, gen=None))
        for k, v in logs.items():
            sums[k] = sums.get(k, 0.0) + float(v) * len(idx)
        n += len(idx)
    model.train(was_training)
    return {k: v / max(n, 1) for k, v in sums.items()}
