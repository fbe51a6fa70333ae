"""The task is the one path from photos to a prediction: a new model whose forward takes an
extra input, with its own task, trains, saves, colours photos (function and command line), is
scored against gray and drives the temperature widget — with no edit anywhere in colorlab."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from colorlab import inference, tasks, train
from colorlab.evaluate import scoring
from colorlab.__main__ import main
from tests.test_train import toy_photos
from tests.toy_models import MaskedClassification, MaskedLogitsNet, MaskedRegression, MaskedRegressionNet


def trained(tmp_path, net_cls, task_cls):
    torch.manual_seed(0)
    model = net_cls(width=0.5)
    photos = toy_photos(n=24, size=16)
    task = task_cls(size=16, profile="smoke")
    train.fit(model, task, photos[:16], photos[16:], epochs=1, batch_size=8, out_dir=tmp_path,
              progress=False)
    return model, photos


def test_a_new_model_with_an_extra_input_trains_saves_and_colours(tmp_path):
    model, photos = trained(tmp_path, MaskedRegressionNet, MaskedRegression)
    loaded = train.load_model(tmp_path / "last.pt")
    task = tasks.of(loaded)
    assert isinstance(task, MaskedRegression) and task.size == 16
    rgb = inference.colorize(loaded, photos[0])
    assert rgb.shape == (16, 16, 3) and 0 <= rgb.min() and rgb.max() <= 1
    scores = scoring.against_gray(loaded, photos[16:])
    assert 0 < scores["auc"] <= 1 and scores["ab"].shape == (8, 2, 16, 16)
    np.testing.assert_allclose(inference.colorize(model, photos[0]), rgb, atol=1e-6)


def test_the_command_line_colours_with_the_new_model(tmp_path):
    trained(tmp_path / "m", MaskedRegressionNet, MaskedRegression)
    img = tmp_path / "photo.png"
    Image.fromarray(toy_photos(1, size=40)[0]).save(img)
    assert main(["colorize", str(img), "--model", str(tmp_path / "m"), "--out", str(tmp_path / "out")]) == 0
    assert Image.open(tmp_path / "out" / "photo_color.png").size == (40, 40)


def test_the_temperature_widget_works_for_a_new_distribution_model(tmp_path):
    pytest.importorskip("ipywidgets")
    from colorlab import widgets
    model, photos = trained(tmp_path, MaskedLogitsNet, MaskedClassification)
    ex = widgets.temperature_explorer(train.load_model(tmp_path / "last.pt"), photos[0], size=None)
    assert ex.logits.shape == (1, 313, 4, 4)
    assert ex.render(0.38).shape == (16, 16, 3)
    with pytest.raises(ValueError, match="313 ab bins"):
        widgets.temperature_explorer(MaskedRegressionNet(), photos[0])


def test_colorlab_colorize_is_the_function_whatever_was_imported_first():
    code = ("import colorlab\nfrom colorlab import models, inference, tasks, train, widgets\n"
            "import numpy as np\nm = models.build('regression', width=0.125)\n"
            "out = colorlab.colorize(m, np.zeros((20, 30, 3), np.uint8), size=16)\n"
            "from colorlab import colorize\nassert colorize is colorlab.colorize\n"
            "print(out.shape)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "(20, 30, 3)"


def test_a_checkpoint_remembers_its_task_and_colours_at_its_training_size(tmp_path):
    model, photos = trained(tmp_path, MaskedLogitsNet, MaskedClassification)
    state = torch.load(tmp_path / "last.pt", weights_only=True)["task"]
    assert state["task"] == "masked_classification" and state["size"] == 16
    assert isinstance(state["prior"], list) and len(state["prior"]) == 313   # counted on the photos
    again = tasks.from_state(state)
    assert again.size == 16 and np.allclose(again.prior, model and tasks.of(model).prior)
    assert inference.network_size(480, 640, again.size) == (16, 21)
