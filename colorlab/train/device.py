"""Where training runs: CUDA, then Apple MPS, then CPU; bf16 autocast on CUDA."""
from __future__ import annotations

import contextlib

import torch


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
