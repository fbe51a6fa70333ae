"""Training: one loop for every model (``loop``), and what a real run needs around it.

- ``loop``: ``fit`` (the loop of notebook 03, for every task), ``train_step``, ``evaluate``,
  ``fit_named``;
- ``history``: :class:`History`, every epoch's row and every step's logs;
- ``checkpoint``: atomic writes, safe reads, ``load_model``;
- ``device``: ``pick_device``, ``autocast_for``; ``distributed``: torchrun's processes;
- ``feeding``: which photos each step sees, seeded by (seed, epoch, step);
- ``pretrain``: a pretrained VGG-16 encoder without downloads (notebooks 04, 06, 08);
- ``gradcheck``: hand-derived gradients against PyTorch's (notebook 02).

Everything notebooks and users call is here as ``train.X`` (``train.fit``, ``train.load_model``).
"""
from colorlab.train.checkpoint import (CHECKPOINT_FORMAT, MAX_MODEL_BYTES, CheckpointError,
                                       CheckpointWriteError, check_model_memory, load_checkpoint,
                                       load_model, model_name, remove_stale_temporaries,
                                       save_checkpoint, stored_model)
from colorlab.train.device import autocast_for, pick_device
from colorlab.train.distributed import end_distributed, init_distributed
from colorlab.train.history import History
from colorlab.train.loop import TrainingDiverged, evaluate, fit, fit_named, train_step

__all__ = ["CHECKPOINT_FORMAT", "MAX_MODEL_BYTES", "CheckpointError", "CheckpointWriteError",
           "check_model_memory", "load_checkpoint", "load_model", "model_name",
           "remove_stale_temporaries", "save_checkpoint", "stored_model", "autocast_for",
           "pick_device", "init_distributed", "end_distributed", "History", "TrainingDiverged",
           "evaluate", "fit", "fit_named", "train_step"]
