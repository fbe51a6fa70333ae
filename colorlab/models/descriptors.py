"""Per-pixel feature descriptors and the joint bilateral filter of Cheng et al.'s Deep Colorization.

Cheng, Yang and Sheng (*Deep Colorization*, ICCV 2015; section II of Beniwal et al.'s review)
describe every pixel of the gray image by a vector of low-, mid- and high-level features, let a
fully connected network map that vector to the pixel's colour, and then smooth the colours with a
joint bilateral filter guided by the gray image, which removes blotches without blurring across
edges. Everything here works on whole images at once (tensor operations; DAISY is one
scikit-image call per image); no Python loop runs over pixels.

- :func:`patch_features`: the 7 × 7 luminance patch around each pixel (low level, 49 values);
- :func:`daisy_features`: DAISY (Tola et al.), ``skimage.feature.daisy`` at every pixel (mid level);
- :func:`semantic_features`: a trained network's feature map, upsampled to the pixel (high level);
- :func:`joint_bilateral`: the refinement of ab guided by L.

Shapes: L (N, 1, H, W) Lab lightness in [0, 100]; descriptors (N, D, H, W) float32.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from skimage.feature import daisy

PATCH = 7                               # Cheng et al.: 7 x 7 luminance patch (49 values)
DAISY = dict(radius=8, rings=2, histograms=6, orientations=8)   # (2·6 + 1)·8 = 104 values


def patch_features(L: torch.Tensor, k: int = PATCH) -> torch.Tensor:
    """The k × k patch of L / 100 around every pixel: (N, 1, H, W) → (N, k², H, W).

    Channel i·k + j holds L[y + i − k//2, x + j − k//2] / 100 (borders mirrored), so the centre
    pixel is channel k²//2.
    """
    r = k // 2
    padded = F.pad(L / 100.0, (r, r, r, r), mode="reflect" if min(L.shape[-2:]) > r else "replicate")
    n, _, h, w = L.shape
    return F.unfold(padded, k).view(n, k * k, h, w)


def daisy_dim(radius: int = DAISY["radius"], rings: int = DAISY["rings"],
              histograms: int = DAISY["histograms"], orientations: int = DAISY["orientations"]) -> int:
    """Length of one DAISY descriptor: (rings · histograms + 1) · orientations."""
    return (rings * histograms + 1) * orientations


def daisy_features(L: torch.Tensor, **daisy_kw) -> torch.Tensor:
    """DAISY at every pixel: (N, 1, H, W) → (N, D, H, W), D = ``daisy_dim(**daisy_kw)``.

    ``skimage.feature.daisy`` on L / 100 with step 1; it describes only points at least
    ``radius`` from the border, so the image is mirrored by ``radius`` first. Keyword arguments
    override :data:`DAISY` (radius, rings, histograms, orientations).
    """
    kw = {**DAISY, **daisy_kw}
    r = kw["radius"]
    gray = (L[:, 0] / 100.0).detach().cpu().double().numpy()
    mode = "reflect" if min(gray.shape[-2:]) > r else "edge"
    out = [daisy(np.pad(g, r, mode=mode), step=1, **kw) for g in gray]       # (H, W, D) each
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float().to(L.device)


def semantic_features(L: torch.Tensor, network) -> torch.Tensor:
    """A network's feature map at every pixel: ``network(L)`` (N, C, h, w), upsampled bilinearly
    to L's (H, W) → (N, C, H, W). ``network``: any callable on L, e.g. a trained classifier's
    first conv stages. Computed without gradients."""
    with torch.no_grad():
        f = network(L)
    return F.interpolate(f.float(), size=L.shape[-2:], mode="bilinear", align_corners=False)


def joint_bilateral(ab: torch.Tensor, L: torch.Tensor, radius: int = 5, sigma_space: float = 3.0,
                    sigma_range: float = 8.0) -> torch.Tensor:
    """Joint (cross) bilateral filter of ab guided by L: (N, 2, H, W), (N, 1, H, W) → (N, 2, H, W).

    out(p) = Σ_q w(p, q) ab(q) / Σ_q w(p, q) over the (2·radius + 1)² window around p, with
    w(p, q) = exp(−|p − q|² / 2σ_s²) · exp(−(L(p) − L(q))² / 2σ_r²): neighbours count when they are
    near *and* of similar lightness, so colour is smoothed within regions, not across edges.
    sigma_space in pixels, sigma_range in L units. Borders: only the pixels inside the image count.
    One tensor operation per offset of the window; nothing loops over pixels.
    """
    r = radius
    n, c, h, w = ab.shape
    pad = lambda x: F.pad(x, (r, r, r, r))                                   # noqa: E731
    abp, Lp = pad(ab.float()), pad(L.float())
    inside = pad(torch.ones(1, 1, h, w, device=ab.device))
    num = torch.zeros(n, c, h, w, device=ab.device)
    den = torch.zeros(n, 1, h, w, device=ab.device)
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            win = (slice(None), slice(None), slice(r + dy, r + dy + h), slice(r + dx, r + dx + w))
            wgt = (torch.exp(torch.tensor(-(dy * dy + dx * dx) / (2 * sigma_space ** 2)))
                   * torch.exp(-(L.float() - Lp[win]) ** 2 / (2 * sigma_range ** 2)) * inside[win])
            num += wgt * abp[win]
            den += wgt
    return (num / den).to(ab.dtype)
