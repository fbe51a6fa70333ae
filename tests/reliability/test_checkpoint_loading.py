"""A checkpoint is a file from anywhere. `colorize` refuses a broken or hostile one in one line
that names the file and the bad entry (NaN weights, a NaN temperature, a `model` entry that is no
state dict, unknown constructor arguments or task fields, a width that would take many GB), and
never saves a picture made of NaN colours."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from colorlab import inference, models, tasks
from colorlab.__main__ import main


def colorize_cli(ckpt, tmp_path, capsys):
    """Run `colorize` on a 20 x 24 photo; returns (exit code, stdout, stderr, PNGs written)."""
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (20, 24, 3), np.uint8)).save(tmp_path / "p.png")
    code = main(["colorize", str(tmp_path / "p.png"), "--model", str(ckpt), "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    written = sorted((tmp_path / "out").glob("*.png")) if (tmp_path / "out").exists() else []
    return code, out, err, written


def test_a_checkpoint_with_nan_weights_is_refused_naming_the_file_and_the_weight(tiny_checkpoint, tmp_path, capsys):
    weights = models.build("regression", width=0.125).state_dict()
    first = next(iter(weights))
    weights[first] = torch.full_like(weights[first], float("nan"))
    ckpt = tiny_checkpoint(model=weights)
    code, out, err, written = colorize_cli(ckpt, tmp_path, capsys)
    assert code == 2 and written == [] and "Traceback" not in out + err
    assert ckpt.name in err and first in err and "NaN" in err


def test_a_stored_temperature_of_nan_is_refused(tiny_checkpoint, tmp_path, capsys):
    state = tasks.Classification(size=16, profile="smoke", prior="uniform").state()
    ckpt = tiny_checkpoint("zhang_eccv16", task={**state, "T": float("nan")})
    code, out, err, written = colorize_cli(ckpt, tmp_path, capsys)
    assert code == 2 and written == []
    assert ckpt.name in err and "T must be" in err and "nan" in err


def test_a_prediction_with_nan_colours_raises_instead_of_returning_black():
    model = models.build("regression", width=0.125)
    model.task_state = tasks.Regression(size=16, profile="smoke").state()
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    with pytest.raises(FloatingPointError, match="NaN"):
        inference.colorize(model, np.zeros((20, 24, 3), np.uint8))


def test_a_model_entry_that_is_not_a_state_dict_is_refused_in_one_line(tiny_checkpoint, tmp_path, capsys):
    ckpt = tiny_checkpoint(model=[1, 2, 3])
    code, out, err, written = colorize_cli(ckpt, tmp_path, capsys)
    assert code == 2 and "Traceback" not in out + err
    assert ckpt.name in err and "'model' entry" in err and "state dict" in err


def test_an_unknown_constructor_argument_is_refused_naming_it_and_the_valid_ones(tiny_checkpoint, tmp_path, capsys):
    ckpt = tiny_checkpoint(kwargs={"width": 0.125, "depth": 3})
    code, out, err, written = colorize_cli(ckpt, tmp_path, capsys)
    assert code == 2 and "Traceback" not in out + err
    assert ckpt.name in err and "'depth'" in err and "valid: width" in err


def test_an_unknown_task_field_is_refused_naming_it_and_the_valid_ones(tiny_checkpoint, tmp_path, capsys):
    ckpt = tiny_checkpoint(task={"task": "regression", "size": 16, "augment": True, "colour": 1})
    code, out, err, written = colorize_cli(ckpt, tmp_path, capsys)
    assert code == 2 and "Traceback" not in out + err
    assert ckpt.name in err and "'colour'" in err and "valid: size, profile, augment" in err


def test_a_stored_prior_naming_a_folder_is_never_read(tiny_checkpoint, tmp_path, capsys):
    (tmp_path / "photos").mkdir()
    state = tasks.Classification(size=16, profile="smoke", prior="uniform").state()
    ckpt = tiny_checkpoint("zhang_eccv16", task={**state, "prior": str(tmp_path / "photos")})
    code, out, err, written = colorize_cli(ckpt, tmp_path, capsys)
    assert code == 2 and written == []
    assert ckpt.name in err and "prior must be" in err


LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))   # the old code's allocation fails fast
from colorlab.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_stored_width_that_would_take_many_gigabytes_is_refused_before_building(tiny_checkpoint, tmp_path):
    ckpt = tiny_checkpoint(kwargs={"width": 64.0})             # regression at width 64: ~30 GB
    Image.fromarray(np.zeros((20, 24, 3), np.uint8)).save(tmp_path / "p.png")
    run = subprocess.run([sys.executable, "-c", LIMITED, "colorize", str(tmp_path / "p.png"),
                          "--model", str(ckpt), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert ckpt.name in line and "GB" in line and "width=64.0" in line
