"""Every number on the command line is checked against its range (cli.train.NUMBERS) before
anything runs: a wrong one ends with argparse's usage and one error line that names the flag and
the allowed range, exit code 2, never a traceback; ``--T nan`` writes no (black) picture."""
import argparse
import math

import pytest

from colorlab.__main__ import main
from colorlab.cli.train import NUMBERS, number


def run_cli(argv, capsys) -> tuple[int, str]:
    """(exit code, stderr) of ``python -m colorlab *argv``, in this process."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def train(*flags, tmp_path):
    return ["train", "--model", "regression", "--data", str(tmp_path / "photos"),
            "--profile", "smoke", "--out", str(tmp_path / "out"), *flags]


@pytest.mark.parametrize("flag, value, name", [
    ("--batch-size", "0", "batch_size"),
    ("--epochs", "0", "epochs"),
    ("--epochs", "-1", "epochs"),
    ("--size", "1", "size"),
    ("--width", "0", "width"),
    ("--lr", "nan", "lr"),
    ("--limit", "0", "limit"),
    ("--checkpoint-every", "-5", "checkpoint_every"),
])
def test_train_numbers_out_of_range_are_one_clear_error(flag, value, name, tmp_path, capsys):
    code, err = run_cli(train(flag, value, tmp_path=tmp_path), capsys)
    assert_clear(code, err, flag, name, value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-0.5", "0", "1.5"])
def test_colorize_temperature_out_of_range_writes_nothing(value, tmp_path, capsys):
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"")        # never read: the number is refused first
    code, err = run_cli(["colorize", str(photo), "--model", str(tmp_path / "m"), "--T", value,
                         "--out", str(tmp_path / "out")], capsys)
    assert_clear(code, err, "--T", "T", value)
    assert not (tmp_path / "out").exists()


def test_colorize_size_out_of_range(tmp_path, capsys):
    code, err = run_cli(["colorize", "p.png", "--model", "m", "--size", "4096"], capsys)
    assert_clear(code, err, "--size", "colorize_size", "4096")


def assert_clear(code, err, flag, name, value):
    """Exit 2; argparse's usage lines, then one error line naming the flag, range and value."""
    kind, lo, hi, _ = NUMBERS[name]
    assert code == 2 and "Traceback" not in err, err
    *usage, last = err.strip().splitlines()
    assert usage and usage[0].startswith("usage: colorlab ")
    assert all(line.startswith(" ") for line in usage[1:]), err
    assert f"argument {flag}: " in last and f"from {lo} to {hi}" in last, last
    assert last.endswith(value) or repr(value) in last, last


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_every_number_accepts_its_range_and_nothing_else(name):
    kind, lo, hi, _ = NUMBERS[name]
    parse = number(name)
    assert parse(str(lo)) == lo and parse(str(hi)) == hi
    step = 1 if kind is int else lo / 2
    for bad in [lo - step, hi + step if kind is int else hi * 1.5, math.nan, math.inf, -math.inf]:
        with pytest.raises(argparse.ArgumentTypeError, match=f"from {lo} to {hi}"):
            parse(str(bad))
    if kind is int:
        with pytest.raises(argparse.ArgumentTypeError, match="an integer"):
            parse("1.5")
