"""The cache is keyed on the files' content: an edit that keeps size and mtime is still seen,
and a touch or a copy that keeps the bytes does not decode again."""
import os
import shutil
import time

import numpy as np
import pytest
from PIL import Image

from colorlab import data
from colorlab.data import cache, imageset


def bmp_folder(root, colors=((255, 0, 0), (0, 255, 0), (0, 0, 255))):
    """BMPs: the byte count does not depend on the pixels, so an edit keeps the size."""
    root.mkdir(parents=True, exist_ok=True)
    for i, color in enumerate(colors):
        Image.new("RGB", (16, 16), color).save(root / f"{i}.bmp")
    return root


@pytest.fixture
def settled(monkeypatch):
    """Pretend every file was last changed long ago, so its remembered hash can be trusted."""
    monkeypatch.setattr(cache, "SETTLE_NS", -10 ** 18)


def forbid(monkeypatch, *names):
    for name in names:
        def fail(*args, _name=name, **kwargs):
            raise AssertionError(f"data.{_name} was called")
        monkeypatch.setattr(imageset if name == "decode" else cache, name, fail)


def test_an_edit_that_keeps_size_and_mtime_is_seen(tmp_path):
    root = bmp_folder(tmp_path / "photos")
    first = data.load(root, size=8, progress=False)
    assert first.images[0, 4, 4].tolist() == [255, 0, 0]
    edited = root / "0.bmp"
    before = edited.stat()
    Image.new("RGB", (16, 16), (9, 9, 9)).save(edited)
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))      # hide the edit
    after = edited.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    ds = data.load(root, size=8, progress=False)
    assert ds.images[0, 4, 4].tolist() == [9, 9, 9]
    assert ds.images[1, 4, 4].tolist() == [0, 255, 0]


def test_the_edit_is_seen_even_when_the_old_hash_was_trusted(tmp_path, settled):
    root = bmp_folder(tmp_path / "photos")
    data.load(root, size=8, progress=False)
    edited = root / "2.bmp"
    before = edited.stat()
    time.sleep(0.05)                  # past the file system clock's tick (SETTLE_NS is off)
    Image.new("RGB", (16, 16), (7, 7, 7)).save(edited)
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert edited.stat().st_ctime_ns != before.st_ctime_ns
    assert data.load(root, size=8, progress=False).images[2, 4, 4].tolist() == [7, 7, 7]


def test_an_unchanged_folder_is_neither_hashed_nor_decoded_again(tmp_path, settled,
                                                                 monkeypatch):
    root = bmp_folder(tmp_path / "photos")
    first = data.load(root, size=8, progress=False)
    with monkeypatch.context() as m:
        forbid(m, "decode", "_file_hash")
        again = data.load(root, size=8, progress=False)
    assert again.paths == first.paths and np.array_equal(again.images, first.images)
    data.load(root, size=8, limit=2, progress=False)                   # another cache file,
    with monkeypatch.context() as m:                                   # the same hashes
        forbid(m, "decode", "_file_hash")
        limited = data.load(root, size=8, limit=2, progress=False)
    assert len(limited) == 2


def test_a_just_written_file_is_hashed_again_until_it_settles(tmp_path, monkeypatch):
    """A file changed moments before it was hashed could change again within the same tick of
    the file system's clock, unseen by stat: its hash is not remembered yet."""
    root = bmp_folder(tmp_path / "photos")
    data.load(root, size=8, progress=False)
    hashed = []
    real = cache._file_hash
    monkeypatch.setattr(cache, "_file_hash", lambda p: hashed.append(p.name) or real(p))
    data.load(root, size=8, progress=False)
    assert sorted(hashed) == ["0.bmp", "1.bmp", "2.bmp"]


def test_touching_files_does_not_decode_again(tmp_path, monkeypatch):
    root = bmp_folder(tmp_path / "photos")
    first = data.load(root, size=8, progress=False)
    for p in root.glob("*.bmp"):
        os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 7_000_000_000))
    with monkeypatch.context() as m:
        forbid(m, "decode")
        again = data.load(root, size=8, progress=False)
    assert np.array_equal(again.images, first.images)


def test_a_copied_folder_reuses_its_cache(tmp_path, monkeypatch):
    """cp -r (new inodes, new times): the files are hashed again, but not decoded."""
    root = bmp_folder(tmp_path / "photos")
    first = data.load(root, size=8, progress=False)
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, copy_function=shutil.copy)           # new mtimes too
    with monkeypatch.context() as m:
        forbid(m, "decode")
        again = data.load(copy, size=8, progress=False)
    assert np.array_equal(again.images, first.images)
    assert again.paths == [str(copy / f"{i}.bmp") for i in range(3)]


def test_the_hash_index_forgets_removed_files(tmp_path, settled):
    root = bmp_folder(tmp_path / "photos")
    data.load(root, size=8, progress=False)
    (root / "1.bmp").unlink()
    ds = data.load(root, size=8, progress=False)
    assert ds.relpaths == ["0.bmp", "2.bmp"]
    index = (root / ".colorlab-cache" / "hashes.json").read_text()
    assert "1.bmp" not in index and "2.bmp" in index
