"""The averaging toy of notebook 03: two colours that the gray image cannot tell apart."""
import numpy as np
import pytest

from colorlab import bins, color, toys


def test_both_colours_are_in_gamut_at_the_same_lightness():
    for a, b in toys.COLORS:
        assert color.in_gamut(np.array([toys.L_SHAPE, a, b]))
    lab = toys.palette_lab()                        # what the 8-bit images really hold
    assert abs(lab[0, 0] - lab[1, 0]) < 0.01        # equal L, far below one L unit
    assert np.abs(lab[:, 0] - toys.L_SHAPE).max() < 0.01
    assert np.abs(lab[:, 1:] - np.array(toys.COLORS)).max() < 1.0   # close to the nominal ab


def test_constants():
    assert toys.MEAN_AB == pytest.approx(np.mean(toys.COLORS, axis=0))
    centres = {tuple(c) for c in bins.ab_bins()}
    assert all(tuple(c) in centres for c in toys.COLORS)   # the mode can land exactly on them
    assert np.linalg.norm(np.subtract(*toys.COLORS)) > 80  # far apart: the mean is neither
    g = toys.gray8(toys.BACKGROUND_L)
    assert g[0] == g[1] == g[2]
    assert abs(color.rgb_to_lab(g / 255.0)[0] - toys.BACKGROUND_L) < 0.5


def test_red_and_blue_versions_have_the_same_gray_image():
    red_first, is_red, masks = toys.two_color_shapes(20, 32, rng=3, return_masks=True)
    swapped, is_red2 = toys.two_color_shapes(20, 32, rng=3, colors=toys.COLORS[::-1])
    assert (is_red == is_red2).all()
    lab1, lab2 = color.rgb_to_lab(red_first), color.rgb_to_lab(swapped)
    assert np.abs(lab1[..., 0] - lab2[..., 0]).max() < 0.01      # the network's input: identical
    ab_gap = np.linalg.norm(lab1[..., 1:] - lab2[..., 1:], axis=-1)
    assert (ab_gap[masks] > 80).all() and (ab_gap[~masks] == 0).all()   # only the colour differs


def test_colours_split_half_and_half_and_match_the_pixels():
    images, is_red, masks = toys.two_color_shapes(101, 24, rng=0, return_masks=True)
    assert is_red.dtype == bool and is_red.shape == (101,)
    assert is_red.sum() == 51                                    # ⌈n/2⌉ red
    rgb = toys.palette()
    for im, red, m in zip(images, is_red, masks):
        assert (im[m] == rgb[0 if red else 1]).all()
        assert (im[~m] == toys.gray8(toys.BACKGROUND_L)).all()
    # not simply alternating or sorted
    assert 0 < np.abs(np.diff(is_red.astype(int))).sum() < 100


def test_shapes_lie_inside_the_image():
    images, _, masks = toys.two_color_shapes(200, 32, rng=1, return_masks=True)
    assert images.shape == (200, 32, 32, 3) and images.dtype == np.uint8
    border = masks[:, [0, -1], :].any((1, 2)) | masks[:, :, [0, -1]].any((1, 2))
    assert not border.any()
    area = masks.sum((1, 2))
    lo, hi = toys.RADIUS
    assert area.min() >= np.pi * (lo * 32 - 1) ** 2
    assert area.max() <= (2 * hi * 32 + 1) ** 2


def test_determinism_by_seed():
    a = toys.two_color_shapes(16, 32, rng=7)
    b = toys.two_color_shapes(16, 32, rng=np.random.default_rng(7))
    c = toys.two_color_shapes(16, 32, rng=8)
    assert (a[0] == b[0]).all() and (a[1] == b[1]).all()
    assert not (a[0] == c[0]).all()


def test_shape_mask():
    disc = toys.shape_mask(64, (32, 32), 10, "disc")
    assert abs(disc.sum() - np.pi * 100) < 20
    square = toys.shape_mask(64, (32, 32), 10, "square")
    assert square.sum() == 21 * 21
    with pytest.raises(ValueError, match="unknown shape"):
        toys.shape_mask(8, (4, 4), 2, "star")


def test_rgb8_refuses_colours_far_outside_the_gamut():
    with pytest.raises(ValueError, match="gamut"):
        toys.rgb8(50, -60, -80)


def test_nearest_color():
    d, i = toys.nearest_color(np.array([toys.RED_AB, toys.BLUE_AB, toys.MEAN_AB]))
    assert d[:2] == pytest.approx([0, 0]) and list(i[:2]) == [0, 1]
    half = np.linalg.norm(np.subtract(*toys.COLORS)) / 2
    assert d[2] == pytest.approx(half)
