"""The ``train`` and ``colorize`` commands of ``python -m colorlab``.

  train --model NAME --data NAME_OR_PATH [--profile P] [--size S] [--epochs E] [--limit N]
        [--width W] [--batch-size B] [--lr LR] [--seed S] [--checkpoint-every K]
        [--model-arg KEY=VALUE …] [--out DIR] [--resume] [--tensorboard]
  colorize IMG… --model CKPT [--T T] [--size S] [--out DIR]
           [--hints PNG_OR_DIR | --reference COLOUR.jpg [--points N] [--seed S]]

``train`` trains with the model's task and its tuned recipe (learning rate, optimizer settings,
schedule, epochs per profile), exactly as the notebooks and ``train.fit`` with defaults do; a flag
given here overrides one value. It is also the entry point for ``torchrun --nproc_per_node=N -m
colorlab train …`` (distributed data parallel; only rank 0 writes). The weights end in
``DIR/last.pt``; an earlier run's ``last.pt`` there is kept beside, never overwritten.
``--tensorboard`` also writes TensorBoard event files into ``DIR/tensorboard`` (``train.tensorboard``).

Every number is checked once, here, against its allowed range (``NUMBERS``).
"""
from __future__ import annotations

import argparse
import inspect
import math
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from colorlab import data, models, profiles, tasks, train
from colorlab.data import hints
from colorlab.files import atomic_write, printable
from colorlab.evaluate.inference import colorize, read_photo
from colorlab.train import speed

SKIPPED_SHOWN = 20   # train lists this many skipped photos; prepare lists them all

# name: (type, lowest, highest, what the value means) — the ranges every command-line number must lie in
NUMBERS = {
    "size": (int, 16, 4096, "training crop / network input, px"),
    "epochs": (int, 1, 100_000, "passes over the training photos"),
    "limit": (int, 1, 10_000_000, "at most this many photos"),
    "width": (float, 0.01, 4.0, "channel multiplier (1 = as published)"),
    "batch_size": (int, 1, 4096, "photos per step"),
    "lr": (float, 1e-8, 1.0, "Adam learning rate"),
    "seed": (int, 0, 2 ** 31 - 1, "random seed"),
    "checkpoint_every": (int, 0, 10_000_000, "steps between checkpoints (0: epoch ends only)"),
    "T": (float, 0.01, 1.0, "annealed-mean temperature"),
    "colorize_size": (int, 16, 1024, "short side the network sees, px"),
    "points": (int, 0, 100_000, "point hints drawn from the reference photo"),
}


def number(name: str):
    """An argparse ``type`` that accepts a finite number within ``NUMBERS[name]``'s range."""
    kind, lo, hi, what = NUMBERS[name]

    def parse(text: str):
        try:
            value = kind(text) if kind is float else int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'} "
                                             f"from {lo} to {hi} ({what}), got {text!r}") from None
        if not (math.isfinite(value) and lo <= value <= hi):
            raise argparse.ArgumentTypeError(f"must lie from {lo} to {hi} ({what}), got {text}")
        return value
    return parse


class _ShowDefaults(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """--help shows every default; a default of None is explained in the help text itself."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def add_commands(sub):
    fmt = _ShowDefaults
    t = sub.add_parser("train", help="train a model on a data set (also under torchrun)",
                       formatter_class=fmt, epilog=defaults_table(),
                       description="Train with the model's task and its recipe; flags override it.")
    t.add_argument("--model", required=True, help="a name from models.names()")
    t.add_argument("--data", required=True, help="a bundled set (flowers, kodak24, cats) or a folder")
    t.add_argument("--profile", default="auto", help="smoke | cpu | gpu | auto")
    t.add_argument("--size", type=number("size"), help="training crop, px (default: the profile's)")
    t.add_argument("--epochs", type=number("epochs"),
                   help="default: the task's recipe for the profile (zhang_eccv16 in cpu: 10)")
    t.add_argument("--limit", type=number("limit"), help="at most this many photos (default: the profile's)")
    t.add_argument("--width", type=number("width"), help="channel multiplier (default: the profile's)")
    t.add_argument("--batch-size", type=number("batch_size"), help="default: the profile's")
    t.add_argument("--lr", type=number("lr"), help="Adam learning rate (default: the task's recipe)")
    t.add_argument("--seed", type=number("seed"), default=0, help="random seed")
    t.add_argument("--checkpoint-every", type=number("checkpoint_every"), default=0,
                   help="also save every K steps")
    t.add_argument("--model-arg", action="append", metavar="KEY=VALUE", default=None,
                   help="a constructor argument of the model, repeatable: e.g. koalarization "
                        "embedder=classifier embedder_weights=runs/04/last.pt; hnet "
                        "rtnet_weights=runs/rtnet/last.pt (required)")
    t.add_argument("--out", default="runs/train", help="folder for last.pt")
    t.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    t.add_argument("--tensorboard", action="store_true",
                   help="also write TensorBoard logs into OUT/tensorboard (losses, metrics, colourings)")
    t.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best present)")
    t.add_argument("--speed", default="auto", choices=["auto", *speed.VARIANTS],
                   help="memory layout and precision (default auto: the one measured fastest for "
                   "this model and device, train/speed.py)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    c = sub.add_parser("colorize", help="colour your own photos with a trained checkpoint",
                       formatter_class=fmt)
    c.add_argument("images", nargs="+", help="image files (any size; colour is reduced to L)")
    c.add_argument("--model", required=True, help="a checkpoint written by train (DIR/last.pt or DIR)")
    c.add_argument("--T", type=number("T"), default=None,
                   help="annealed-mean temperature (default: the task's, 0.38)")
    c.add_argument("--size", type=number("colorize_size"), default=None,
                   help="short side the network sees, px (default: the size it was trained at)")
    c.add_argument("--out", default="colorized", help="output folder for the PNGs")
    c.add_argument("--hints", default=None, help="hint model: an RGBA PNG (alpha > 0 marks a hint, RGB its colour), or a folder of them named like the photos (photo.jpg <-> photo.png)")
    c.add_argument("--reference", default=None, help="hint model: draw point hints from this colour photo")
    c.add_argument("--points", type=number("points"), default=None, help="with --reference: how many point hints (default 20)")
    c.add_argument("--seed", type=number("seed"), default=None, help="with --reference: the hints' random seed (default 0)")
    c.set_defaults(func=cmd_colorize)


def defaults_table() -> str:
    """The profiles and every model's recipe, as plain text for ``train --help``."""
    lines = ["profiles (size px, photos, width, batch):"]
    for name, prof in profiles.PROFILES.items():
        lines.append(f"  {name:6s} {prof.size:4d} {str(prof.limit or 'all'):>5s} {prof.width:5.3g} {prof.batch_size:4d}")
    lines.append("models and the recipe each trains with (tasks.RECIPES):")
    for model in models.names():
        task = tasks.TASKS.get(models.REGISTRY[model].task)
        if task is not None:
            lines.append(f"  {model}: {tasks.own_recipe(models.REGISTRY[model]) or task.name}")
    lines.append(tasks.recipes.table())
    return "\n".join(lines)


def check_device(device: str | None) -> None:
    """Refuse a device this machine does not have, in one line."""
    if device is None:
        return
    kind = device.split(":")[0]
    present = {"cpu": True, "cuda": torch.cuda.is_available(),
               "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()}
    if kind not in present:
        raise ValueError(f"--device {device!r} is not a device; use cpu, cuda or mps")
    if not present[kind]:
        raise ValueError(f"--device {device}: this machine has no {kind.upper()} device; "
                         f"leave --device out to use the best one present")


def writable_folder(path) -> Path:
    """``path`` as a folder we can write into (made if missing); a clear error otherwise."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"--out {path} is a file, not a folder: give a folder name")
    path.mkdir(parents=True, exist_ok=True)
    probe = path / ".colorlab-write-test"
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ValueError(f"--out {path}: cannot write there ({exc.strerror}); choose another folder") from None
    return path


def cmd_train(args):
    check_device(args.device)
    rank, _ = train.init_distributed()
    cfg = profiles.get(args.profile, size=args.size, limit=args.limit, width=args.width,
                       batch_size=args.batch_size)
    profiles.set_threads(cfg)
    if args.model not in models.names():
        raise ValueError(f"unknown model {args.model!r}; valid: {', '.join(models.names())}")
    model_args = parse_model_args(args.model, args.model_arg)
    out = writable_folder(args.out) if rank == 0 else Path(args.out)
    images = data.load(args.data, size=cfg.size, limit=cfg.limit, progress=rank == 0 and not args.quiet)
    if rank == 0:
        for line in data.skipped_lines(images, most=SKIPPED_SHOWN):
            print(line)
    train_set, val_set = images.split(cfg.val_fraction)
    task = tasks.for_model(models.REGISTRY[args.model], size=cfg.size, profile=cfg.name)
    task.batch_size = cfg.batch_size
    torch.manual_seed(args.seed)  # the same initial weights on every rank
    model = models.build(args.model, **{"width": cfg.width, **task.model_kwargs(images), **model_args})
    device = args.device or (f"cuda:{rank % max(1, torch.cuda.device_count())}"
                             if torch.cuda.is_available() else None)
    kept_before = set(out.glob("last.previous-*.pt"))
    log_dir = out / "tensorboard" if args.tensorboard else None
    if log_dir is not None and rank == 0:
        print(f"[colorlab] TensorBoard logs: {log_dir}; view them with: tensorboard --logdir {log_dir}")
    history = train.fit(model, task, train_set, val_set, epochs=args.epochs, lr=args.lr,
                        seed=args.seed, out_dir=out, checkpoint_every=args.checkpoint_every,
                        resume=args.resume, device=device, progress=not args.quiet, log_dir=log_dir,
                        **_speed_args(args.speed))
    if rank == 0:
        print(f"[colorlab] {args.model} on {images!r} ({history.speed}): {history.last}")
        print(f"[colorlab] weights: {out / 'last.pt'}")
        for kept in sorted(set(out.glob("last.previous-*.pt")) - kept_before):
            print(f"[colorlab] the earlier run's weights: {kept} (--resume continues a run instead)")
    train.end_distributed()
    return 0


def parse_model_args(name: str, pairs: list[str] | None) -> dict:
    """``["embedder=classifier", "width=0.5"]`` → keyword arguments for ``models.build(name, …)``.

    Refuses a pair without ``=``, a key the model's constructor does not take, and a model that
    needs an argument for training (its ``needs_for_training``) that was not given.
    """
    cls = models.REGISTRY[name]
    valid = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    kwargs = {}
    for pair in pairs or []:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise ValueError(f"--model-arg {pair!r}: write KEY=VALUE, e.g. --model-arg width=0.5")
        if key not in valid:
            raise ValueError(f"--model-arg {key}: {name} takes no such argument; valid: {', '.join(valid)}")
        kwargs[key] = model_arg_value(value)
    for key, what in getattr(cls, "needs_for_training", {}).items():
        if key not in kwargs:
            raise ValueError(f"--model {name} needs --model-arg {key}=PATH: {what}")
    return kwargs


def model_arg_value(text: str):
    """A --model-arg value: an int, a float, true/false, or else the text itself (``none`` stays a
    string: it is a valid embedder)."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def output_path(out: Path, image_path, taken: set) -> Path:
    """``out/<stem>_color.png``, or ``<stem>_color-2.png`` … if that name is already used."""
    stem = Path(image_path).stem
    target, k = out / f"{stem}_color.png", 1
    while target in taken or target.exists():
        k += 1
        target = out / f"{stem}_color-{k}.png"
    taken.add(target)
    return target


def cmd_colorize(args):
    ckpt = Path(args.model)
    if ckpt.is_dir():
        if not (ckpt / "last.pt").is_file():
            raise ValueError(f"--model {printable(ckpt)} is a folder without last.pt; give the "
                             "checkpoint file that train wrote (DIR/last.pt)")
        ckpt = ckpt / "last.pt"
    model = train.load_model(ckpt)
    check_hint_args(args, model)
    out = writable_folder(args.out)
    failed, taken = 0, set()
    for path in args.images:
        try:
            photo = read_photo(path)
            rgb = colorize(model, photo, T=args.T, size=args.size,
                           hints=hint_input(args, path, photo), dtype=np.uint8)
        except (OSError, ValueError) as exc:
            print(f"colorlab colorize: skipped {printable(path)}: {printable(exc)}")
            failed += 1
            continue
        target = output_path(out, path, taken)
        atomic_write(target, lambda f: Image.fromarray(rgb).save(f, format="PNG"))
        print(f"[colorlab] {printable(path)} -> {printable(target)}")
    return 1 if failed else 0


def check_hint_args(args, model) -> None:
    """Refuse hint flags that do not fit together or a model that takes no hints, in one line."""
    if args.hints and args.reference:
        raise ValueError("give --hints or --reference, not both")
    if (args.points is not None or args.seed is not None) and not args.reference:
        raise ValueError("--points and --seed draw hints from --reference COLOUR.jpg; give it too")
    if (args.hints or args.reference) and not tasks.takes_hints(tasks.of(model)):
        raise ValueError(f"--model {printable(args.model)} does not take hints (it is a "
                         f"{train.model_name(model)}); train a hint model: zhang_hints or hnet")
    if args.hints and not Path(args.hints).exists():
        raise ValueError(f"--hints {printable(args.hints)} does not exist: give an RGBA PNG or a "
                         "folder of them")
    if args.hints and not (Path(args.hints).is_dir() or Path(args.hints).is_file()):
        raise ValueError(f"--hints {printable(args.hints)} is not a regular file (a FIFO or a "
                         "device?): give an RGBA PNG or a folder of them")


def hint_input(args, photo_path, photo) -> dict | None:
    """The hints for one photo: from --hints (a PNG, or DIR/<photo stem>.png) or drawn from
    --reference (--points N point hints, seeded by --seed); None without hint flags. A warning
    while reading a hint image (no visible pixel) is printed as a ``[colorlab]`` line."""
    size = photo.shape[:2]
    if args.hints:
        path = Path(args.hints)
        if path.is_dir():
            path = path / (Path(photo_path).stem + ".png")
            if not path.exists():
                print(f"[colorlab] {printable(photo_path)}: no hint file {printable(path)}; "
                      "coloured without hints")
                return None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            given = hints.from_image(path, size=size)
        for warning in caught:
            print(f"[colorlab] {printable(warning.message)}")
        return given
    if args.reference:
        ref = read_photo(args.reference)
        return hints.from_reference(ref, 20 if args.points is None else args.points,
                                    gen=0 if args.seed is None else args.seed, size=size)
    return None


def _speed_args(name: str) -> dict:
    """``fit``'s amp and channels_last for ``--speed NAME`` ("auto": fit decides)."""
    if name == "auto":
        return {}
    v = speed.VARIANTS[name]
    return {"amp": v.bf16, "channels_last": v.channels_last}
