"""colorlab.color against scikit-image, in both layouts, and its gradients."""
import numpy as np
import pytest
import torch
from skimage import color as skcolor

from colorlab import color

RNG = np.random.default_rng(0)
RGB = RNG.random((64, 64, 3))


def to_torch(x):
    return torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None]


def to_numpy(t):
    return t[0].permute(1, 2, 0).detach().numpy()


def test_lab_matches_skimage_float64():
    assert np.abs(color.rgb_to_lab(RGB) - skcolor.rgb2lab(RGB)).max() < 1e-3
    assert np.abs(to_numpy(color.rgb_to_lab(to_torch(RGB))) - skcolor.rgb2lab(RGB)).max() < 1e-3


def test_lab_matches_skimage_float32():
    x32 = RGB.astype(np.float32)
    assert np.abs(color.rgb_to_lab(x32) - skcolor.rgb2lab(RGB)).max() < 2e-2
    assert np.abs(to_numpy(color.rgb_to_lab(to_torch(x32))) - skcolor.rgb2lab(RGB)).max() < 2e-2


def test_lab_of_known_colours():
    lab = color.rgb_to_lab(np.array([[1.0, 1, 1], [0, 0, 0], [1, 0, 0]]))
    np.testing.assert_allclose(lab[0], [100, 0, 0], atol=1e-2)
    np.testing.assert_allclose(lab[1], [0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(lab[2], skcolor.rgb2lab(np.array([[1.0, 0, 0]]))[0], atol=1e-3)


def test_uint8_input_is_scaled():
    u8 = (RGB * 255).round().astype(np.uint8)
    np.testing.assert_allclose(color.rgb_to_lab(u8), color.rgb_to_lab(u8 / 255.0))


def test_lab_round_trip_numpy_and_torch():
    lab = skcolor.rgb2lab(RGB)
    assert np.abs(color.lab_to_rgb(lab) - RGB).max() < 1e-5
    assert np.abs(to_numpy(color.lab_to_rgb(to_torch(lab))) - RGB).max() < 1e-5
    np.testing.assert_allclose(color.lab_to_rgb(lab), skcolor.lab2rgb(lab), atol=1e-5)


def test_yuv_matches_skimage_and_round_trips():
    np.testing.assert_allclose(color.rgb_to_yuv(RGB), skcolor.rgb2yuv(RGB), atol=1e-6)
    np.testing.assert_allclose(color.yuv_to_rgb(color.rgb_to_yuv(RGB)), RGB, atol=1e-6)
    np.testing.assert_allclose(to_numpy(color.rgb_to_yuv(to_torch(RGB))), skcolor.rgb2yuv(RGB), atol=1e-6)


def test_torch_is_differentiable_everywhere_including_black():
    x = torch.cat([to_torch(RGB).float(), torch.zeros(1, 3, 64, 64)], 0).requires_grad_(True)
    color.rgb_to_lab(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    lab = torch.tensor([[[[50.0]], [[20.0]], [[-30.0]]]], requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: color.lab_to_rgb(t, clip=False), (lab.double(),))


def test_gradient_matches_finite_differences():
    x = (torch.rand(1, 3, 2, 2, dtype=torch.float64) * 0.8 + 0.1).requires_grad_(True)
    assert torch.autograd.gradcheck(color.rgb_to_lab, (x,))


def test_layout_errors_are_clear():
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        color.rgb_to_lab(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        color.rgb_to_lab(np.zeros((8, 8, 4)))


def test_in_gamut():
    assert color.in_gamut(np.array([50.0, 0, 0]))
    assert not color.in_gamut(np.array([50.0, 120, 120]))


def test_merge_and_gray():
    lab = color.rgb_to_lab(RGB)
    rgb = color.merge_l_ab(lab[..., 0], lab[..., 1:])
    assert np.abs(rgb - RGB).max() < 1e-5
    gray = color.gray_like(RGB)
    assert np.abs(color.rgb_to_lab(gray)[..., 1:]).max() < 1e-3
