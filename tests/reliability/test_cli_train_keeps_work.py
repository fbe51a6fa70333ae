"""`python -m colorlab train` twice into one --out keeps both models and says where the first
went; --resume with nothing to resume says it starts a new run."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from colorlab import train


@pytest.mark.slow
def test_training_twice_into_one_folder_keeps_both_models(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(20):
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(photos / f"p{i}.png")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "colorlab", "train", "--model", "regression", "--data", str(photos),
           "--profile", "smoke", "--out", str(out), "--quiet"]

    first = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert f"no checkpoint at {out / 'last.pt'} to resume from: starting a new run" in first.stdout
    weights_1 = train.load_checkpoint(out / "last.pt")["model"]

    second = subprocess.run(cmd + ["--seed", "1"], capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    assert "kept it as last.previous-1.pt" in second.stdout
    assert f"the earlier run's weights: {out / 'last.previous-1.pt'}" in second.stdout
    kept = train.load_checkpoint(out / "last.previous-1.pt")["model"]
    assert all(torch.equal(kept[k], weights_1[k]) for k in kept)
    latest = train.load_checkpoint(out / "last.pt")["model"]
    assert not all(torch.equal(latest[k], weights_1[k]) for k in latest)
    assert second.stderr.count("Traceback") == 0
