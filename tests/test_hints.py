"""Hints: Daly & Zhao's circles and SIGGRAPH17's patches, drawn as the papers say, revealed,
measured, read from and written to RGBA images; a run's hints are a function of its seed."""
import numpy as np
import pytest
import torch
from PIL import Image

from colorlab import hints


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_circles_cover_one_to_eighty_percent_at_224():
    mask = hints.circles(224, 224, 200, gen=gen())
    assert mask.shape == (200, 1, 224, 224) and set(mask.unique().tolist()) <= {0.0, 1.0}
    cov = hints.coverage(mask)
    assert cov.shape == (200,)
    # Daly & Zhao: "relatively uniform between 1% and 80%"
    assert 0.005 < float(cov.min()) < 0.06 and 0.6 < float(cov.max()) <= 0.95
    assert 0.3 < float(cov.mean()) < 0.6


def test_one_circle_has_the_radius_scaled_to_the_image():
    m = hints.circles(448, 448, 300, n=1, gen=gen())            # radius 50–70 px at 448
    area = m.flatten(1).sum(1)
    r = torch.sqrt(area / np.pi)
    full = r[area == area.max()]                               # circles fully inside the image
    assert 49 <= float(full.max()) <= 71
    # inside the image, a circle's area lies between those of radius 50 and 70
    assert float(area.max()) <= np.pi * 71 ** 2


def test_points_count_is_geometric_with_p_one_eighth():
    ids = hints.points(64, 64, 4000, gen=gen())
    assert ids.dtype == torch.int64 and ids.shape == (4000, 1, 64, 64)
    # the number of distinct patches visible is at most the count drawn (overlaps hide some)
    seen = torch.tensor([len(torch.unique(i)) - 1 for i in ids[:, 0]])
    assert abs(float((seen == 0).float().mean()) - 1 / 8) < 0.03      # P(k = 0) = p
    assert 5.0 < float(seen.float().mean()) <= 7.3                     # mean (1 - p) / p = 7


def test_points_exact_count_sizes_and_centres():
    ids = hints.points(64, 64, 50, n=5, sizes=(3,), gen=gen())
    for im in ids[:, 0]:
        for k in im.unique()[1:]:
            ys, xs = torch.nonzero(im == k, as_tuple=True)
            assert ys.max() - ys.min() <= 2 and xs.max() - xs.min() <= 2
    assert int(ids.max()) == 5
    # centres: normal around the middle (sd a quarter of the image) → more hints in the centre half
    many = hints.points(64, 64, 200, n=10, sizes=(1,), gen=gen(1))
    mask = hints.as_mask(many)[:, 0]
    centre = mask[:, 16:48, 16:48].sum() / mask.sum()
    assert abs(float(centre) - 0.68 ** 2) < 0.06                # within ±1 sd on both axes: 0.68²
    uni = hints.as_mask(hints.points(64, 64, 200, n=10, sizes=(1,), centres="uniform", gen=gen(1)))[:, 0]
    assert abs(float(uni[:, 16:48, 16:48].sum() / uni.sum()) - 0.25) < 0.06


def test_a_patch_reveals_its_mean_colour_and_circles_reveal_each_pixel():
    ab = torch.randn(4, 2, 32, 32, generator=gen(2)) * 30
    ids = hints.points(32, 32, 4, n=6, sizes=(5,), gen=gen())
    hint = hints.reveal(ab, ids)
    for i in range(4):
        for k in ids[i, 0].unique()[1:]:
            sel = ids[i, 0] == k
            want = ab[i][:, sel].mean(1)
            torch.testing.assert_close(hint[i][:, sel], want[:, None].expand(-1, int(sel.sum())))
    assert torch.all(hint * (ids == 0) == 0)                    # zero outside the hints
    m = hints.circles(32, 32, 4, gen=gen())
    torch.testing.assert_close(hints.reveal(ab, m), ab * m)


def test_same_generator_same_hints_and_the_device_is_kept():
    a = hints.points(40, 48, 8, gen=gen(5))
    b = hints.points(40, 48, 8, gen=gen(5))
    assert torch.equal(a, b) and a.shape == (8, 1, 40, 48)
    c1, c2 = hints.circles(40, 48, 8, gen=gen(5), device="cpu"), hints.circles(40, 48, 8, gen=gen(5))
    assert torch.equal(c1, c2) and c1.device.type == "cpu"
    assert not torch.equal(hints.points(40, 48, 8, gen=gen(6)), a)


def test_zero_hints_and_coverage_of_one_image():
    ids = hints.points(16, 16, 3, n=0, gen=gen())
    assert int(ids.max()) == 0
    assert hints.coverage(torch.ones(16, 16)) == 1.0
    assert hints.coverage(torch.zeros(1, 16, 16)) == 0.0


def test_rgba_png_round_trip_and_errors(tmp_path, capsys):
    L = torch.full((1, 1, 20, 30), 55.0)
    ab = torch.zeros(1, 2, 20, 30)
    ab[:, 0, 5:9, 10:14], ab[:, 1, 5:9, 10:14] = 40.0, 30.0
    mask = torch.zeros(1, 1, 20, 30)
    mask[..., 5:9, 10:14] = 1
    rgba = hints.to_image(ab, mask, L)
    assert rgba.shape == (20, 30, 4) and rgba.dtype == np.uint8 and rgba[..., 3].sum() == 16 * 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "h.png")
    back = hints.from_image(tmp_path / "h.png")
    assert torch.equal(back["hint_mask"], mask)
    torch.testing.assert_close(back["hint_ab"], ab, atol=1.5, rtol=0)        # 8-bit rounding
    # another size: resized with a message
    small = hints.from_image(tmp_path / "h.png", size=(10, 15))
    assert small["hint_mask"].shape == (1, 1, 10, 15) and "resized" in capsys.readouterr().out
    # no alpha: one line that says what is expected
    Image.fromarray(rgba[..., :3]).save(tmp_path / "rgb.png")
    with pytest.raises(ValueError, match="no alpha channel.*alpha > 0 marks") as e:
        hints.from_image(tmp_path / "rgb.png")
    assert "\n" not in str(e.value)


def test_from_reference_and_resize_keep_small_hints():
    rgb = np.zeros((64, 64, 3), np.uint8)
    rgb[..., 0] = 200                                                   # a red photo
    h = hints.from_reference(rgb, 10, gen=gen(), sizes=(1,))
    assert int(h["hint_mask"].sum()) >= 9 and float(h["hint_ab"][:, 0].max()) > 40
    small = hints.resize(h, (16, 16))
    assert small["hint_mask"].sum() >= 1
    sel = small["hint_mask"][0, 0] > 0
    torch.testing.assert_close(small["hint_ab"][0, :, sel].mean(1), h["hint_ab"][0, :, h["hint_mask"][0, 0] > 0].mean(1),
                               atol=1e-3, rtol=1e-3)
