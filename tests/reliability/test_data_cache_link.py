"""A ``.colorlab-cache`` that is a symbolic link is not written through: the cache goes to the
next place ($COLORLAB_CACHE), and a warning says why, once."""
import os
import warnings

import numpy as np
import pytest
from PIL import Image

from colorlab import data
from colorlab.data import cache

pytestmark = pytest.mark.skipif(os.name == "nt", reason="needs POSIX symlinks")


@pytest.fixture
def linked(tmp_path, monkeypatch):
    """photos/ whose .colorlab-cache links to elsewhere/; $COLORLAB_CACHE is home/."""
    root = tmp_path / "photos"
    root.mkdir()
    for i in range(3):
        Image.new("RGB", (12, 12), (80 * i, 0, 0)).save(root / f"{i}.png")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, root / data.CACHE_DIRNAME)
    monkeypatch.setenv("COLORLAB_CACHE", str(tmp_path / "home"))
    monkeypatch.setattr(cache, "_said_links", set())   # warn again
    return root, elsewhere, tmp_path / "home"


def test_a_linked_cache_folder_is_not_written_through(linked):
    root, elsewhere, home = linked
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        ds = data.load(root, size=8, progress=False)
    assert list(elsewhere.iterdir()) == []
    assert [p.name for p in home.glob("*/images-8-all.npy")] == ["images-8-all.npy"]
    assert [str(w.message).split(":")[0] for w in said] == [
        f"not using {root / data.CACHE_DIRNAME} for the image cache"]
    with warnings.catch_warnings():                   # said once; the cache in home/ is used
        warnings.simplefilter("error")
        again = data.load(root, size=8, progress=False)
    assert isinstance(again.images, np.memmap)
    assert np.array_equal(again.images, ds.images) and list(elsewhere.iterdir()) == []
