"""Files named to `colorize` (hint PNGs, photos) are checked before they are read: a FIFO, a
device or a folder is refused in one line (never read, so never a hang), an image whose header
says it is past the pixel limit (a decompression bomb) is refused naming its size, and a hint PNG
with no visible pixel says that it gives no hints."""
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from colorlab import hints
from colorlab.__main__ import main


def png_header(path, w: int, h: int) -> None:
    """A PNG that declares w x h RGBA pixels and holds none: what PIL's header read sees of a
    decompression bomb, written in microseconds."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data
                                + struct.pack(">I", zlib.crc32(kind + data)))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


def save_photo(path) -> None:
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (20, 24, 3), np.uint8)).save(path)


def test_hints_from_a_fifo_are_refused_without_hanging(tiny_checkpoint, tmp_path):
    ckpt = tiny_checkpoint("zhang_hints")
    save_photo(tmp_path / "p.png")
    os.mkfifo(tmp_path / "hints.png")
    try:
        run = subprocess.run([sys.executable, "-m", "colorlab", "colorize", str(tmp_path / "p.png"),
                              "--model", str(ckpt), "--hints", str(tmp_path / "hints.png"),
                              "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("colorize --hints FIFO hung")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "hints.png" in run.stderr and "regular file" in run.stderr


def test_a_folder_given_as_a_hint_image_is_refused_naming_it(tmp_path):
    (tmp_path / "painted.png").mkdir()
    with pytest.raises(ValueError, match=r"painted\.png is a folder, not a regular file"):
        hints.from_image(tmp_path / "painted.png")


def transparent_png(path) -> None:
    Image.fromarray(np.zeros((20, 24, 4), np.uint8), "RGBA").save(path)


def test_a_hint_png_with_no_visible_pixel_warns_naming_it(tmp_path):
    transparent_png(tmp_path / "empty.png")
    with pytest.warns(UserWarning, match=r"empty\.png has no visible pixel"):
        hints.from_image(tmp_path / "empty.png")


def test_colorize_says_when_a_hint_png_has_no_visible_pixel(tiny_checkpoint, tmp_path, capsys):
    ckpt = tiny_checkpoint("zhang_hints")
    save_photo(tmp_path / "p.png")
    transparent_png(tmp_path / "empty.png")
    code = main(["colorize", str(tmp_path / "p.png"), "--model", str(ckpt),
                 "--hints", str(tmp_path / "empty.png"), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    (line,) = [l for l in out.splitlines() if "no visible pixel" in l]
    assert line.startswith("[colorlab] ") and "empty.png" in line and "automatically" in line


def test_a_14000_square_hint_png_is_refused_naming_its_size(tmp_path):
    png_header(tmp_path / "bomb.png", 14000, 14000)
    with pytest.raises(ValueError, match=r"bomb\.png is 196000000 pixels.*megapixels"):
        hints.from_image(tmp_path / "bomb.png", size=(20, 24))


def test_a_hint_png_past_the_limit_is_refused_by_its_header(tmp_path):
    png_header(tmp_path / "big.png", 10000, 8100)        # 81 megapixels: PIL itself says nothing
    with pytest.raises(ValueError, match=r"big\.png is 10000 x 8100 px.*downscale"):
        hints.from_image(tmp_path / "big.png", size=(20, 24))


def test_a_photo_past_the_limit_is_skipped_naming_its_size(tiny_checkpoint, tmp_path, capsys):
    png_header(tmp_path / "huge.png", 10000, 10000)       # PIL would only warn, then decode
    code = main(["colorize", str(tmp_path / "huge.png"), "--model", str(tiny_checkpoint()),
                 "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err and "DecompressionBomb" not in out + err
    (line,) = [l for l in out.splitlines() if "huge.png" in l]
    assert line.startswith("colorlab colorize: skipped ") and "100000000 pixels" in line
