"""ImageSet.lab(): the photos as a float32 Lab tensor (N, 3, H, W), batch by batch."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from colorlab import color, data


def by_hand(images):
    """What notebooks wrote before: the whole set at once."""
    rgb = torch.from_numpy(np.array(images)).permute(0, 3, 1, 2).float() / 255
    return color.rgb_to_lab(rgb)


@pytest.fixture
def photos(tmp_path):
    """Seven 16 px photos of random pixels plus white, black and pure red, through the cache."""
    rng = np.random.default_rng(3)
    for i in range(4):
        pixels = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"r{i}.png")
    for name, rgb in [("white", (255, 255, 255)), ("black", (0, 0, 0)), ("red", (255, 0, 0))]:
        Image.new("RGB", (16, 16), rgb).save(tmp_path / f"{name}.png")
    data.load(tmp_path, size=16, progress=False)
    return data.load(tmp_path, size=16, progress=False)            # a memmap of the cache


def test_lab_matches_rgb_to_lab(photos):
    assert isinstance(photos.images, np.memmap)
    lab = photos.lab()
    assert isinstance(lab, torch.Tensor) and lab.dtype == torch.float32
    assert lab.shape == (7, 3, 16, 16) and lab.device.type == "cpu"
    torch.testing.assert_close(lab, by_hand(photos.images))
    names = [os.path.basename(p) for p in photos.paths]
    white, black, red = (lab[names.index(f"{n}.png"), :, 8, 8] for n in ("white", "black", "red"))
    torch.testing.assert_close(white, torch.tensor([100.0, 0.0, 0.0]), atol=0.05, rtol=0)
    torch.testing.assert_close(black, torch.tensor([0.0, 0.0, 0.0]), atol=1e-4, rtol=0)
    torch.testing.assert_close(red, torch.tensor([53.24, 80.09, 67.20]), atol=0.05, rtol=0)


def test_lab_in_small_batches_is_the_same(photos):
    torch.testing.assert_close(photos.lab(batch_size=2), photos.lab())
    torch.testing.assert_close(photos.lab(batch_size=1000), photos.lab())


def test_lab_leaves_the_memmap_alone_and_does_not_warn(photos):
    before = np.array(photos.images)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # e.g. torch's "non-writable array" warning
        lab = photos.lab()
    lab += 1                                       # the tensor is the caller's own
    assert np.array_equal(photos.images, before) and not photos.images.flags.writeable


def test_lab_of_a_subset_and_of_nothing(photos):
    train, val = photos.split(0.5)
    torch.testing.assert_close(val.lab(), by_hand(val.images))
    assert photos.subset([]).lab().shape == (0, 3, 16, 16)


def test_data_imports_nothing_above_color():
    """The layering is files, color -> data -> models -> tasks ...: loading photos needs only the
    colour spaces (not even the bins) and data's own modules, never tasks or models."""
    code = ("import sys, colorlab.data; "
            "print(' '.join(m for m in sys.modules if m.startswith('colorlab')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(out.stdout.split()) == {"colorlab", "colorlab.color", "colorlab.color.spaces",
                                       "colorlab.files", "colorlab.data", "colorlab.data.cache",
                                       "colorlab.data.folders", "colorlab.data.images",
                                       "colorlab.data.imageset"}
