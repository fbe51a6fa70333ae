"""Colour science the lessons derive by hand.

- :mod:`colorlab.color.spaces` — sRGB ↔ CIE Lab and sRGB ↔ YUV (re-exported here, so
  ``from colorlab.color import rgb_to_lab`` and ``color.rgb_to_lab`` work);
- :mod:`colorlab.color.bins` — the 313 quantised ab bins of Zhang et al. 2016, priors, rebalancing;
- :mod:`colorlab.color.grid` — a photo's ab on a coarse k × k grid (Massachi's 4 × 4 baseline).

``bins`` and ``grid`` need torch; import them by name (``from colorlab.color import bins``).
"""
from colorlab.color.spaces import (EPSILON, KAPPA, RGB_TO_XYZ, RGB_TO_YUV, WHITE_D65, XYZ_TO_RGB,
                                   YUV_TO_RGB, gray_like, in_gamut, lab_to_rgb, lab_to_xyz,
                                   linear_to_srgb, merge_l_ab, rgb_to_lab, rgb_to_xyz, rgb_to_yuv,
                                   srgb_to_linear, xyz_to_lab, yuv_to_rgb)

__all__ = ["EPSILON", "KAPPA", "RGB_TO_XYZ", "RGB_TO_YUV", "WHITE_D65", "XYZ_TO_RGB", "YUV_TO_RGB",
           "gray_like", "in_gamut", "lab_to_rgb", "lab_to_xyz", "linear_to_srgb", "merge_l_ab",
           "rgb_to_lab", "rgb_to_xyz", "rgb_to_yuv", "srgb_to_linear", "xyz_to_lab", "yuv_to_rgb"]
