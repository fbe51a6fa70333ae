"""Seeded feeding: which photos each step sees, drawn from generators seeded by (seed, epoch,
step), so a run is a function of its seed and a resumed run sees what an uninterrupted one would."""
from __future__ import annotations

import numpy as np
import torch


def seeded(*parts: int) -> torch.Generator:
    """A CPU generator seeded from a tuple of ints (seed, epoch, step …)."""
    g = torch.Generator()
    g.manual_seed(hash(tuple(int(p) for p in parts)) & 0x7FFF_FFFF_FFFF)
    return g


def epoch_order(n: int, seed: int, epoch: int, rank: int, world: int) -> torch.Tensor:
    """This rank's share of a shuffled order of n items (a DistributedSampler by hand)."""
    order = torch.randperm(n, generator=seeded(seed, epoch, -1))
    if world > 1:
        order = order[: len(order) - len(order) % world][rank::world]
    return order


def images_and_labels(data):
    images = getattr(data, "images", data)
    labels = getattr(data, "labels", None)
    return images, labels


def fetch(images, labels, idx: torch.Tensor, device):
    """The photos (and labels) at ``idx`` as tensors on ``device`` (uint8, (B, H, W, 3))."""
    sel = np.sort(idx.numpy())  # sorted reads are faster on a memmap; the order is kept below
    back = np.argsort(np.argsort(idx.numpy()))
    batch = torch.from_numpy(np.ascontiguousarray(np.asarray(images[sel])[back]))
    lab = None if labels is None else torch.as_tensor(np.asarray(labels)[idx.numpy()])
    return batch.to(device, non_blocking=True), (None if lab is None else lab.to(device))
