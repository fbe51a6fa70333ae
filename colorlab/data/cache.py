"""The image cache: a folder's photos decoded once, kept as ``.npy`` beside a JSON manifest.

The manifest holds the sha256 of every file and a CRC-32 of the cached pixels; a cache is reused
while no file's content changed (``_content_hashes``: unchanged files are not even read again)
and it still matches its checksum. The cache lives in ``<folder>/.colorlab-cache/``, else in
$COLORLAB_CACHE or ~/.cache/colorlab.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np

from colorlab.data.folders import _name_bytes, _open_regular, _printable
from colorlab.files import atomic_write

CACHE_DIRNAME = ".colorlab-cache"
CACHE_VERSION = 2   # bump when the cache would change (decoding, resizing, its format);
                    # 2: the manifest holds a checksum (caches of version 1 are rebuilt)
CACHE_CHECKED = ("kept", "classes", "labels", "skipped")   # with the pixels, under the checksum
HASH_INDEX = "hashes.json"   # in the cache folder: the content hash of every file, see below
SETTLE_NS = 2_000_000_000    # a file's hash is remembered once it is 2 s old
STAT_SEES_EVERY_WRITE = os.name != "nt"   # Windows' st_ctime is the creation time

_said_links: set[str] = set()


def _warn(text: str) -> None:
    """``warnings.warn(text)``, shown at the first line outside this module that led here (the
    caller's ``data.load(...)``), not at a line of colorlab/data/."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("colorlab.data."):
        level, frame = level + 1, frame.f_back
    warnings.warn(text, stacklevel=level)


def _cache_dirs(root: Path) -> list[Path]:
    """Where the cache of ``root`` may live, best first: inside it, else $COLORLAB_CACHE or
    ~/.cache/colorlab, in a sub-folder named by the sha1 of the folder's absolute path.

    A cache folder that is a symbolic link is not used (it could send the cache files anywhere,
    e.g. over someone's files): the next one is, as when a folder cannot be written; a warning
    says so once per link.
    """
    home = Path(os.environ.get("COLORLAB_CACHE") or Path.home() / ".cache" / "colorlab")
    digest = hashlib.sha1(_name_bytes(str(root.resolve()))).hexdigest()
    places = [root / CACHE_DIRNAME, home.expanduser() / digest]
    usable = [p for p in places if not p.is_symlink()]
    for link in [p for p in places if p.is_symlink() and str(p) not in _said_links]:
        _said_links.add(str(link))
        instead = f"{_printable(usable[0])} instead" if usable else "nowhere"
        _warn(f"not using {_printable(link)} for the image cache: it is a symbolic link (to "
              f"{_printable(os.readlink(link))}), so the cache goes to {instead} (replace the "
              "link by a folder to keep the cache there)")
    return usable


def _checksum(images: np.ndarray, manifest: dict) -> str:
    """CRC-32 (8 hex digits) of the pixels and of what the manifest says of them (CACHE_CHECKED).

    zlib's CRC-32 runs at about 2.5-4 GB/s: 10 ms for 2000 photos at 64 px (25 MB), 0.1 s at
    256 px (390 MB), about a third of sha256's time. It catches damage (flipped bytes, a
    truncated copy), not a forgery: whoever can write the cache can write its checksum.
    """
    told = json.dumps([manifest.get(k) for k in CACHE_CHECKED]).encode("utf-8")
    return f"{zlib.crc32(memoryview(images).cast('B'), zlib.crc32(told)):08x}"


def _read_cache(root: Path, stem: str, key: dict) -> tuple[np.ndarray, dict] | None:
    """(images (K, size, size, 3) uint8 memmap, manifest) if a manifest matches ``key`` (same
    files, same hashes) and the cache its checksum, else None. A cache that fails its checksum is
    ignored with a warning."""
    for folder in _cache_dirs(root):
        try:
            manifest = json.loads((folder / f"{stem}.json").read_text())
            if not isinstance(manifest, dict) or any(manifest.get(k) != v for k, v in key.items()):
                continue
            images = np.load(folder / f"{stem}.npy", mmap_mode="r")
        except (OSError, ValueError):
            continue
        kept, size = manifest.get("kept"), key["size"]
        if (not isinstance(kept, list) or images.dtype != np.uint8
                or images.shape != (len(kept), size, size, 3)):
            continue
        if manifest.get("checksum") != _checksum(images, manifest):
            _warn(f"the image cache {_printable(folder / stem)}.npy does not match its "
                  "checksum (a damaged file): ignoring it; the photos are decoded again")
            continue
        return images, manifest
    return None


def _content_hashes(root: Path, files: list[str], stats: list[os.stat_result | str]
                    ) -> list[str | None]:
    """The sha256 of each file's bytes (None for a file with no stat), without reading the
    files that did not change since the last load.

    ``hashes.json`` in the cache folder remembers each file's hash with its stat signature
    (size, mtime, ctime, inode) at the time. The hash is reused while the signature is the same;
    any write changes the ctime, which, unlike the mtime, cannot be set back (``os.utime``).
    Files changed less than SETTLE_NS before this load are not remembered: a second write in the
    same tick of the file system's clock would leave the signature as it was. On Windows
    st_ctime is the creation time, so every file is hashed on every load there.
    """
    known = _read_hash_index(root) if STAT_SEES_EVERY_WRITE else {}
    now = time.time_ns()
    hashes, remember = [], {}
    for rel, st in zip(files, stats):
        if isinstance(st, str):
            hashes.append(None)
            continue
        sig = _signature(st)
        old = known.get(rel)
        same = isinstance(old, list) and old[:-1] == sig
        digest = old[-1] if same else _file_hash(root / rel)
        hashes.append(digest)
        if digest is not None and now - st.st_ctime_ns > SETTLE_NS:
            remember[rel] = sig + [digest]
    if STAT_SEES_EVERY_WRITE and remember != known:
        _write_hash_index(root, remember)
    return hashes


def _signature(st: os.stat_result) -> list[int]:
    """What stat tells of a file's bytes: [size, mtime, ctime (ns), inode]."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _file_hash(path: Path) -> str | None:
    """sha256 of the file's bytes (hex), or None if it cannot be read."""
    h = hashlib.sha256()
    try:
        with _open_regular(path) as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def _read_hash_index(root: Path) -> dict:
    """{relpath: [size, mtime, ctime, inode, sha256]} from every cache folder of ``root``."""
    known = {}
    for folder in reversed(_cache_dirs(root)):          # the best folder's entries win
        try:
            index = json.loads((folder / HASH_INDEX).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(index, dict) and index.get("version") == 1:
            known.update(index.get("files", {}))
    return known


def _write_hash_index(root: Path, files: dict) -> None:
    """Save the hash index in the first cache folder that can be written. If none can, the
    files are only hashed again next time, so this never warns."""
    text = json.dumps(dict(version=1, files=files)).encode("utf-8")
    for folder in _cache_dirs(root):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(folder / HASH_INDEX, lambda f: f.write(text))
            return
        except OSError:
            continue


_warned = False


def _write_cache(root: Path, stem: str, images: np.ndarray, manifest: dict) -> np.ndarray:
    """Save images (.npy) then the manifest (.json), each atomically; returns the memmap.

    If no cache folder can be written, warns once and returns ``images`` unchanged.
    """
    global _warned
    errors = []
    manifest = dict(manifest, checksum=_checksum(images, manifest))
    for folder in _cache_dirs(root):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(folder / f"{stem}.npy", lambda f: np.save(f, images))
            atomic_write(folder / f"{stem}.json",
                          lambda f: f.write(json.dumps(manifest).encode("utf-8")))
            return np.load(folder / f"{stem}.npy", mmap_mode="r")
        except OSError as e:
            errors.append(f"{_printable(folder)}: {_printable(e)}")
    if not _warned:
        _warn("could not write the image cache, so images are decoded again next time ("
              + "; ".join(errors) + ")")
        _warned = True
    return images
