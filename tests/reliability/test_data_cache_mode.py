"""Cache files are ordinary files, readable by others as the umask allows (a class folder)."""
import os
import stat

import pytest
from PIL import Image

from colorlab import data
from colorlab.data import imageset

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")


@pytest.fixture
def umask():
    """Set the process umask for one test, then put the old one back."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def cache_modes(root):
    cache = root / ".colorlab-cache"
    files = sorted(p for p in cache.iterdir())
    assert any(p.suffix == ".npy" for p in files) and any(p.suffix == ".json" for p in files)
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)],
                         ids=["umask022", "umask027", "umask077"])
def test_cache_files_follow_the_umask(tmp_path, umask, mask, mode):
    root = tmp_path / "class"
    root.mkdir()
    Image.new("RGB", (12, 12), (200, 30, 30)).save(root / "a.png")
    umask(mask)
    data.load(root, size=8, progress=False)
    assert set(cache_modes(root).values()) == {mode}
    assert not [p for p in (root / ".colorlab-cache").iterdir() if p.name.endswith(".tmp")]


def test_a_student_can_use_a_cache_they_cannot_write(tmp_path, umask, monkeypatch):
    """The instructor prepares the folder; the cache is then read-only for everyone else."""
    root = tmp_path / "class"
    root.mkdir()
    Image.new("RGB", (12, 12), (200, 30, 30)).save(root / "a.png")
    first = data.load(root, size=8, progress=False)
    modes = cache_modes(root)
    assert all(m & stat.S_IROTH for m in modes.values())      # others may read every file
    if os.geteuid() == 0:
        return                                               # root reads anything anyway
    os.chmod(root / ".colorlab-cache", 0o555)
    try:
        monkeypatch.setattr(imageset, "decode", lambda *a, **k: pytest.fail("decoded again"))
        again = data.load(root, size=8, progress=False)
        assert again.paths == first.paths
    finally:
        os.chmod(root / ".colorlab-cache", 0o755)
