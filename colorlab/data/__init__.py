"""Photos in, arrays out: the bundled data sets, image folders, the cache, toy sets and hints.

- :mod:`colorlab.data.images` — one image file → (H, W, 3) uint8 RGB, and the square crop;
- :mod:`colorlab.data.folders` — walking a folder: which files are photos, which are skipped;
- :mod:`colorlab.data.cache` — the decoded photos cached beside a manifest and its checksum;
- :mod:`colorlab.data.imageset` — ``load`` a folder as an ``ImageSet``: subsets, split, Lab;
- :mod:`colorlab.data.toys` — toy sets that make one idea exact (the averaging problem);
- :mod:`colorlab.data.hints` — colour hints: simulated users and hint files.

``data.load``, ``data.ImageSet``, ``data.load_image`` … are re-exported here.
"""
from colorlab.data.cache import CACHE_DIRNAME, CACHE_VERSION
from colorlab.data.folders import BUNDLED, DATA_DIR, IMAGE_SUFFIXES, MAX_FILE_BYTES
from colorlab.data.images import decode, load_image, resize_crop
from colorlab.data.imageset import ImageSet, load, skipped_lines

__all__ = ["BUNDLED", "CACHE_DIRNAME", "CACHE_VERSION", "DATA_DIR", "IMAGE_SUFFIXES",
           "MAX_FILE_BYTES", "ImageSet", "decode", "load", "load_image", "resize_crop",
           "skipped_lines"]
