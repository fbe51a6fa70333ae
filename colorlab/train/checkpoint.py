"""Checkpoints: everything a resume needs, written atomically, read back safely.

``last.pt`` holds the model (its registry name, constructor arguments and weights), the task's
state, the optimizers, schedulers, RNG state, the position in the data and the history. Reading
one (``load_checkpoint``, ``load_model``) checks every entry before anything is built.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from colorlab import files, models, tasks

CHECKPOINT_FORMAT = 1
# The most memory a checkpoint's model may ask for before it is built: twice the largest model
# `train` can make (zhang_hints at the largest --width, 4: 2.0 GB). A fixed number, not a share of
# this machine's RAM, so a checkpoint loads (or not) alike everywhere; a file that asks for more
# was not written by colorlab (its stored width or sizes are hostile or corrupt).
MAX_MODEL_BYTES = 4 << 30


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used (missing, unsafe, or for another model)."""


class CheckpointWriteError(OSError):
    """A checkpoint could not be written (disk full, no permission); the previous one is intact."""


def model_name(model: nn.Module) -> str:
    """The registry name of a model (``models.build(name, **model.config)`` rebuilds it)."""
    model = getattr(model, "module", model)
    for name, cls in models.REGISTRY.items():
        if type(model) is cls:
            return name
    return type(model).__name__


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


def check_resumable(path, state, run_config):
    for key in ("name", "kwargs", "batch_size", "seed", "world"):
        if key in state and state[key] != run_config[key]:
            raise CheckpointError(f"{path} was written by a run with {key}={state[key]!r}, not "
                                  f"{run_config[key]!r}: resume with the same settings, or use "
                                  "another out_dir")


def keep_previous(ckpt: Path | None, resume: bool, rank: int) -> None:
    """A fresh run never overwrites an earlier one's last.pt silently: that file is kept beside."""
    if ckpt is None or resume or rank != 0 or not ckpt.exists():
        return
    k = 1
    while (kept := ckpt.with_name(f"last.previous-{k}.pt")).exists():
        k += 1
    os.replace(ckpt, kept)
    print(f"[colorlab] {ckpt} held an earlier run: kept it as {kept.name} (resume=True continues a run)")


def restore(ckpt: Path, run_config: dict, model, optimizers, schedulers) -> dict:
    """Load model, optimizers, schedulers and RNG from ``ckpt``; returns the checkpoint dict."""
    state = load_checkpoint(ckpt)
    check_resumable(ckpt, state, run_config)
    model.load_state_dict(state["model"])
    for o, s in zip(optimizers, state["optimizers"]):
        o.load_state_dict(s)
    for sch, s in zip(schedulers, state["schedulers"]):
        sch.load_state_dict(s)
    torch.set_rng_state(state["rng"]["torch"])
    return state


def save_run(ckpt: Path | None, rank: int, run_config: dict, model, task, optimizers, schedulers,
             history, epoch: int, step_in_epoch: int, step: int) -> None:
    """Write everything a resume needs to ``ckpt`` (only rank 0 writes)."""
    if ckpt is None or rank != 0:
        return
    save_checkpoint(ckpt, {
        "format": CHECKPOINT_FORMAT, **run_config, "model": model.state_dict(),
        "task": task.state(), "optimizers": [o.state_dict() for o in optimizers],
        "schedulers": [s.state_dict() for s in schedulers],
        "rng": {"torch": torch.get_rng_state()}, "epoch": epoch,
        "step_in_epoch": step_in_epoch, "step": step, "history": history.as_dict()})
