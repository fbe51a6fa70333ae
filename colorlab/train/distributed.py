"""Distributed data parallel by hand, when ``torchrun`` starts several processes.

Each process (rank) trains on its share of every epoch's shuffled order (``feeding.epoch_order``);
DDP averages the gradients, so the weights stay equal; only rank 0 writes checkpoints.
"""
from __future__ import annotations

import gc
import os

import torch
from torch import nn


def dist_info() -> tuple[int, int]:
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
    return dist_info()


def end_distributed() -> None:
    """Leave torchrun's process group at the end of a script, while Python is still whole.

    The DistributedDataParallel wrappers of a finished ``fit`` hold the group through reference
    cycles; left for the interpreter's exit, the group's gloo threads went down with it, and a
    rank whose work was done and saved sometimes died there (SIGABRT, "terminate called without
    an active exception", no Python frame on its stack: about 1 launch in 25 on 2 busy CPUs).
    So: collect the wrappers, wait for every rank, then destroy the group.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        gc.collect()
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def wrap_fn(world: int, dev: torch.device):
    """DistributedDataParallel around a network when torchrun started us, else nothing."""
    if world == 1:
        return lambda net: net
    ids = [dev.index] if dev.type == "cuda" else None
    return lambda net: nn.parallel.DistributedDataParallel(net, device_ids=ids)


def sync_buffers(model, world: int) -> None:
    """DDP keeps the weights equal (gradients are averaged) but each rank updates its own
    batch-norm statistics; end with rank 0's, the ones its checkpoint holds."""
    if world > 1:
        for buf in model.buffers():
            torch.distributed.broadcast(buf, src=0)
