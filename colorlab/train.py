"""One training loop for every model in the workbook.

``fit(model, task, train_data, val_data)`` trains ``model`` on a task (``tasks.py``) with the
task's recipe and returns a :class:`History` of per-epoch losses and metrics. Its body is the loop
notebook 03 writes by hand (batch → ``task.step``: forward, loss, backward, optimizer step →
schedulers → log → checkpoint); around it, small helpers handle what a real run needs:

- the device: CUDA, then Apple MPS, then CPU (``device=`` overrides); on CUDA bf16 autocast and
  ``channels_last``;
- batches built on the device from uint8 photos (``tasks.py``), random crops and flips;
- one ``tqdm`` progress bar with the running loss (the notebook bar in Jupyter);
- checkpoints written atomically (temporary file, then rename) at the end of every epoch and
  every ``checkpoint_every`` steps: model, optimizers, scheduler, RNG state and the position in
  the data. ``resume=True`` continues from ``out_dir/last.pt``; on a CPU the resumed run ends with
  the same weights, bit for bit, as one that was never interrupted;
- a non-finite loss stops training, names the step, and keeps the last good checkpoint;
- distributed data parallel when launched by ``torchrun`` (only rank 0 writes); a task with two
  networks (a GAN) has each wrapped on its own and keeps its own optimizers and schedules.

Reproducibility: every random choice (data order, crops, flips, dropout) is drawn from
generators seeded by ``(seed, epoch, step)``, so a run is a function of its seed.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from colorlab import files, models, tasks

CHECKPOINT_FORMAT = 1
# The most memory a checkpoint's model may ask for before it is built: twice the largest model
# `train` can make (zhang_hints at the largest --width, 4: 2.0 GB). A fixed number, not a share of
# this machine's RAM, so a checkpoint loads (or not) alike everywhere; a file that asks for more
# was not written by colorlab (its stored width or sizes are hostile or corrupt).
MAX_MODEL_BYTES = 4 << 30


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite."""


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used (missing, unsafe, or for another model)."""


# --- device ----------------------------------------------------------------------------------

def pick_device(device=None) -> torch.device:
    """CUDA if present, else Apple MPS, else CPU; a string or device given here wins."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def autocast_for(device: torch.device, amp: bool | None):
    """A context-manager factory: bf16 autocast on CUDA by default, on CPU only if ``amp=True``.

    On CPUs we default to float32: bf16 was measured faster on AVX-512/AMX CPUs but we have not
    shown that every model here learns as well with it (see the README).
    """
    use = (device.type == "cuda") if amp is None else bool(amp)
    if not use or device.type not in ("cuda", "cpu"):
        return contextlib.nullcontext
    return lambda: torch.autocast(device.type, dtype=torch.bfloat16)


# --- history ---------------------------------------------------------------------------------

@dataclass
class History:
    """What happened during training: one dict per epoch, and the loss of every step."""
    epochs: list = field(default_factory=list)   # {"epoch", "train_loss", "val_loss", "val_auc", …}
    steps: list = field(default_factory=list)    # training loss per step
    stopped: str = ""                            # why training stopped early, if it did
    seconds: float = 0.0                         # wall-clock seconds of this call to fit

    def __getitem__(self, key) -> list:
        """``history["val_loss"]`` → that value for every epoch."""
        return [e.get(key) for e in self.epochs]

    @property
    def last(self) -> dict:
        return self.epochs[-1] if self.epochs else {}

    def smoothed(self, k: int = 10) -> np.ndarray:
        """The moving mean of the step losses over ``k`` steps (fewer at the start)."""
        v = np.asarray(self.steps, dtype=float)
        if len(v) == 0:
            return np.array([float("nan")])
        c = np.cumsum(np.insert(v, 0, 0.0))
        lo = np.maximum(np.arange(1, len(v) + 1) - k, 0)
        return (c[1:] - c[lo]) / (np.arange(1, len(v) + 1) - lo)

    def as_dict(self) -> dict:
        return {"epochs": self.epochs, "steps": self.steps, "stopped": self.stopped}

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        return cls(list(d.get("epochs", [])), list(d.get("steps", [])), d.get("stopped", ""))

    def plot(self, ax=None, key: str = "loss", title=None, label: str = ""):
        """Training and validation ``key`` (default the loss) per epoch on ``ax``; returns ax."""
        import matplotlib.pyplot as plt
        ax = ax or plt.subplots(figsize=(4, 3))[1]
        x = self["epoch"]
        for split, style in (("train", "-"), ("val", "--")):
            y = self[f"{split}_{key}"]
            if any(v is not None for v in y):
                ax.plot(x, y, style, marker="o", label=f"{label} {split}".strip())
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_title(title or "")
        ax.legend()
        return ax


# --- checkpoints -----------------------------------------------------------------------------

def model_name(model: nn.Module) -> str:
    """The registry name of a model (``models.build(name, **model.config)`` rebuilds it)."""
    model = getattr(model, "module", model)
    for name, cls in models.REGISTRY.items():
        if type(model) is cls:
            return name
    return type(model).__name__


class CheckpointWriteError(OSError):
    """A checkpoint could not be written (disk full, no permission); the previous one is intact."""


def save_checkpoint(path, state: dict):
    """Write ``state`` to ``path`` atomically: a half-written file never replaces a good one.

    The state goes to a temporary file beside ``path`` first (:func:`files.atomic_write`). If writing fails
    (a full disk), the partial file is removed and :class:`CheckpointWriteError` says so.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        files.atomic_write(path, lambda f: torch.save(state, f))
    except (OSError, RuntimeError) as exc:          # torch reports a full disk as RuntimeError
        keep = f"the previous {path.name} is intact" if path.exists() else "no checkpoint was kept"
        raise CheckpointWriteError(f"cannot write checkpoint {path}: {_why(exc)}; {keep}. "
                                   "Free some disk space or choose another out_dir") from None


def _why(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
    return "the disk is full" if "No space left" in str(exc) or "file write failed" in str(exc) else text


def remove_stale_temporaries(folder) -> list[Path]:
    """Delete the ``.last.pt.<PID>-<id>.tmp`` files that a killed run left behind (PID gone)."""
    return files.remove_stale_temporaries(folder, ".*.pt.*.tmp")


def load_checkpoint(path, map_location="cpu") -> dict:
    """Read a checkpoint safely: tensors and plain values only (``weights_only=True``).

    A file that would need arbitrary unpickling is refused, and nothing in it runs. Its
    ``model`` entry must be a state dict (names → tensors), every floating tensor finite: NaN
    weights would colour every photo black.
    """
    path = Path(path)
    name = files.printable(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {name} does not exist or is not a regular file; train a "
                              "model first (python -m colorlab train … --out DIR writes DIR/last.pt)")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        if "GLOBAL" in str(exc) or "Unsupported global" in str(exc):
            raise CheckpointError(f"{name} is not a plain colorlab/PyTorch weights file: it asks to "
                                  "unpickle arbitrary objects, which colorlab refuses "
                                  "(nothing in it was run)") from None
        raise CheckpointError(f"cannot read checkpoint {name}: it is not a PyTorch file written "
                              f"by torch.save ({type(exc).__name__})") from None
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"{name} is not a colorlab checkpoint (no 'model' entry)")
    weights = state["model"]
    if not (isinstance(weights, dict)
            and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items())):
        raise CheckpointError(f"{name} is not a colorlab checkpoint: its 'model' entry is a "
                              f"{type(weights).__name__}, not a state dict of named tensors")
    bad = next((k for k, v in weights.items() if v.is_floating_point() and not torch.isfinite(v).all()), None)
    if bad is not None:
        raise CheckpointError(f"{name}: the weight {bad!r} holds NaN or infinite values (the run that "
                              "wrote it diverged); use an earlier checkpoint or train again")
    return state


def load_model(path, device="cpu") -> nn.Module:
    """Rebuild the model stored in a checkpoint (its name, constructor arguments and weights).

    The task it was trained with comes back too (``model.task_state``; ``tasks.of(model)``), so
    colouring with it uses the same size, prior and temperature. Everything stored is checked
    before anything is built (``stored_model``, ``check_model_memory``, ``tasks.from_state``):
    a bad checkpoint raises :class:`CheckpointError` naming the file and the bad entry.
    """
    state = load_checkpoint(path)
    name, kwargs = stored_model(path, state)
    check_model_memory(path, name, kwargs)
    try:
        tasks.from_state(state.get("task") or {"task": models.REGISTRY[name].task})
    except ValueError as exc:
        raise CheckpointError(f"{files.printable(path)}: its stored task is not valid: {exc}") from None
    try:
        model = models.build(name, **kwargs)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{files.printable(path)}: cannot build {name}({_args(kwargs)}): "
                              f"{str(exc).splitlines()[0]}") from None
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise CheckpointError(f"{files.printable(path)}: the weights do not fit {name}({_args(kwargs)}): "
                              f"{str(exc).splitlines()[0]}") from None
    model.task_state = state.get("task", {})
    return model.to(device).eval()


def stored_model(path, state: dict) -> tuple[str, dict]:
    """The model name and constructor arguments a checkpoint stores, checked: a known name, a
    dict of arguments the constructor takes. Arguments naming other weight files (``*_weights``)
    are refused: a checkpoint holds its own weights, and reads no other file."""
    name, kwargs = state.get("name"), state.get("kwargs", {})
    where = files.printable(path)
    if not isinstance(name, str) or name not in models.REGISTRY:
        raise CheckpointError(f"{where} holds a model named {_short(name)}, which colorlab does not "
                              f"know; known: {', '.join(models.names())}")
    if not isinstance(kwargs, dict):
        raise CheckpointError(f"{where}: its 'kwargs' entry (the constructor arguments of {name}) "
                              f"is a {type(kwargs).__name__}, not a dict")
    valid = [k for k in models.constructor_args(name) if not k.endswith("_weights")]
    bad = next((k for k in kwargs if k not in valid), None)
    if bad is not None:
        raise CheckpointError(f"{where}: {name} takes no stored argument {_short(bad)}; "
                              f"valid: {', '.join(valid)}")
    return name, kwargs


def check_model_memory(path, name: str, kwargs: dict) -> None:
    """Refuse a stored model whose weights would take more than ``MAX_MODEL_BYTES``, estimated
    without allocating them (``models.memory_bytes`` builds it on the "meta" device)."""
    try:
        need = models.memory_bytes(name, **kwargs)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{files.printable(path)}: cannot build {name}({_args(kwargs)}): "
                              f"{str(exc).splitlines()[0]}") from None
    if need > MAX_MODEL_BYTES:
        raise CheckpointError(f"{files.printable(path)}: {name}({_args(kwargs)}) would need "
                              f"{need / 2**30:.1f} GB of weights, more than the {MAX_MODEL_BYTES / 2**30:.0f} GB "
                              "colorlab loads (MAX_MODEL_BYTES; its largest model takes 2 GB): "
                              "the file's stored sizes are wrong")


def _args(kwargs: dict) -> str:
    """Constructor arguments as ``width=0.5, …``, cut short for an error message."""
    return _short(", ".join(f"{k}={v!r}" for k, v in kwargs.items()), quote=False)


def _short(value, quote: bool = True, limit: int = 80) -> str:
    """``repr(value)`` (or the text itself), escaped and cut to ``limit`` characters."""
    text = files.printable(repr(value) if quote else value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --- distributed -----------------------------------------------------------------------------

def _dist_info() -> tuple[int, int]:
    """(rank, world size); (0, 1) when not distributed."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def init_distributed() -> tuple[int, int]:
    """Join the process group torchrun set up (NCCL on GPUs, gloo on CPUs)."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    return _dist_info()


# --- the loop --------------------------------------------------------------------------------

def _seeded(*parts: int) -> torch.Generator:
    """A CPU generator seeded from a tuple of ints (seed, epoch, step …)."""
    g = torch.Generator()
    g.manual_seed(hash(tuple(int(p) for p in parts)) & 0x7FFF_FFFF_FFFF)
    return g


def _epoch_order(n: int, seed: int, epoch: int, rank: int, world: int) -> torch.Tensor:
    """This rank's share of a shuffled order of n items (a DistributedSampler by hand)."""
    order = torch.randperm(n, generator=_seeded(seed, epoch, -1))
    if world > 1:
        order = order[: len(order) - len(order) % world][rank::world]
    return order


def _images_and_labels(data):
    images = getattr(data, "images", data)
    labels = getattr(data, "labels", None)
    return images, labels


def _fetch(images, labels, idx: torch.Tensor, device):
    """The photos (and labels) at ``idx`` as tensors on ``device`` (uint8, (B, H, W, 3))."""
    sel = np.sort(idx.numpy())  # sorted reads are faster on a memmap; the order is kept below
    back = np.argsort(np.argsort(idx.numpy()))
    batch = torch.from_numpy(np.ascontiguousarray(np.asarray(images[sel])[back]))
    lab = None if labels is None else torch.as_tensor(np.asarray(labels)[idx.numpy()])
    return batch.to(device, non_blocking=True), (None if lab is None else lab.to(device))


def _as_floats(logs: dict) -> dict:
    """A step's logs (tensors or numbers) as Python floats, with one copy from the device.

    On a GPU each ``float(tensor)`` waits for the device; stacking first waits once. The values
    are those ``float`` gives (stacked in float64, which holds bf16/float32 values exactly).
    """
    tensors = [v for v in logs.values() if isinstance(v, torch.Tensor)]
    if not tensors or all(t.device.type == "cpu" for t in tensors):
        return {k: float(v) for k, v in logs.items()}
    dev = tensors[0].device
    stacked = torch.stack([torch.as_tensor(v, device=dev).detach().reshape(()).double()
                           for v in logs.values()])
    return dict(zip(logs, stacked.tolist()))


def _log_step(logs: dict, sums: dict, history: "History", bar, epoch: int) -> None:
    """Per-step bookkeeping of ``fit``: the logs (floats) summed for the epoch means, the loss
    appended to ``history.steps``, the bar advanced (its running loss only when it is shown)."""
    for k, v in logs.items():
        sums[k] = sums.get(k, 0.0) + v
    history.steps.append(logs["loss"])
    if not bar.disable:
        recent = history.steps[-20:]
        bar.set_postfix(epoch=epoch + 1, loss=f"{sum(recent) / len(recent):.4f}", refresh=False)
    bar.update(1)


def _check_finite(logs: dict, history: "History", where: str, ckpt, lr) -> None:
    """Raise TrainingDiverged if any loss in ``logs`` (keys starting with "loss") is NaN or inf."""
    bad = {k: float(v) for k, v in logs.items() if k.startswith("loss") and not math.isfinite(float(v))}
    if bad:
        keep = f"the last good checkpoint is {ckpt}" if ckpt and ckpt.exists() else "no checkpoint was written"
        history.stopped = f"{', '.join(f'{k} became {v}' for k, v in bad.items())} at {where}"
        raise TrainingDiverged(f"{history.stopped}; {keep}. Try a lower learning rate "
                               f"(lr={lr}) or check the data.")


def _wrap_fn(world: int, dev: torch.device):
    """DistributedDataParallel around a network when torchrun started us, else nothing."""
    if world == 1:
        return lambda net: net
    ids = [dev.index] if dev.type == "cuda" else None
    return lambda net: nn.parallel.DistributedDataParallel(net, device_ids=ids)


def _keep_previous(ckpt: Path | None, resume: bool, rank: int) -> None:
    """A fresh run never overwrites an earlier one's last.pt silently: that file is kept beside."""
    if ckpt is None or resume or rank != 0 or not ckpt.exists():
        return
    k = 1
    while (kept := ckpt.with_name(f"last.previous-{k}.pt")).exists():
        k += 1
    os.replace(ckpt, kept)
    print(f"[colorlab] {ckpt} held an earlier run: kept it as {kept.name} (resume=True continues a run)")


def _restore(ckpt: Path, run_config: dict, model, optimizers, schedulers) -> dict:
    """Load model, optimizers, schedulers and RNG from ``ckpt``; returns the checkpoint dict."""
    state = load_checkpoint(ckpt)
    _check_resumable(ckpt, state, run_config)
    model.load_state_dict(state["model"])
    for o, s in zip(optimizers, state["optimizers"]):
        o.load_state_dict(s)
    for sch, s in zip(schedulers, state["schedulers"]):
        sch.load_state_dict(s)
    torch.set_rng_state(state["rng"]["torch"])
    return state


def _save(ckpt: Path | None, rank: int, run_config: dict, model, task, optimizers, schedulers,
          history: "History", epoch: int, step_in_epoch: int, step: int) -> None:
    """Write everything a resume needs to ``ckpt`` (only rank 0 writes)."""
    if ckpt is None or rank != 0:
        return
    save_checkpoint(ckpt, {
        "format": CHECKPOINT_FORMAT, **run_config, "model": model.state_dict(),
        "task": task.state(), "optimizers": [o.state_dict() for o in optimizers],
        "schedulers": [s.state_dict() for s in schedulers],
        "rng": {"torch": torch.get_rng_state()}, "epoch": epoch,
        "step_in_epoch": step_in_epoch, "step": step, "history": history.as_dict()})


def fit(model: nn.Module, task, train_data, val_data=None, *, epochs: int | None = None,
        batch_size: int | None = None, lr: float | None = None, schedule: str | None = None,
        optimizer_kw: dict | None = None, seed: int = 0, out_dir=None, checkpoint_every: int = 0,
        resume: bool = False, device=None, amp: bool | None = None, max_steps: int | None = None,
        progress: bool = True, val_batches: int | None = None) -> History:
    """Train ``model`` on ``task`` for ``epochs`` passes over ``train_data``; return a History.

    train_data, val_data: an ``ImageSet`` (``data.load``) or (N, H, W, 3) uint8 photos.
    epochs, batch_size, lr, schedule ("constant" | "cosine"), optimizer_kw (e.g. betas,
    weight_decay): None takes the task's recipe (``task.epochs``, ``task.LR`` …).
    out_dir: where ``last.pt`` goes (None: no checkpoints); an earlier run's ``last.pt`` there is
    kept beside as ``last.previous-K.pt``. checkpoint_every: also save every that many steps (0:
    only at epoch ends). resume: continue from ``out_dir/last.pt`` if it exists. max_steps: stop
    after that many steps in all. Raises :class:`TrainingDiverged` when a loss stops being finite.
    """
    epochs = task.epochs if epochs is None else epochs
    batch_size = task.batch_size if batch_size is None else batch_size
    rank, world = _dist_info()
    dev = pick_device(device)
    model.to(dev)
    if dev.type == "cuda":
        model.to(memory_format=torch.channels_last)
    task.prepare(train_data)
    nets = task.wrap(model, _wrap_fn(world, dev))
    autocast = autocast_for(dev, amp)
    optimizers = task.configure_optimizers(model, lr, **(optimizer_kw or {}))
    images, labels = _images_and_labels(train_data)
    steps_per_epoch = len(_epoch_order(len(images), seed, 0, rank, world)) // batch_size
    if steps_per_epoch == 0:
        raise ValueError(f"batch_size {batch_size} is larger than the {len(images)} training "
                         f"images{' per process' if world > 1 else ''}; use a smaller batch")
    total = epochs * steps_per_epoch if max_steps is None else min(max_steps, epochs * steps_per_epoch)
    schedulers = task.configure_schedulers(optimizers, total, schedule)

    ckpt = Path(out_dir) / "last.pt" if out_dir else None
    run_config = {"name": model_name(model), "kwargs": dict(getattr(model, "config", {})),
                  "batch_size": batch_size, "seed": seed, "world": world}
    history, epoch, step_in_epoch, step = History(), 0, 0, 0
    if resume and ckpt is not None and ckpt.exists():
        state = _restore(ckpt, run_config, model, optimizers, schedulers)
        history = History.from_dict(state["history"])
        epoch, step_in_epoch, step = state["epoch"], state["step_in_epoch"], state["step"]
        _say(rank, progress, f"resuming {ckpt} at epoch {epoch + 1}, step {step}")
    elif resume and ckpt is not None:
        _say(rank, True, f"no checkpoint at {ckpt} to resume from: starting a new run")
    _keep_previous(ckpt, resume, rank)
    if ckpt is not None and rank == 0 and ckpt.parent.is_dir():
        remove_stale_temporaries(ckpt.parent)
    save = lambda e, s: _save(ckpt, rank, run_config, model, task, optimizers, schedulers,  # noqa: E731
                              history, e, s, step)

    bar = _progress_bar(total, step, progress and rank == 0)
    t0 = time.perf_counter()
    while epoch < epochs and step < total:
        if isinstance(nets, nn.Module):
            nets.train()
        model.train()
        order = _epoch_order(len(images), seed, epoch, rank, world)
        sums, count, t_epoch = {}, 0, time.perf_counter()
        while step_in_epoch < steps_per_epoch and step < total:
            idx = order[step_in_epoch * batch_size:(step_in_epoch + 1) * batch_size]
            x, y = _fetch(images, labels, idx, dev)
            gen = _seeded(seed, epoch, step_in_epoch, rank)
            torch.manual_seed(int(torch.randint(0, 2 ** 62, (1,), generator=gen)))  # dropout etc.
            logs = _as_floats(task.step(nets, task.batch(x, y, train=True, gen=gen), optimizers, autocast))
            _check_finite(logs, history, f"step {step + 1} (epoch {epoch + 1}, batch {step_in_epoch + 1})", ckpt, lr)
            for s in schedulers:
                s.step()
            step, step_in_epoch, count = step + 1, step_in_epoch + 1, count + 1
            _log_step(logs, sums, history, bar, epoch)
            if checkpoint_every and step % checkpoint_every == 0 and step_in_epoch < steps_per_epoch:
                save(epoch, step_in_epoch)
        if step_in_epoch < steps_per_epoch:   # stopped by max_steps mid-epoch
            history.stopped = f"max_steps={max_steps} reached at epoch {epoch + 1}, batch {step_in_epoch}"
            save(epoch, step_in_epoch)        # last.pt holds the model fit returns
            break
        row = {"epoch": epoch + 1, "steps": step, "seconds": round(time.perf_counter() - t_epoch, 2)}
        row.update({f"train_{k}": v / max(count, 1) for k, v in sums.items()})
        if val_data is not None:
            row.update({f"val_{k}": v for k, v in evaluate(model, task, val_data, batch_size, dev,
                                                            autocast, val_batches).items()})
        history.epochs.append(row)
        _say(rank, progress, f"epoch {epoch + 1}/{epochs}: " + ", ".join(
            f"{k} {v:.4f}" for k, v in row.items() if k.startswith(("train_", "val_"))))
        epoch, step_in_epoch = epoch + 1, 0
        save(epoch, 0)
    bar.close()
    history.seconds = round(time.perf_counter() - t0, 2)
    _sync_buffers(model, world)
    model.task_state = task.state()      # colouring with this model now uses this task
    model.eval()
    return history


def _say(rank: int, show: bool, text: str) -> None:
    if rank == 0 and show:
        print(f"[colorlab] {text}", flush=True)


def _progress_bar(total: int, done: int, show: bool):
    """One bar for the whole run: tqdm's notebook bar in Jupyter, a text bar in a terminal."""
    return tqdm(total=total, initial=done, desc="training", unit="step", disable=not show,
                mininterval=1.0)


def _sync_buffers(model, world: int) -> None:
    """DDP keeps the weights equal (gradients are averaged) but each rank updates its own
    batch-norm statistics; end with rank 0's, the ones its checkpoint holds."""
    if world > 1:
        for buf in model.buffers():
            torch.distributed.broadcast(buf, src=0)


def fit_named(name: str, model: nn.Module, task, train_data, val_data=None, *, out_dir=None,
              **fit_kw) -> History:
    """``fit`` with a name: checkpoints in ``out_dir/name``, and a one-line report when done
    (steps, seconds, seconds per step, the last validation numbers, the checkpoint)."""
    where = Path(out_dir) / name if out_dir is not None else None
    history = fit(model, task, train_data, val_data, out_dir=where, **fit_kw)
    n = len(history.steps)
    val = ", ".join(f"{k} {v:.4f}" for k, v in history.last.items() if k.startswith("val_"))
    print(f"{name}: {n} steps in {history.seconds:.0f} s ({history.seconds / max(n, 1):.2f} s/step)"
          + (f"; {val}" if val else "") + (f"; checkpoint {where / 'last.pt'}" if where else ""))
    return history


def _check_resumable(path, state, run_config):
    for key in ("name", "kwargs", "batch_size", "seed", "world"):
        if key in state and state[key] != run_config[key]:
            raise CheckpointError(f"{path} was written by a run with {key}={state[key]!r}, not "
                                  f"{run_config[key]!r}: resume with the same settings, or use "
                                  "another out_dir")


@torch.no_grad()
def evaluate(model, task, data, batch_size: int = 32, device=None, autocast=None,
             max_batches: int | None = None) -> dict:
    """Mean validation loss and metrics of ``task`` over ``data`` (centre crops, no flips)."""
    dev = pick_device(device) if device is None or isinstance(device, str) else device
    autocast = autocast or contextlib.nullcontext
    was_training = model.training
    model.eval()
    images, labels = _images_and_labels(data)
    sums, n = {}, 0
    for b, s in enumerate(range(0, len(images), batch_size)):
        if max_batches is not None and b >= max_batches:
            break
        idx = torch.arange(s, min(s + batch_size, len(images)))
        x, y = _fetch(images, labels, idx, dev)
        with autocast():
            logs = task.validate(model, task.batch(x, y, train=False, gen=None))
        for k, v in logs.items():
            sums[k] = sums.get(k, 0.0) + float(v) * len(idx)
        n += len(idx)
    model.train(was_training)
    return {k: v / max(n, 1) for k, v in sums.items()}
