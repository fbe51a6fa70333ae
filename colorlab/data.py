"""Image folders -> cached uint8 arrays: the bundled data sets, decoding, crops and splits.

``load("flowers", size=64)`` turns a folder of photos (any nesting, JPEG/PNG/WebP/TIFF/BMP, any
size) into one array ``images: (N, 64, 64, 3) uint8``. Every photo is decoded to RGB, its shorter
side resized to ``size`` and the centre cropped to a square. Decoding JPEGs is slow, so the array
is written once to ``<folder>/.colorlab-cache/`` (a ``.npy`` file beside a JSON manifest that
holds the sha256 of every file and a checksum of the cached pixels) and later loads map it from
disk in milliseconds, as long as no file's content changed (see ``_content_hashes``: unchanged
files are not even read again) and the cache still matches its checksum.
Unreadable files (broken, empty, not images, broken symlinks, FIFOs and devices, files too large
to be a photo) and folders that cannot be read are skipped and listed, never fatal.

The labels are the first-level sub-folders (``flowers/daisy/x.jpg`` -> class ``daisy``), and the
train/validation split is decided by a hash of each file's relative path, so it is the same on
every machine, in every run, and whether or not you loaded only a subset.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import sys
import time
import warnings
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from tqdm.auto import tqdm

from colorlab.files import atomic_write, printable
from colorlab.color import rgb_to_lab

DATA_DIR = Path(os.environ.get("COLORLAB_DATA") or Path(__file__).parents[1] / "data").resolve()
BUNDLED = ("flowers", "kodak24", "cats", "historical")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")
CACHE_DIRNAME = ".colorlab-cache"
CACHE_VERSION = 2   # bump when the cache would change (decoding, resizing, its format);
                    # 2: the manifest holds a checksum (caches of version 1 are rebuilt)
CACHE_CHECKED = ("kept", "classes", "labels", "skipped")   # with the pixels, under the checksum
HASH_INDEX = "hashes.json"   # in the cache folder: the content hash of every file, see below
SETTLE_NS = 2_000_000_000    # a file's hash is remembered once it is 2 s old
STAT_SEES_EVERY_WRITE = os.name != "nt"   # Windows' st_ctime is the creation time
# No photo file is larger than 512 MiB: an uncompressed 16-bit RGB image (6 bytes a pixel) of
# PIL's Image.MAX_IMAGE_PIXELS (89.5 Mpx; past 2x that PIL refuses to decode, a "decompression
# bomb") is 512 MiB. A larger file is skipped unread: it could only be hashed for minutes.
MAX_FILE_BYTES = 512 * 2 ** 20
FILE_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device",
              stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}
_HINT = ("point data.load at a folder of photos, or use one of " + ", ".join(BUNDLED))


# ----------------------------------------------------------------------------- one image

def decode(path, min_size=None) -> np.ndarray:
    """Read one image file as RGB: returns (H, W, 3) uint8 at the file's own size.

    Grayscale becomes three equal channels; transparent pixels are laid over white; CMYK is
    converted; 16-bit images are scaled to 8 bits (65535 -> 255, x * 255 / 65535, rounded), not
    clipped; the camera's EXIF orientation is applied. If ``min_size`` is given, a JPEG may be
    decoded at 1/2, 1/4 or 1/8 scale (PIL's ``draft``, much faster) as long as both sides stay
    >= ``min_size`` px. Raises OSError or ValueError, naming the file, if it cannot be read.
    """
    try:
        with Image.open(path) as im:
            if min_size and im.format in ("JPEG", "MPO"):
                im.draft(im.mode, (min_size, min_size))
            im = ImageOps.exif_transpose(im)   # decodes the pixels (raises if truncated)
            return _to_rgb(im)
    except (OSError, ValueError) as e:
        kind = OSError if isinstance(e, OSError) else ValueError
        raise kind(f"{path}: {e}") from e


def _to_rgb(im: Image.Image) -> np.ndarray:
    """PIL image of any mode -> (H, W, 3) uint8 RGB."""
    if im.mode.startswith("I") or im.mode == "F":          # 16/32-bit integer or float gray
        gray = _to_8bit(np.array(im), _bit_depth(im))
        return np.repeat(gray[:, :, None], 3, axis=2)
    if im.mode in ("LA", "La", "PA", "RGBA", "RGBa") or "transparency" in im.info:  # see-through
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        return np.array(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.array(im.convert("RGB"))                     # RGB, L, 1, P, CMYK, YCbCr


def _bit_depth(im: Image.Image) -> int | None:
    """Bits per sample of an integer image: 16 for "I;16*", the TIFF tag, else from the values."""
    if im.mode.startswith("I;16"):
        return 16
    if im.mode == "F":
        return None
    bits = getattr(im, "tag_v2", {}).get(258)               # TIFF BitsPerSample
    if bits:
        return int(bits[0] if isinstance(bits, tuple) else bits)
    return None


def _to_8bit(x: np.ndarray, bits: int | None) -> np.ndarray:
    """(H, W) array of 2**bits levels (or float in [0, 1]) -> (H, W) uint8, scaled and rounded."""
    x = x.astype(np.float64)
    if bits is None:                                        # guess the range from the values
        top = x.max(initial=0)
        peak = 1.0 if top <= 1.0 else 255.0 if top <= 255 else 65535.0 if top <= 65535 else top
    else:
        peak = 2.0 ** bits - 1
    return np.clip(np.floor(x * (255.0 / peak) + 0.5), 0, 255).astype(np.uint8)


def load_image(path) -> np.ndarray:
    """Like ``decode`` (returns (H, W, 3) uint8 RGB), with an error message meant for people."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such image file: {path}")
    try:
        return decode(path)
    except Exception as e:   # PIL raises many kinds (OSError, SyntaxError, struct.error, ...)
        raise ValueError(f"cannot read image {path}: {_reason(e)}; "
                         "check the file is a JPEG/PNG/WebP/TIFF image") from e


def _reason(e: Exception) -> str:
    """A short reason for the ``skipped`` list."""
    text = str(e.__cause__ or e)
    if "cannot identify image file" in text:
        return "not an image (unknown format)"
    return f"{type(e.__cause__ or e).__name__}: {text}"


def resize_crop(img: np.ndarray, size: int) -> np.ndarray:
    """(H, W, 3) uint8 -> (size, size, 3) uint8: shorter side resized to ``size``, centre cropped.

    Cropping the centre square first and then resizing it (Lanczos, antialiased) is the same
    thing done in one step, and only the kept pixels are resampled.
    """
    img = np.asarray(img)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"resize_crop wants (H, W, 3) uint8, got {img.shape} {img.dtype}")
    h, w = img.shape[:2]
    side = min(h, w)
    left, top = (w - side) / 2, (h - side) / 2
    box = (left, top, left + side, top + side)
    out = Image.fromarray(img).resize((size, size), Image.Resampling.LANCZOS, box=box)
    return np.array(out)


# ----------------------------------------------------------------------------- image sets

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


def _unit_hash(text: str) -> float:
    """A number in [0, 1) fixed by ``text`` (md5: the same everywhere, unlike ``hash()``).

    The md5 is of the name's bytes on disk (``_name_bytes``), so a name that is not UTF-8 works.
    """
    return int.from_bytes(hashlib.md5(_name_bytes(text)).digest()[:8], "big") / 2.0 ** 64


def _name_bytes(text: str) -> bytes:
    """A file name's bytes as the disk holds them: UTF-8, with the bytes that are not UTF-8
    (which Python keeps as stand-in characters: b"caf\\xe9" is read as "caf\\udce9") put back."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:           # a lone surrogate of another kind (Windows names)
        return text.encode("utf-8", "surrogatepass")


def _printable(text) -> str:
    """``text`` (a str, a path, an error) that can be printed on one line: the bytes of a name
    that are not UTF-8 spelled "\\xe9", newlines and ANSI escapes spelled "\\n", "\\x1b"
    (``files.printable``), so a file name cannot forge a line of colorlab's output."""
    return printable(_name_bytes(str(text)).decode("utf-8", "backslashreplace"))


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
            return replace(found, skipped=unreadable + found.skipped)

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


def _resolve(name_or_path) -> Path:
    """A bundled name -> DATA_DIR/name; anything else -> an absolute path that exists."""
    if isinstance(name_or_path, str) and name_or_path in BUNDLED:
        path = DATA_DIR / name_or_path
        if not path.is_dir():
            raise FileNotFoundError(f"bundled data set {name_or_path!r} not found at "
                                    f"{_printable(path)}: "
                                    "set COLORLAB_DATA to the folder that holds "
                                    + ", ".join(f"{b}/" for b in BUNDLED))
        return path
    path = Path(name_or_path).expanduser()
    if path.exists():
        return path.resolve()
    text = str(name_or_path)
    if isinstance(name_or_path, str) and "/" not in text and os.sep not in text:
        raise FileNotFoundError(f"{text!r} is neither a bundled data set nor a folder here: "
                                f"{_HINT} (or give the path to your folder)")
    raise FileNotFoundError(f"{_printable(path.resolve())} does not exist: {_HINT}")


def _list_images(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """(relative paths ("a/b.jpg") of the image files under ``root``, sorted; (path, reason) of
    every sub-folder that could not be read, e.g. for lack of permission).

    Hidden folders and files (".colorlab-cache", ".git", "._x.jpg") are not looked at; files
    with other suffixes (SOURCE.md, LICENSE.txt, .npy) are ignored. Raises OSError, naming the
    folder, if ``root`` itself cannot be read.
    """
    found, unreadable = [], []

    def note(error: OSError) -> None:     # os.walk's onerror: it would drop the folder silently
        if os.fspath(error.filename) == os.fspath(root):
            raise OSError(f"cannot read the folder {_printable(root)} ({error.strerror}): "
                          "check that it is a folder you may read") from error
        unreadable.append((os.fspath(error.filename),
                           f"cannot read this folder ({error.strerror}), so its photos are "
                           "left out: check its permissions"))

    for folder, dirs, names in os.walk(root, onerror=note):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith(".") and name.lower().endswith(IMAGE_SUFFIXES):
                found.append(Path(folder, name).relative_to(root).as_posix())
    return sorted(found), sorted(unreadable)


def _unread_note(unreadable: list[tuple[str, str]]) -> str:
    """The end of an error message that counts the folders that could not be read, or ""."""
    if not unreadable:
        return ""
    return (f" (and {len(unreadable)} folder(s) could not be read, first "
            f"{_printable(unreadable[0][0])}: {unreadable[0][1]})")


def _stat(path: Path) -> os.stat_result | str:
    """``os.stat(path)``, following symlinks, or the reason the file is not read: a broken link,
    a loop, anything but a regular file (a FIFO or /dev/zero would be read forever), a file
    larger than MAX_FILE_BYTES."""
    try:
        st = path.stat()
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop (following the link leads back to it)"
        if path.is_symlink() and e.errno == errno.ENOENT:
            return f"broken symbolic link (its target {os.readlink(path)} does not exist)"
        return f"{type(e).__name__}: {e.strerror}"
    if not stat.S_ISREG(st.st_mode):
        return f"not a regular file ({_kind(st.st_mode)}), so it is not read"
    if st.st_size > MAX_FILE_BYTES:
        return (f"{st.st_size / 2 ** 20:.0f} MiB, larger than any photo (the limit, "
                f"MAX_FILE_BYTES, is {MAX_FILE_BYTES // 2 ** 20} MiB), so it is not read")
    return st


def _kind(mode: int) -> str:
    """What a file that is not a regular one is ("a FIFO", "a character device", ...), from
    its ``st_mode``."""
    return FILE_KINDS.get(stat.S_IFMT(mode), "not a file")


def _open_regular(path: Path):
    """``open(path, "rb")``, refusing (OSError) anything but a regular file without blocking:
    ``_stat`` already skipped the others, this closes the gap if one is swapped in since."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise OSError(f"not a regular file ({_kind(mode)})")
    return os.fdopen(fd, "rb")


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


# ----------------------------------------------------------------------------- the cache

_said_links: set[str] = set()


def _warn(text: str) -> None:
    """``warnings.warn(text)``, shown at the first line outside this module that led here (the
    caller's ``data.load(...)``), not at a line of data.py."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
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


def _read_cache(root: Path, stem: str, key: dict) -> ImageSet | None:
    """The cached ImageSet if a manifest matches ``key`` (same files, same hashes) and the cache
    its checksum, else None. A cache that fails its checksum is ignored with a warning."""
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
        labels = manifest["labels"]
        return ImageSet(images, [str(root / r) for r in kept],
                        [(str(root / p), r) for p, r in manifest["skipped"]],
                        None if labels is None else np.array(labels, dtype=np.int64),
                        manifest["classes"], str(root), root.name)
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


