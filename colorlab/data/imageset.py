"""A folder of photos as one array: ``load`` and ``ImageSet`` (subsets, the split, Lab).

``load("flowers", size=64)`` turns a folder of photos (any nesting, JPEG/PNG/WebP/TIFF/BMP, any
size) into one array ``images: (N, 64, 64, 3) uint8``: every photo decoded to RGB, its shorter
side resized to ``size`` and the centre cropped to a square (``images.py``), the result cached
(``cache.py``). Unreadable files and folders are skipped and listed (``folders.py``), never fatal.

The labels are the first-level sub-folders (``flowers/daisy/x.jpg`` -> class ``daisy``), and the
train/validation split is decided by a hash of each file's relative path, so it is the same on
every machine, in every run, and whether or not you loaded only a subset.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from colorlab.color import rgb_to_lab
from colorlab.data.cache import CACHE_VERSION, _content_hashes, _read_cache, _write_cache
from colorlab.data.folders import (_HINT, IMAGE_SUFFIXES, _list_images, _open_regular, _printable,
                                   _resolve, _stat, _unit_hash, _unread_note)
from colorlab.data.images import _reason, decode, load_image, resize_crop


@dataclass(repr=False, eq=False)
class ImageSet:
    """Images of one folder, all the same size, with their paths and class labels.

    images:  (N, size, size, 3) uint8, read-only (often a memmap of the cache; ``np.array`` it
             to get a copy you can change; ``lab()`` gives them as a Lab torch tensor)
    paths:   N file paths (absolute)
    skipped: (path, reason) of every file that could not be read
    labels:  (N,) int64 index into ``classes`` (first-level sub-folder), or None
    classes: sorted class names ([] when there are no sub-folders)
    root:    the folder the paths are relative to
    """
    images: np.ndarray
    paths: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    labels: np.ndarray | None = None
    classes: list[str] = field(default_factory=list)
    root: str = ""
    name: str = ""

    def __len__(self) -> int:
        return len(self.images)

    @property
    def relpaths(self) -> list[str]:
        """Paths relative to ``root``, with "/" (the keys of splits and subsets)."""
        return [Path(os.path.relpath(p, self.root)).as_posix() for p in self.paths]

    def subset(self, idx) -> ImageSet:
        """The images at ``idx``: integer positions, a boolean mask of length N, or a slice."""
        idx = np.atleast_1d(np.arange(len(self))[idx])
        labels = None if self.labels is None else self.labels[idx]
        images = np.asarray(self.images[idx])
        images.flags.writeable = False
        return replace(self, images=images, paths=[self.paths[i] for i in idx], labels=labels)

    def split(self, val_fraction=0.1) -> tuple[ImageSet, ImageSet]:
        """(train, val): an image goes to val when md5(relative path) -> [0, 1) < val_fraction.

        Depends only on the file's relative path: not on order, ``limit``, or the machine.
        """
        if not 0.0 <= val_fraction <= 1.0:
            raise ValueError(f"val_fraction must be in [0, 1], got {val_fraction}")
        is_val = np.array([_unit_hash(r) < val_fraction for r in self.relpaths], dtype=bool)
        return self.subset(~is_val), self.subset(is_val)

    def lab(self, batch_size: int = 256) -> torch.Tensor:
        """The photos in CIE Lab: (N, 3, size, size) float32 on the CPU, L in [0, 100] and a, b
        in Lab units (``color.rgb_to_lab`` of the RGB scaled to [0, 1]).

        Converted ``batch_size`` photos at a time, so besides the result only one batch is in
        memory; ``images`` (often a read-only memmap) is not changed.
        """
        n, h, w, _ = self.images.shape
        out = torch.empty((n, 3, h, w), dtype=torch.float32)
        for start in range(0, n, batch_size):
            batch = torch.from_numpy(np.array(self.images[start:start + batch_size]))  # a copy
            out[start:start + len(batch)] = rgb_to_lab(batch.permute(0, 3, 1, 2).float() / 255)
        return out

    def __repr__(self) -> str:
        n, size = len(self), self.images.shape[1]
        classes = f"{len(self.classes)} classes" if self.labels is not None else "no labels"
        return (f"ImageSet({self.name!r}, {n} images {size}x{size}, {classes}, "
                f"{len(self.skipped)} skipped)")


def skipped_lines(ds: ImageSet, most: int | None = None) -> list[str]:
    """What ``ds.skipped`` holds, one printable line each ("  skipped PATH: REASON"), for a
    command's report; past ``most`` lines, one more says how many were left out."""
    lines = [f"  skipped {_printable(p)}: {_printable(r)}" for p, r in ds.skipped[:most]]
    if most is not None and len(ds.skipped) > most:
        lines.append(f"  ... and {len(ds.skipped) - most} more "
                     f"(python -m colorlab prepare {_printable(ds.root)} lists them all)")
    return lines


def load(name_or_path, size=64, limit=None, cache=True, progress=True) -> ImageSet:
    """Load a bundled set (``"flowers"``), a folder (walked recursively) or one image file.

    Every image -> (size, size, 3) uint8 (``decode`` then ``resize_crop``). ``limit`` keeps at
    most that many images, picked by a hash of their relative paths, so a subset is the same
    every time and spreads over all classes. With ``cache``, the result is stored in the folder's
    ``.colorlab-cache/`` (else in $COLORLAB_CACHE or ~/.cache/colorlab) and reused while no file
    is added, removed or changed in content (a file's sha256, not its date, decides).
    Returns an ImageSet; see ``ImageSet`` for the fields.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of images or None, got {limit}")
    path = _resolve(name_or_path)
    if path.is_file():
        img = resize_crop(load_image(path), size)[None]
        img.flags.writeable = False
        return ImageSet(img, [str(path)], root=str(path.parent), name=path.name)

    files, unreadable = _list_images(path)
    if not files:
        raise FileNotFoundError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found under "
                                f"{_printable(path)}{_unread_note(unreadable)}: {_HINT}")
    stats = [_stat(path / rel) for rel in files]
    stem, key = f"images-{size}-{limit or 'all'}", {}
    if cache:
        hashes = _content_hashes(path, files, stats)
        key = dict(version=CACHE_VERSION, size=size, limit=limit,
                   files=[[rel, h] for rel, h in zip(files, hashes)])
        found = _read_cache(path, stem, key)
        if found is not None:
            return _from_cache(path, *found, unreadable)

    kept, images, skipped = _decode_all(path, files, stats, size, limit, progress)
    if not kept:
        raise ValueError(f"none of the {len(skipped)} image files under {_printable(path)} "
                         f"could be read (first: {_printable(skipped[0][0])}: {skipped[0][1]})"
                         f"{_unread_note(unreadable)}")
    classes, labels = _labels(files, kept)
    manifest = dict(key, root=str(path), kept=kept, classes=classes,
                    labels=None if labels is None else labels.tolist(),
                    skipped=[[os.path.relpath(p, path), r] for p, r in skipped])
    if cache:
        images = _write_cache(path, stem, images, manifest)
    images.flags.writeable = False
    return ImageSet(images, [str(path / r) for r in kept], unreadable + skipped, labels,
                    classes, str(path), path.name)


def _from_cache(root: Path, images: np.ndarray, manifest: dict, unreadable: list) -> ImageSet:
    """The ImageSet a cache holds (``cache._read_cache``), the unreadable folders listed first."""
    labels = manifest["labels"]
    return ImageSet(images, [str(root / r) for r in manifest["kept"]],
                    unreadable + [(str(root / p), r) for p, r in manifest["skipped"]],
                    None if labels is None else np.array(labels, dtype=np.int64),
                    manifest["classes"], str(root), root.name)


def _decode_all(root, files, stats, size, limit, progress):
    """Decode and crop files; returns (kept relpaths sorted, (K, size, size, 3) uint8, skipped).

    ``stats[i]`` is the ``os.stat`` of ``files[i]``, or the reason (str) it has none.
    With a ``limit``, files are tried in the order of a hash of their relative paths (salted with
    "limit", so a subset is not, say, all validation images) until ``limit`` of them could be read.
    """
    order = range(len(files))
    if limit is not None:
        order = sorted(order, key=lambda i: _unit_hash("limit " + files[i]))
    want = len(files) if limit is None else min(limit, len(files))
    kept, images, skipped = [], [], []
    desc = f"decoding {_printable(root.name)} ({size} px)"
    with tqdm(total=want, desc=desc, disable=not progress) as bar:
        for i in order:
            if len(kept) == want:
                break
            img = _decode_one(root / files[i], stats[i], size)
            if isinstance(img, str):          # a broken file must not stop the load: list it
                skipped.append((str(root / files[i]), _printable(img)))
                continue
            kept.append(files[i])
            images.append(img)
            bar.update()
    order = np.argsort(kept, kind="stable") if kept else np.zeros(0, int)
    stack = np.stack(images)[order] if images else np.zeros((0, size, size, 3), np.uint8)
    return [kept[i] for i in order], stack, skipped


def _decode_one(path: Path, st: os.stat_result | str, size: int) -> np.ndarray | str:
    """One listed file -> (size, size, 3) uint8, or the reason (str) it cannot be used."""
    if isinstance(st, str):
        return st
    if st.st_size == 0:
        return "empty file (0 bytes)"
    try:
        with _open_regular(path) as f:
            return resize_crop(decode(f, min_size=2 * size), size)
    except Exception as e:   # PIL raises many kinds (OSError, SyntaxError, struct.error, ...)
        return _reason(e)


def _labels(files, kept):
    """Classes = sorted first-level sub-folders; (classes, (K,) int64 labels) or ([], None)."""
    if any("/" not in rel for rel in files):      # some images sit directly in the root
        return [], None
    classes = sorted({rel.split("/")[0] for rel in files})
    index = {c: i for i, c in enumerate(classes)}
    return classes, np.array([index[rel.split("/")[0]] for rel in kept], dtype=np.int64)
