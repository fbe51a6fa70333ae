"""Saving a checkpoint never loses the previous one and never leaves partial files behind."""
import os
import time

import pytest
import torch

from colorlab import files, train


def test_a_failed_write_removes_its_partial_file_and_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    train.save_checkpoint(path, {"model": {"w": torch.ones(2)}})

    def full_disk(obj, f, *a, **k):
        f.write(b"partial")
        raise RuntimeError("[enforce fail at inline_container.cc] . PytorchStreamWriter failed "
                           "writing file data/0: file write failed")
    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(train.CheckpointWriteError, match="disk is full.*previous last.pt is intact"):
        train.save_checkpoint(path, {"model": {"w": torch.zeros(2)}})
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]
    monkeypatch.undo()
    assert torch.equal(train.load_checkpoint(path)["model"]["w"], torch.ones(2))


def test_temporaries_of_killed_runs_are_removed_but_not_live_ones(tmp_path):
    dead = tmp_path / ".last.pt.999999999-0123abcd.tmp"
    dead.write_bytes(b"")
    mine = tmp_path / f".last.pt.{os.getpid()}-0123abcd.tmp"
    mine.write_bytes(b"")
    assert train.remove_stale_temporaries(tmp_path) == [dead]
    assert not dead.exists() and mine.exists()


def test_another_machines_temporary_is_judged_by_age_not_by_a_pid_of_this_machine(tmp_path):
    """On a shared file system (a sweep's workers on several hosts) PID 999999999 may be alive
    on the machine that wrote the file: only a file untouched for a day goes."""
    host = files.owner_tag().partition("-")[2]
    other = "0" * 8 if host != "0" * 8 else "1" * 8
    fresh = tmp_path / f".a.ipynb.999999999-{other}-0123abcd.tmp"
    old = tmp_path / f".b.ipynb.999999999-{other}-0123abcd.tmp"
    ours_dead = tmp_path / f".c.ipynb.999999999-{host}-0123abcd.tmp"
    for f in (fresh, old, ours_dead):
        f.write_bytes(b"")
    day_ago = time.time() - files.FOREIGN_STALE_AFTER - 60
    os.utime(old, (day_ago, day_ago))
    assert sorted(files.remove_stale_temporaries(tmp_path)) == sorted([old, ours_dead])
    assert fresh.exists()
