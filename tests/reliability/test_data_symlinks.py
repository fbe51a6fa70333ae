"""data.load on folders holding broken symlinks and symlink loops: skipped and listed, not fatal."""
import os

import numpy as np
import pytest
from PIL import Image

from colorlab import data

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt",
                                reason="needs POSIX symlinks")


def reasons(ds):
    return {os.path.basename(p): r for p, r in ds.skipped}


def test_broken_symlink_is_skipped_with_a_reason(red_pngs, tmp_path):
    root = red_pngs(tmp_path / "photos", 3)
    os.symlink(root / "gone.png", root / "broken.png")
    ds = data.load(root, size=8, progress=False)
    assert ds.relpaths == ["0.png", "1.png", "2.png"]
    assert set(reasons(ds)) == {"broken.png"}
    assert "symbolic link" in reasons(ds)["broken.png"]
    cached = data.load(root, size=8, progress=False)          # listed again from the cache
    assert cached.skipped == ds.skipped and np.array_equal(cached.images, ds.images)


def test_symlink_loops_are_skipped_with_a_reason(red_pngs, tmp_path):
    root = red_pngs(tmp_path / "photos", 3)
    os.symlink(root / "self.png", root / "self.png")           # points at itself
    os.symlink(root / "b.jpg", root / "a.jpg")                 # a -> b -> a
    os.symlink(root / "a.jpg", root / "b.jpg")
    ds = data.load(root, size=8, progress=False)
    assert len(ds) == 3
    assert set(reasons(ds)) == {"self.png", "a.jpg", "b.jpg"}
    assert all("loop" in r for r in reasons(ds).values())


def test_repairing_a_broken_symlink_refreshes_the_cache(red_pngs, tmp_path):
    root = red_pngs(tmp_path / "photos", 3)
    target = tmp_path / "elsewhere.png"
    os.symlink(target, root / "late.png")
    assert len(data.load(root, size=8, progress=False)) == 3
    Image.new("RGB", (12, 12), (0, 0, 255)).save(target)       # the link now resolves
    ds = data.load(root, size=8, progress=False)
    assert ds.relpaths == ["0.png", "1.png", "2.png", "late.png"] and ds.skipped == []
    assert ds.images[3, 4, 4].tolist() == [0, 0, 255]


def test_a_folder_of_only_broken_links_says_none_could_be_read(tmp_path):
    root = tmp_path / "links"
    root.mkdir()
    os.symlink(root / "x.png", root / "a.png")
    with pytest.raises(ValueError, match="none of the 1 image files"):
        data.load(root, size=8, progress=False)
