"""File names that are not valid UTF-8 (zips made on Windows): they load, split and subset."""
import os

import numpy as np
import pytest
from PIL import Image

from colorlab import data
from colorlab.data.folders import _unit_hash

CAFE = b"caf\xe9.png"                      # "café" in Latin-1: not valid UTF-8


def folder_with_latin1_names(root):
    """root/{0,1,2,3}.png, root/café.png (Latin-1 bytes) and root/été/x.png (Latin-1 folder)."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(4):
        Image.new("RGB", (12, 12), (40 * i, 0, 0)).save(root / f"{i}.png")
    broot = os.fsencode(root)
    try:
        Image.new("RGB", (12, 12), (0, 255, 0)).save(os.path.join(broot, CAFE))
        os.mkdir(os.path.join(broot, b"\xe9t\xe9"))
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    Image.new("RGB", (12, 12), (0, 0, 255)).save(os.path.join(broot, b"\xe9t\xe9", b"x.png"))
    return root


def test_latin1_names_load_and_keep_their_pixels(tmp_path):
    root = folder_with_latin1_names(tmp_path / "zip")
    ds = data.load(root, size=8, progress=False)
    assert len(ds) == 6 and ds.skipped == []
    cafe = ds.paths.index(os.fsdecode(os.path.join(os.fsencode(root), CAFE)))
    assert ds.images[cafe, 4, 4].tolist() == [0, 255, 0]
    with open(ds.paths[cafe], "rb") as f:             # the path names the real file
        assert f.read(4) == b"\x89PNG"
    again = data.load(root, size=8, progress=False)   # through the cache
    assert again.paths == ds.paths and np.array_equal(again.images, ds.images)


def test_split_works_and_is_deterministic(tmp_path):
    root = folder_with_latin1_names(tmp_path / "zip")
    ds = data.load(root, size=8, progress=False)
    fresh = data.load(root, size=8, cache=False, progress=False)
    for fraction in (0.0, 0.3, 0.5, 0.8, 1.0):
        train, val = ds.split(fraction)
        assert len(train) + len(val) == len(ds)
        assert sorted(train.paths + val.paths) == sorted(ds.paths)
        assert val.paths == ds.split(fraction)[1].paths == fresh.split(fraction)[1].paths


def test_split_hashes_the_bytes_of_the_name(tmp_path):
    """The split of a Latin-1 name depends on its bytes, as a UTF-8 name's does on its own."""
    root = folder_with_latin1_names(tmp_path / "zip")
    ds = data.load(root, size=8, progress=False)
    i = [os.fsencode(r) for r in ds.relpaths].index(CAFE)
    u = _unit_hash(ds.relpaths[i])
    assert 0 <= u < 1
    _, below = ds.split(u)                             # val iff hash < fraction
    _, above = ds.split(min(1.0, u + 1e-12))
    assert ds.paths[i] not in below.paths and ds.paths[i] in above.paths
    assert _unit_hash("daisy/a.jpg") == _unit_hash(os.fsdecode(b"daisy/a.jpg"))


def test_limit_works_and_is_deterministic(tmp_path):
    root = folder_with_latin1_names(tmp_path / "zip")
    for limit in (1, 2, 5, 6, 50):
        ds = data.load(root, size=8, limit=limit, progress=False)
        assert len(ds) == min(limit, 6)
        assert ds.paths == data.load(root, size=8, limit=limit, cache=False, progress=False).paths
        ds.split(0.5)


def test_unreadable_latin1_file_is_listed_with_a_printable_reason(tmp_path):
    root = folder_with_latin1_names(tmp_path / "zip")
    broot = os.fsencode(root)
    with open(os.path.join(broot, b"bad\xff.jpg"), "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 not really a jpeg")
    os.symlink(os.path.join(broot, b"gone\xe9.png"), os.path.join(broot, b"link\xe9.png"))
    ds = data.load(root, size=8, progress=False)
    assert len(ds) == 6
    names = {os.fsencode(os.path.basename(p)): r for p, r in ds.skipped}
    assert set(names) == {b"bad\xff.jpg", b"link\xe9.png"}
    for path, reason in ds.skipped:
        reason.encode("utf-8")                         # printable: no lone surrogates
        assert os.path.lexists(path)                   # the path still names the file
    assert "gone\\xe9.png" in names[b"link\xe9.png"]   # the target, spelled readably
