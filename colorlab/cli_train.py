"""The ``train`` and ``colorize`` commands of ``python -m colorlab``.

  train --model NAME --data NAME_OR_PATH [--profile P] [--size S] [--epochs E] [--limit N]
        [--width W] [--batch-size B] [--lr LR] [--seed S] [--checkpoint-every K]
        [--out DIR] [--resume]
  colorize IMG… --model CKPT [--T 0.38] [--size 256] [--out DIR]

``train`` is also the entry point for ``torchrun --nproc_per_node=N -m colorlab train …``
(distributed data parallel; only rank 0 writes). Flags override the profile's values; the newest
weights end in ``DIR/last.pt``.
"""
from __future__ import annotations

from pathlib import Path

# Adam learning rates from the papers: Zhang et al. 3e-5 (ImageNet, full width); small CPU
# models train in few steps, so the command line defaults to 1e-3 unless --lr is given.
DEFAULT_LR = 1e-3


def add_commands(sub):
    t = sub.add_parser("train", help="train a model on a data set (also under torchrun)")
    t.add_argument("--model", required=True, help="a name from models.names()")
    t.add_argument("--data", required=True, help="a bundled set (flowers, kodak24, cats) or a folder")
    t.add_argument("--profile", default="auto", help="smoke | cpu | gpu | auto")
    t.add_argument("--size", type=int)
    t.add_argument("--epochs", type=int)
    t.add_argument("--limit", type=int)
    t.add_argument("--width", type=float)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float, default=DEFAULT_LR)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--checkpoint-every", type=int, default=0, help="also save every K steps")
    t.add_argument("--out", default="runs/train", help="folder for last.pt (default runs/train)")
    t.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    t.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best present)")
    t.add_argument("--quiet", action="store_true", help="no progress bars")
    t.set_defaults(func=cmd_train)

    c = sub.add_parser("colorize", help="colour your own photos with a trained checkpoint")
    c.add_argument("images", nargs="+", help="image files (any size; colour is reduced to L)")
    c.add_argument("--model", required=True, help="a checkpoint written by train (last.pt)")
    c.add_argument("--T", type=float, default=0.38, help="annealed-mean temperature")
    c.add_argument("--size", type=int, default=256, help="short side the model sees (0: full)")
    c.add_argument("--out", default="colorized", help="output folder for the PNGs")
    c.set_defaults(func=cmd_colorize)


def cmd_train(args):
    import torch
    from colorlab import data, models, profiles, tasks, train
    rank, world = train.init_distributed()
    cfg = profiles.get(args.profile, size=args.size, epochs=args.epochs, limit=args.limit,
                       width=args.width, batch_size=args.batch_size)
    if args.model not in models.names():
        raise ValueError(f"unknown model {args.model!r}; valid: {', '.join(models.names())}")
    images = data.load(args.data, size=cfg.size, limit=cfg.limit, progress=rank == 0 and not args.quiet)
    train_set, val_set = images.split(0.1)
    kwargs = {"width": cfg.width}
    if args.model == "gray_classifier":
        kwargs["n_classes"] = max(1, len(images.classes))
    torch.manual_seed(args.seed)  # the same initial weights on every rank
    model = models.build(args.model, **kwargs)
    task = tasks.for_model(model, size=cfg.size)
    device = args.device or (f"cuda:{rank % max(1, torch.cuda.device_count())}"
                             if torch.cuda.is_available() else None)
    history = train.fit(model, task, train_set, val_set, epochs=cfg.epochs,
                        batch_size=cfg.batch_size, lr=args.lr, seed=args.seed, out_dir=args.out,
                        checkpoint_every=args.checkpoint_every, resume=args.resume,
                        device=device, progress=not args.quiet)
    if rank == 0:
        print(f"[colorlab] {args.model} on {images!r}: {history.last}")
        print(f"[colorlab] weights: {Path(args.out) / 'last.pt'}")
    if world > 1:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return 0


def cmd_colorize(args):
    from colorlab import train
    from colorlab.colorize import colorize
    from colorlab.data import load_image
    model = train.load_model(args.model)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from PIL import Image
    import numpy as np
    failed = 0
    for path in args.images:
        try:
            image = load_image(path)
        except (OSError, ValueError) as exc:
            print(f"colorlab colorize: skipped {path}: {exc}")
            failed += 1
            continue
        rgb = colorize(model, image, T=args.T, size=args.size or None)
        target = out / (Path(path).stem + "_color.png")
        Image.fromarray((rgb * 255).round().astype(np.uint8)).save(target)
        print(f"[colorlab] {path} -> {target}")
    return 1 if failed else 0
