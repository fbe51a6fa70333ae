"""What happened during training: one dict per epoch, and every step's log dict."""
from __future__ import annotations

import numpy as np


class History:
    """What ``train.fit`` saw, step by step and epoch by epoch.

    epochs: one dict per epoch, {"epoch", "steps", "seconds", "train_loss", "val_loss", "val_auc", …};
    logs: one dict per step, the floats the task's objectives logged ({"loss"}, and for the GAN
    "loss_d", "d_real", "d_fake", "loss_adv", "loss_l1" …); stopped: why training stopped early,
    if it did; seconds: wall-clock seconds of this call to fit; speed: the memory layout and
    precision it trained in ("fp32", "bf16+cl" …, ``train.speed``).
    ``History(steps=[…])`` builds one from step losses alone (``logs`` = [{"loss": v}, …]).
    """

    def __init__(self, epochs=None, steps=None, stopped: str = "", seconds: float = 0.0, logs=None):
        self.epochs = list(epochs or [])
        self.logs = list(logs) if logs is not None else [{"loss": v} for v in (steps or [])]
        self.stopped, self.seconds = stopped, seconds
        self.speed = "fp32"

    @property
    def steps(self) -> list:
        """The training loss of every step (floats)."""
        return [log["loss"] for log in self.logs]

    def __getitem__(self, key) -> list:
        """``history["val_loss"]`` → that value for every epoch."""
        return [e.get(key) for e in self.epochs]

    def per_step(self, key: str) -> list:
        """``key`` as logged at every step (``history.per_step("d_real")``); None where absent."""
        return [log.get(key) for log in self.logs]

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
        """Plain lists and dicts, stored in checkpoints (``steps`` kept for older readers)."""
        return {"epochs": self.epochs, "steps": self.steps, "logs": self.logs, "stopped": self.stopped}

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        """A History from ``as_dict``'s output; a checkpoint without ``logs`` gives its ``steps``."""
        return cls(d.get("epochs", []), d.get("steps", []), d.get("stopped", ""), logs=d.get("logs"))

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
