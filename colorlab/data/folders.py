"""Walking a folder of photos: which files are images, which are skipped and why, their names.

Only regular files are read (a FIFO or a link to /dev/zero named *.jpg is skipped with a reason,
opened without blocking); hidden files and folders are not looked at; a folder that cannot be
read is listed, never fatal. File names are kept as the disk holds them (``_name_bytes``) and
printed escaped (``_printable``), so a name cannot forge a line of output.
"""
from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from colorlab.files import printable

DATA_DIR = Path(os.environ.get("COLORLAB_DATA") or Path(__file__).parents[2] / "data").resolve()
BUNDLED = ("flowers", "kodak24", "cats", "historical")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")
# No photo file is larger than 512 MiB: an uncompressed 16-bit RGB image (6 bytes a pixel) of
# PIL's Image.MAX_IMAGE_PIXELS (89.5 Mpx; past 2x that PIL refuses to decode, a "decompression
# bomb") is 512 MiB. A larger file is skipped unread: it could only be hashed for minutes.
MAX_FILE_BYTES = 512 * 2 ** 20
FILE_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device",
              stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}
_HINT = ("point data.load at a folder of photos, or use one of " + ", ".join(BUNDLED))


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
