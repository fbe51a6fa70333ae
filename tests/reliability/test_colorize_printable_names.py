"""A file name cannot forge a line of `colorize`'s output: every name it prints (photos, the
pictures it writes, hint files, skipped files) has newlines and escape codes escaped."""
import numpy as np
from PIL import Image

from colorlab.__main__ import main

FORGED = "a\n[colorlab] all good\n"


def test_a_photo_name_with_a_newline_prints_on_one_line(tiny_checkpoint, tmp_path, capsys):
    Image.fromarray(np.zeros((20, 24, 3), np.uint8)).save(tmp_path / f"{FORGED}b.png", format="PNG")
    assert main(["colorize", str(tmp_path / f"{FORGED}b.png"), "--model", str(tiny_checkpoint()),
                 "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "[colorlab] all good" not in out.splitlines()
    assert "a\\n[colorlab] all good\\nb.png -> " in out


def test_an_unreadable_photo_with_an_escape_code_in_its_name_prints_it_escaped(tiny_checkpoint, tmp_path, capsys):
    (tmp_path / "c\x1b[2J.png").write_bytes(b"not an image")
    assert main(["colorize", str(tmp_path / "c\x1b[2J.png"), "--model", str(tiny_checkpoint()),
                 "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "c\\x1b[2J.png" in out


def test_a_hint_file_name_with_a_newline_prints_on_one_line(tiny_checkpoint, tmp_path, capsys):
    Image.fromarray(np.zeros((20, 24, 3), np.uint8)).save(tmp_path / "p.png")
    painted = np.zeros((10, 12, 4), np.uint8)              # half the photo's size: a note names it
    painted[2:4, 2:4] = (200, 30, 30, 255)
    Image.fromarray(painted, "RGBA").save(tmp_path / f"{FORGED}h.png", format="PNG")
    main(["colorize", str(tmp_path / "p.png"), "--model", str(tiny_checkpoint("zhang_hints")),
          "--hints", str(tmp_path / f"{FORGED}h.png"), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert "[colorlab] all good" not in out.splitlines()
    assert "a\\n[colorlab] all good\\nh.png is 12 x 10 px" in out
