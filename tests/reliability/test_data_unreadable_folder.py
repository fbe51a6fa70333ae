"""A class folder that cannot be read is listed in ``skipped`` with a reason, not dropped.

As root, ``chmod 000`` does not stop reading, so there ``os.scandir`` is made to fail on that
folder the way it fails for anyone else (PermissionError)."""
import os

import pytest
from PIL import Image

from colorlab import data


@pytest.fixture
def locked(tmp_path, monkeypatch):
    """photos/{a,b,c}/{0,1}.png with b/ unreadable; yields (root, b)."""
    root = tmp_path / "photos"
    for cls in "abc":
        (root / cls).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (12, 12), (90 * i, 0, 0)).save(root / cls / f"{i}.png")
    locked = root / "b"
    locked.chmod(0)
    if os.geteuid() == 0:                           # root reads it anyway: fail as others do
        real_scandir = os.scandir

        def scandir(path="."):
            if os.fspath(path) == str(locked):
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_scandir(path)
        monkeypatch.setattr(os, "scandir", scandir)
    yield root, locked
    locked.chmod(0o755)


def test_an_unreadable_class_folder_is_listed_as_skipped(locked):
    root, b = locked
    ds = data.load(root, size=8, progress=False)
    assert ds.relpaths == ["a/0.png", "a/1.png", "c/0.png", "c/1.png"]
    assert [p for p, _ in ds.skipped] == [str(b)]
    assert "cannot read this folder (Permission denied)" in ds.skipped[0][1]
    again = data.load(root, size=8, progress=False)              # through the cache
    assert again.skipped == ds.skipped and again.relpaths == ds.relpaths


def test_an_unreadable_folder_itself_is_a_clear_error(locked):
    root, b = locked
    with pytest.raises(OSError, match="cannot read the folder .*b.*Permission denied"):
        data.load(b, size=8, progress=False)
