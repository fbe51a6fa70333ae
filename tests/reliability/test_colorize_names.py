"""`colorize` never overwrites a picture: photos with one name from different folders (or a
second run into the same --out) get their own files; a photo it cannot colour (an extreme aspect
ratio) is skipped with one line and writes nothing."""
import numpy as np
import pytest
import torch
from PIL import Image

from colorlab import models, tasks, train
from colorlab.__main__ import main


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    torch.manual_seed(0)
    model = models.build("regression", width=0.125)
    photos = np.random.default_rng(0).integers(0, 256, (24, 16, 16, 3), dtype=np.uint8)
    train.fit(model, tasks.Regression(size=16), photos[:16], None, epochs=1, batch_size=8,
              out_dir=out, progress=False)
    return out / "last.pt"


def test_two_photos_named_alike_give_two_pictures(checkpoint, tmp_path, capsys):
    rng = np.random.default_rng(1)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(tmp_path / "a" / "photo.png")
    Image.fromarray(rng.integers(0, 256, (24, 18, 3), dtype=np.uint8)).save(tmp_path / "b" / "photo.jpg")
    argv = ["colorize", str(tmp_path / "a" / "photo.png"), str(tmp_path / "b" / "photo.jpg"),
            "--model", str(checkpoint), "--out", str(tmp_path / "out")]
    assert main(argv) == 0
    out = tmp_path / "out"
    assert Image.open(out / "photo_color.png").size == (30, 20)
    assert Image.open(out / "photo_color-2.png").size == (18, 24)
    assert main(argv) == 0          # again: two more, the first two untouched
    assert sorted(p.name for p in out.iterdir()) == [
        "photo_color-2.png", "photo_color-3.png", "photo_color-4.png", "photo_color.png"]
    assert Image.open(out / "photo_color.png").size == (30, 20)
    assert "photo_color-4.png" in capsys.readouterr().out


def test_an_extreme_aspect_ratio_is_refused_in_one_line(checkpoint, tmp_path, capsys):
    Image.fromarray(np.full((16, 10000), 128, np.uint8)).save(tmp_path / "strip.png")
    code = main(["colorize", str(tmp_path / "strip.png"), "--model", str(checkpoint),
                 "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    (line,) = [l for l in out.splitlines() if "strip.png" in l]
    assert line.startswith("colorlab colorize: skipped ") and "625:1" in line and "20:1" in line
    assert list((tmp_path / "out").iterdir()) == []
