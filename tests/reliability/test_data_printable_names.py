"""File names with a newline or an ANSI escape are printed escaped, by data.load's messages and
by ``prepare``'s report: a name cannot forge a "[colorlab] ..." line or recolour the terminal."""
import os
import subprocess
import sys

import pytest
from PIL import Image

from colorlab import data

FORGED = "x\n[colorlab] all good.jpg"
RED = "\x1b[31mred.png"


def broken(folder, *names):
    """``folder`` with files ``names`` that are not images; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"not an image")
    return folder


def test_load_error_names_the_folder_on_one_line(tmp_path):
    root = broken(tmp_path / "bad\n[colorlab] all good", "a.png")
    with pytest.raises(ValueError) as err:
        data.load(root, size=8, progress=False)
    assert "\n" not in str(err.value) and "bad\\n[colorlab] all good" in str(err.value)


def test_skipped_reasons_show_a_link_target_escaped(tmp_path):
    root = broken(tmp_path / "photos", "ok.png")
    Image.new("RGB", (12, 12)).save(root / "ok.png")
    os.symlink(tmp_path / "gone\x1b[2J.png", root / "link.png")
    ds = data.load(root, size=8, progress=False)
    (reason,) = [r for p, r in ds.skipped if p.endswith("link.png")]
    assert "\x1b" not in reason and "gone\\x1b[2J.png" in reason


@pytest.mark.slow
def test_prepare_prints_skipped_names_escaped(tmp_path):
    root = broken(tmp_path / "photos", FORGED, RED)
    Image.new("RGB", (12, 12)).save(root / "ok.png")
    done = subprocess.run([sys.executable, "-m", "colorlab", "prepare", str(root), "--size", "16"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert not any(line.startswith("[colorlab] all good") for line in lines)
    assert "\x1b" not in done.stdout
    assert f"  skipped {root}/x\\n[colorlab] all good.jpg: not an image (unknown format)" in lines
    assert f"  skipped {root}/\\x1b[31mred.png: not an image (unknown format)" in lines
