"""A photo folder holding a FIFO, a link to /dev/zero or a file too large to be a photo, each
named *.jpg: skipped with a reason, never read (reading one would hang or take minutes)."""
import os
import subprocess
import sys

import pytest

from colorlab import data
from colorlab.data import cache

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")


def reasons(ds):
    return {os.path.basename(p): r for p, r in ds.skipped}


def test_a_fifo_named_jpg_is_skipped_as_not_a_regular_file(red_pngs, tmp_path, hang_limit):
    root = red_pngs(tmp_path / "photos", 4)
    os.mkfifo(root / "pipe.jpg")
    ds = data.load(root, size=8, progress=False)
    assert len(ds) == 4
    assert reasons(ds) == {"pipe.jpg": "not a regular file (a FIFO), so it is not read"}
    assert reasons(data.load(root, size=8, progress=False)) == reasons(ds)   # from the cache


def test_a_fifo_is_skipped_without_the_cache_too(red_pngs, tmp_path, hang_limit):
    root = red_pngs(tmp_path / "photos", 4)
    os.mkfifo(root / "pipe.png")
    ds = data.load(root, size=8, cache=False, progress=False)
    assert len(ds) == 4 and "a FIFO" in reasons(ds)["pipe.png"]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_link_to_dev_zero_is_skipped_as_a_device(red_pngs, tmp_path, hang_limit):
    root = red_pngs(tmp_path / "photos", 4)
    os.symlink("/dev/zero", root / "zero.jpg")
    ds = data.load(root, size=8, progress=False)
    assert len(ds) == 4
    assert reasons(ds) == {"zero.jpg": "not a regular file (a character device), so it is not read"}


def test_a_file_larger_than_any_photo_is_skipped_unread(red_pngs, tmp_path, monkeypatch):
    root = red_pngs(tmp_path / "photos", 4)
    with open(root / "huge.jpg", "wb") as f:       # sparse: takes no room on the disk
        f.truncate(600 * 2 ** 20)                   # 600 MiB: past MAX_FILE_BYTES
    hashed = []
    real_hash = cache._file_hash
    monkeypatch.setattr(cache, "_file_hash", lambda p: hashed.append(p.name) or real_hash(p))
    ds = data.load(root, size=8, progress=False)
    assert len(ds) == 4 and "huge.jpg" not in hashed
    assert "larger than any photo" in reasons(ds)["huge.jpg"]
    assert "MAX_FILE_BYTES" in reasons(ds)["huge.jpg"]


def cli(*args, timeout=180):
    """``python -m colorlab ARGS``; fails (rather than hangs) past ``timeout`` seconds."""
    try:
        return subprocess.run([sys.executable, "-m", "colorlab", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"colorlab {args[0]} hung: still running after {timeout} s")


@pytest.mark.slow
def test_prepare_finishes_and_lists_the_fifo_as_skipped(red_pngs, tmp_path):
    root = red_pngs(tmp_path / "photos", 4)
    os.mkfifo(root / "pipe.jpg")
    done = cli("prepare", root, "--size", "16", timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"  skipped {root / 'pipe.jpg'}: not a regular file (a FIFO)" in done.stdout


@pytest.mark.slow
def test_train_on_a_folder_with_a_fifo_finishes_and_lists_it_as_skipped(red_pngs, tmp_path):
    root = red_pngs(tmp_path / "photos", 12)
    os.mkfifo(root / "pipe.jpg")
    done = cli("train", "--model", "regression", "--data", root, "--profile", "smoke",
               "--epochs", "1", "--batch-size", "4", "--out", tmp_path / "out", "--quiet")
    assert done.returncode == 0, done.stderr
    assert f"  skipped {root / 'pipe.jpg'}: not a regular file (a FIFO)" in done.stdout
    assert (tmp_path / "out" / "last.pt").is_file()
