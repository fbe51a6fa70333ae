"""Colour spaces: sRGB ↔ CIE Lab (D65) and sRGB ↔ YUV (BT.601), by hand.

Two conventions, one per library:
- numpy arrays are channel-last, ``(..., 3)`` — e.g. ``(H, W, 3)`` — like scikit-image;
- torch tensors are channel-first, ``(N, 3, H, W)`` — like PyTorch — and differentiable,
  on whatever device they live.
RGB is float in [0, 1] (uint8 numpy input is divided by 255). Lab has L in [0, 100] and a, b in
Lab units (about −110…110 inside the sRGB gamut).

The path RGB → Lab is: undo the sRGB gamma → linear RGB → XYZ (a 3 × 3 matrix) → divide by the
white point → a cube root with a linear toe → L, a, b. Each step below is one short function.
"""
from __future__ import annotations

import numpy as np

try:  # torch is optional for the numpy half of this module
    import torch
except ImportError:  # pragma: no cover
    torch = None

# sRGB (IEC 61966-2-1) linear RGB → XYZ, D65; the matrix scikit-image uses.
RGB_TO_XYZ = np.array([[0.412453, 0.357580, 0.180423],
                       [0.212671, 0.715160, 0.072169],
                       [0.019334, 0.119193, 0.950227]])
XYZ_TO_RGB = np.linalg.inv(RGB_TO_XYZ)
WHITE_D65 = np.array([0.95047, 1.0, 1.08883])  # CIE 1931 2° observer, D65 reference white
EPSILON = (6 / 29) ** 3   # below this the Lab cube root becomes a straight line (CIE 1976)
KAPPA = (29 / 6) ** 2 / 3  # slope of that line: f(t) = KAPPA * t + 4/29

# YUV, ITU-R BT.601 (Daly & Zhao work in YUV): Y is luma, U and V the two colour differences.
RGB_TO_YUV = np.array([[0.299, 0.587, 0.114],
                       [-0.14714119, -0.28886916, 0.43601035],
                       [0.61497538, -0.51496512, -0.10001026]])
YUV_TO_RGB = np.linalg.inv(RGB_TO_YUV)


def _is_torch(x) -> bool:
    return torch is not None and isinstance(x, torch.Tensor)


def _as_float(x):
    """numpy uint8 → float64 in [0, 1]; other numpy → float (kept at its precision)."""
    x = np.asarray(x)
    if x.dtype == np.uint8:
        return x / 255.0
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def _matmul(x, m):
    """Apply a 3 × 3 colour matrix ``m`` to the channel axis of ``x`` (numpy last, torch dim 1)."""
    if _is_torch(x):
        m = torch.as_tensor(m, dtype=x.dtype, device=x.device)
        return torch.einsum("ij,nj...->ni...", m, x)
    return x @ m.T.astype(x.dtype)


def _channel_vec(v, like):
    """A per-channel constant shaped to broadcast against ``like``."""
    if _is_torch(like):
        return torch.as_tensor(v, dtype=like.dtype, device=like.device).view(1, 3, 1, 1)
    return np.asarray(v, dtype=like.dtype)


def _where(cond, a, b):
    return torch.where(cond, a, b) if _is_torch(cond) else np.where(cond, a, b)


def _stack(parts, like):
    return torch.cat(parts, dim=1) if _is_torch(like) else np.stack(parts, axis=-1)


def _split(x):
    """The three channels of ``x``, each keeping a channel axis for torch ``(N, 1, H, W)``."""
    if _is_torch(x):
        return x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return x[..., 0], x[..., 1], x[..., 2]


def _check(x, name):
    if _is_torch(x):
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"{name}: expected a torch tensor (N, 3, H, W), got {tuple(x.shape)}")
    elif np.ndim(x) < 1 or np.shape(x)[-1] != 3:
        raise ValueError(f"{name}: expected a numpy array (..., 3), got {np.shape(x)}")


# --- sRGB gamma ------------------------------------------------------------------------------

def srgb_to_linear(c):
    """Undo the sRGB transfer curve: a power 2.4 with a linear segment below 0.04045."""
    if _is_torch(c):
        # clamp inside the power so that autograd never sees a negative base
        return torch.where(c > 0.04045, ((c.clamp(min=0.04045) + 0.055) / 1.055) ** 2.4, c / 12.92)
    return np.where(c > 0.04045, ((np.maximum(c, 0.04045) + 0.055) / 1.055) ** 2.4, c / 12.92)


def linear_to_srgb(c):
    """Apply the sRGB transfer curve (the inverse of :func:`srgb_to_linear`)."""
    if _is_torch(c):
        safe = c.clamp(min=0.0031308)
        return torch.where(c > 0.0031308, 1.055 * safe ** (1 / 2.4) - 0.055, 12.92 * c)
    safe = np.maximum(c, 0.0031308)
    return np.where(c > 0.0031308, 1.055 * safe ** (1 / 2.4) - 0.055, 12.92 * c)


# --- Lab --------------------------------------------------------------------------------------

def _f(t):
    """CIE Lab's compression: cube root above EPSILON, a straight line below."""
    if _is_torch(t):
        return torch.where(t > EPSILON, t.clamp(min=EPSILON) ** (1 / 3), KAPPA * t + 4 / 29)
    return np.where(t > EPSILON, np.cbrt(np.maximum(t, EPSILON)), KAPPA * t + 4 / 29)


def _f_inv(f):
    delta = 6 / 29
    return _where(f > delta, f ** 3, (f - 4 / 29) / KAPPA)


def rgb_to_xyz(rgb):
    """sRGB in [0, 1] → CIE XYZ (D65, Y of white = 1)."""
    return _matmul(srgb_to_linear(rgb), RGB_TO_XYZ)


def xyz_to_lab(xyz):
    """CIE XYZ → Lab: L in [0, 100], a/b in Lab units."""
    fx, fy, fz = _split(_f(xyz / _channel_vec(WHITE_D65, xyz)))
    return _stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], xyz)


def lab_to_xyz(lab):
    """Lab → CIE XYZ (D65)."""
    L, a, b = _split(lab)
    fy = (L + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200
    f = _stack([fx, fy, fz], lab)
    return _f_inv(f) * _channel_vec(WHITE_D65, lab)


def rgb_to_lab(rgb):
    """sRGB → CIE Lab (D65).

    rgb: numpy (..., 3) float in [0, 1] or uint8, or torch (N, 3, H, W) float in [0, 1] or
    uint8 (divided by 255, as ``.float() / 255`` would). Returns Lab of the same layout (float32
    for torch uint8): L in [0, 100], a and b in Lab units. Matches ``skimage.color.rgb2lab``
    (tests: max |ΔLab| < 1e-3 in float64, < 2e-2 in float32).
    """
    _check(rgb, "rgb_to_lab")
    if not _is_torch(rgb):
        return xyz_to_lab(rgb_to_xyz(_as_float(rgb)))
    if rgb.dtype == torch.uint8:
        return _lab_no_grad(_u8_to_linear(rgb))
    if rgb.requires_grad and torch.is_grad_enabled():
        return xyz_to_lab(rgb_to_xyz(rgb))
    return _lab_no_grad(srgb_to_linear(rgb))


# --- the same numbers, faster, when no gradient is needed (building training batches) ----------
# Every step below is the same float operation, in the same order, as rgb_to_xyz → xyz_to_lab,
# so the results are bit for bit those of the differentiable path; only fewer temporaries are
# made (in-place operations, one output written in place of a concatenation). For uint8 input
# the sRGB curve is a 256-entry table computed by srgb_to_linear itself.
_LINEAR_LUT: dict = {}     # device → (256,) float32: srgb_to_linear(v / 255), v = 0 … 255


def _linear_lut(device) -> "torch.Tensor":
    lut = _LINEAR_LUT.get(device)
    if lut is None:
        lut = srgb_to_linear(torch.arange(256, dtype=torch.float32, device=device).div_(255))
        _LINEAR_LUT[device] = lut
    return lut


def _power_is_vectorised(x: "torch.Tensor") -> bool:
    """Does torch's CPU power take its vectorised path for every value of ``x``?

    It handles 32 values at a time (16 with AVX2) in each thread's share of the tensor and the
    last few of a share with the C library's pow, which may round differently (by 1 ulp) from
    the vectorised one the table was made with. Training batches (N × 3 × 64 × 64 …) are always
    multiples; for other sizes the table is not used, so results never depend on it.
    """
    return x.device.type != "cpu" or x.numel() % (32 * torch.get_num_threads()) == 0


def _u8_to_linear(u8: "torch.Tensor") -> "torch.Tensor":
    """uint8 sRGB (N, 3, H, W) → linear RGB float32, laid out in memory as ``u8.float()`` is.

    Equal to ``srgb_to_linear(u8.float().div_(255))``: a table lookup instead of a power.
    """
    out = torch.empty_like(u8, dtype=torch.float32)            # the strides .float() gives
    if not _power_is_vectorised(out):
        return srgb_to_linear(u8.float().div_(255))
    if out.is_contiguous():
        src, dst = u8.contiguous(), out
    elif out.is_contiguous(memory_format=torch.channels_last):
        src, dst = u8.permute(0, 2, 3, 1).contiguous(), out.permute(0, 2, 3, 1)
    else:                                                       # an unusual layout: no table
        return srgb_to_linear(u8.float().div_(255))
    torch.index_select(_linear_lut(u8.device), 0, src.view(-1).int(), out=dst.view(-1))
    return out


def _lab_no_grad(lin: "torch.Tensor") -> "torch.Tensor":
    """Linear RGB (N, 3, H, W) → Lab, as xyz_to_lab(_matmul(lin, RGB_TO_XYZ)) computes it."""
    t = _matmul(lin, RGB_TO_XYZ)
    t.div_(_channel_vec(WHITE_D65, t))
    above = t > EPSILON
    toe = t.mul(KAPPA).add_(4 / 29)
    f = torch.where(above, t.clamp_(min=EPSILON).pow_(1 / 3), toe)        # _f
    lab = torch.empty((f.shape[0], 3) + tuple(f.shape[2:]), dtype=f.dtype, device=f.device)
    torch.mul(f[:, 1:2], 116, out=lab[:, 0:1]).sub_(16)                    # 116 fy − 16
    torch.sub(f[:, 0:2], f[:, 1:3], out=lab[:, 1:3])                       # fx − fy, fy − fz
    lab[:, 1:3].mul_(_ab_scale(f))                                          # × 500, × 200
    return lab


_AB_SCALE: dict = {}


def _ab_scale(like):
    key = (like.device, like.dtype)
    if key not in _AB_SCALE:
        _AB_SCALE[key] = torch.tensor([500.0, 200.0], dtype=like.dtype, device=like.device).view(1, 2, 1, 1)
    return _AB_SCALE[key]


def lab_to_rgb(lab, clip=True):
    """CIE Lab → sRGB in [0, 1] (clipped to [0, 1] unless ``clip=False``).

    lab: numpy (..., 3) or torch (N, 3, H, W), L in [0, 100], a/b in Lab units.
    Colours outside the sRGB gamut are clipped, as scikit-image does.
    """
    _check(lab, "lab_to_rgb")
    lab = lab if _is_torch(lab) else _as_float(lab)
    rgb = linear_to_srgb(_matmul(lab_to_xyz(lab), XYZ_TO_RGB))
    if not clip:
        return rgb
    return rgb.clamp(0, 1) if _is_torch(rgb) else np.clip(rgb, 0, 1)


def in_gamut(lab, tol=1e-6):
    """True where a Lab colour maps to sRGB inside [0, 1] (no clipping needed).

    lab: numpy (..., 3). Returns a bool array of shape ``lab.shape[:-1]``.
    """
    rgb = linear_to_srgb(_matmul(lab_to_xyz(_as_float(lab)), XYZ_TO_RGB))
    return np.all((rgb >= -tol) & (rgb <= 1 + tol), axis=-1)


# --- YUV --------------------------------------------------------------------------------------

def rgb_to_yuv(rgb):
    """sRGB in [0, 1] → YUV (BT.601): Y in [0, 1], U in ±0.436, V in ±0.615.

    Same layouts as :func:`rgb_to_lab`. Matches ``skimage.color.rgb2yuv``.
    """
    _check(rgb, "rgb_to_yuv")
    rgb = rgb if _is_torch(rgb) else _as_float(rgb)
    return _matmul(rgb, RGB_TO_YUV)


def yuv_to_rgb(yuv, clip=True):
    """YUV (BT.601) → sRGB in [0, 1] (clipped unless ``clip=False``)."""
    _check(yuv, "yuv_to_rgb")
    yuv = yuv if _is_torch(yuv) else _as_float(yuv)
    rgb = _matmul(yuv, YUV_TO_RGB)
    if not clip:
        return rgb
    return rgb.clamp(0, 1) if _is_torch(rgb) else np.clip(rgb, 0, 1)


# --- helpers the notebooks use ------------------------------------------------------------------

def gray_like(rgb):
    """The same photo with its colour removed: Lab with a = b = 0, back to sRGB.

    rgb: numpy (..., 3) or torch (N, 3, H, W). Returns the same layout, in [0, 1].
    """
    lab = rgb_to_lab(rgb)
    if _is_torch(lab):
        lab = torch.cat([lab[:, :1], torch.zeros_like(lab[:, 1:])], dim=1)
    else:
        lab = np.concatenate([lab[..., :1], np.zeros_like(lab[..., 1:])], axis=-1)
    return lab_to_rgb(lab)


def merge_l_ab(L, ab):
    """Lightness plus chroma → sRGB.

    L: torch (N, 1, H, W) with ab (N, 2, H, W), or numpy (..., H, W) with ab (..., H, W, 2).
    Returns sRGB in [0, 1] in the same layout (torch (N, 3, H, W), numpy (..., H, W, 3)).
    """
    if _is_torch(L):
        return lab_to_rgb(torch.cat([L, ab], dim=1))
    return lab_to_rgb(np.concatenate([np.asarray(L)[..., None], ab], axis=-1))
