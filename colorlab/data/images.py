"""One image file → an RGB array: decoding any format and bit depth, and the square crop.

``decode`` reads what PIL can (JPEG, PNG, WebP, TIFF, BMP; gray, palette, CMYK, 16-bit,
transparent) as (H, W, 3) uint8 RGB; ``resize_crop`` makes it (size, size, 3).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps


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


FLOAT_SLACK = 1 / 510    # float pixels may stray this far outside [0, 1]: under half an 8-bit
                         # level, which rounding to 0..255 removes anyway


def to_uint8_pixels(rgb: np.ndarray) -> np.ndarray:
    """Pixels (H, W, C) as an array gives them → uint8, rounded: uint8 as is, uint16 /65535,
    another integer type by its range (0..255 or 0..65535), floats in [0, 1]. Anything else
    (bool, NaN, floats outside [0, 1]) raises ValueError saying what was seen and what to do
    (``evaluate.inference.as_uint8_rgb`` for photos, ``hints.from_image`` for RGBA hints)."""
    if rgb.dtype == np.uint8:
        return rgb
    if rgb.dtype == np.uint16:
        return _rescale(rgb, 65535)
    if np.issubdtype(rgb.dtype, np.integer) and not np.issubdtype(rgb.dtype, np.bool_):
        lo, hi = int(rgb.min()), int(rgb.max())
        if lo >= 0 and hi <= 255:
            return rgb.astype(np.uint8)
        if lo >= 0 and hi <= 65535:
            return _rescale(rgb, 65535)
        raise ValueError(f"the image's {rgb.dtype} values lie in {lo}..{hi}: give 8-bit (0..255) "
                         "or 16-bit (0..65535) values, or floats in [0, 1]")
    if np.issubdtype(rgb.dtype, np.floating):
        if not np.isfinite(rgb).all():
            bad = "NaN" if np.isnan(rgb).any() else "infinite"
            raise ValueError(f"the image holds {bad} pixels: every value must be a number in [0, 1]")
        lo, hi = float(rgb.min()), float(rgb.max())
        if lo < -FLOAT_SLACK or hi > 1 + FLOAT_SLACK:
            raise ValueError(f"float pixels must lie in [0, 1], this image's lie in {lo:g}..{hi:g}"
                             + (": divide by 255 first (8-bit values)" if hi <= 255 and lo >= 0 else ""))
        return _rescale(rgb, 1.0)
    raise ValueError(f"an image of {rgb.dtype} values cannot be a photo: give uint8 (0..255), "
                     "uint16 (0..65535) or floats in [0, 1]")


def _rescale(values: np.ndarray, peak: float) -> np.ndarray:
    """Values in 0..peak → uint8 0..255, rounded (float32 arithmetic, clipped)."""
    return np.clip(np.rint(values.astype(np.float32) * (255 / peak)), 0, 255).astype(np.uint8)
