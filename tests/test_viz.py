"""Tests of colorlab.show (``viz``): every helper returns its figure/axes, draws what it should,
and refuses bad shapes with a ValueError. Fast: the Agg backend, tiny inputs."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402

from colorlab import bins, color, viz  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def drawn_images(fig):
    return [ax for ax in fig.axes if ax.images]


# --- images -------------------------------------------------------------------------------------

def test_show_images_numpy_uint8_grid():
    imgs = np.random.default_rng(0).integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    fig = viz.show_images(imgs, titles=list("abcde"), ncols=3)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 6                     # 2 rows × 3 columns, the last one empty
    shown = drawn_images(fig)
    assert len(shown) == 5
    assert [ax.get_title() for ax in shown] == list("abcde")
    np.testing.assert_allclose(shown[0].images[0].get_array(), imgs[0] / 255.0)


def test_show_images_torch_nchw_and_chw_and_gray_list():
    batch = torch.rand(3, 3, 6, 7)
    fig = viz.show_images(batch)
    shown = drawn_images(fig)
    assert len(shown) == 3 and shown[0].images[0].get_array().shape == (6, 7, 3)
    fig = viz.show_images(batch[0])               # one CHW tensor
    assert len(drawn_images(fig)) == 1
    fig = viz.show_images([np.zeros((4, 4)), torch.ones(1, 5, 5), np.ones((6, 6, 3))])
    assert [ax.images[0].get_array().shape for ax in drawn_images(fig)] == [(4, 4), (5, 5), (6, 6, 3)]


def test_show_images_rejects_bad_shapes_and_titles():
    with pytest.raises(ValueError):
        viz.show_images(np.zeros((2, 4, 4, 2)))    # two channels is not an image
    with pytest.raises(ValueError):
        viz.show_images(torch.zeros(2, 3, 4))     # torch needs (N, 3, H, W) or (3, H, W)
    with pytest.raises(ValueError):
        viz.show_images(np.zeros((2, 4, 4, 3)), titles=["only one"])
    with pytest.raises(ValueError):
        viz.show_images([])


def test_show_channels():
    lab = color.rgb_to_lab(np.random.default_rng(1).random((8, 8, 3)))
    fig = viz.show_channels(lab, ["L", "a", "b"], [(0, 100), (-80, 80), (-80, 80)],
                            ["gray", "PiYG_r", "coolwarm"])
    assert len(drawn_images(fig)) == 3
    np.testing.assert_allclose(drawn_images(fig)[1].images[0].get_array(), lab[..., 1])
    with pytest.raises(ValueError):
        viz.show_channels(lab, ["L", "a"], [(0, 100), (-80, 80)])
    with pytest.raises(ValueError):
        viz.show_channels(lab[..., 0], ["L"], [(0, 100)])


# --- the ab plane -------------------------------------------------------------------------------

def test_ab_colors_match_lab_to_rgb():
    pts = np.array([[0.0, 0.0], [60.0, 40.0]])
    got = viz.ab_colors(pts, L=50)
    want = color.lab_to_rgb(np.array([[50.0, 0, 0], [50.0, 60, 40]]))
    np.testing.assert_allclose(got, want)
    assert np.allclose(got[0], got[0][0], atol=1e-4)   # a = b = 0 is a gray


def test_ab_scatter_own_colours_and_values():
    fig, ax = plt.subplots()
    pts = bins.ab_bins()[:20]
    coll = viz.ab_scatter(ax, pts, L=60)
    assert len(coll.get_offsets()) == 20
    np.testing.assert_allclose(coll.get_facecolors()[:, :3], viz.ab_colors(pts, 60), atol=1e-6)
    coll = viz.ab_scatter(ax, pts, values=np.arange(20))
    assert len(coll.get_offsets()) == 20
    with pytest.raises(ValueError):
        viz.ab_scatter(ax, pts, values=np.arange(3))
    with pytest.raises(ValueError):
        viz.ab_scatter(ax, np.zeros((5, 3)))


def test_plot_bins_draws_one_cell_per_bin():
    ax = viz.plot_bins(bins.ab_bins(), L=50)
    cells = [c for c in ax.collections if isinstance(c, PatchCollection)]
    assert len(cells) == 1 and len(cells[0].get_paths()) == 313
    ax = viz.plot_bins(bins.gamut_bins(), ax=ax, facecolor="none", edgecolor="k")
    assert len(ax.collections) == 2 and len(ax.collections[1].get_paths()) == len(bins.gamut_bins())
    with pytest.raises(ValueError):
        viz.plot_bins(np.zeros((4, 3)))


def test_gamut_slice_image_shape_and_content():
    ax = viz.gamut_slice(50, step=2.0)
    img = ax.images[0].get_array()
    assert img.shape == (111, 111, 3)             # −110…110 in steps of 2
    assert np.allclose(img[55, 55], img[55, 55][0], atol=1e-4) and img[55, 55][0] < 0.6   # (0, 0): mid gray
    assert np.allclose(img[0, 0], viz.OUT_OF_GAMUT)                            # a = b = −110
    rgb, ok = viz.gamut_image((0, 25), step=10.0)
    assert rgb.shape == (23, 23, 3) and ok.shape == (23, 23) and ok[11, 11]
    # a range holds every point of each of its slices
    _, ok10 = viz.gamut_image(10, step=10.0)
    assert (ok | ~ok10).all()
    with pytest.raises(ValueError):
        viz.gamut_slice((50, 10))


def test_gamut_slice_agrees_with_gamut_bins():
    _, ok = viz.gamut_image((0, 100), step=10.0)
    grid = bins.grid_centres()                    # ordered by a then b: ok is [b, a]
    from_image = grid[ok.T.reshape(-1)]
    np.testing.assert_array_equal(from_image, bins.gamut_bins())


def test_ab_hist2d_and_histogram():
    rng = np.random.default_rng(0)
    ab = rng.normal(0, 20, (1000, 2))
    p, edges = viz.ab_hist2d(ab, step=10.0)
    assert p.shape == (22, 22) and np.isclose(p.sum(), 1) and len(edges) == 23
    ax = viz.ab_histogram(ab, step=10.0)
    assert ax.images[0].get_array().shape == (22, 22)
    assert len(ax.figure.axes) == 2               # the histogram and its colour bar
    # channel-last Lab slices and torch (N, 2, H, W) give the same histogram
    lab = rng.normal(0, 20, (2, 4, 5, 3))
    t = torch.from_numpy(lab[..., 1:]).permute(0, 3, 1, 2)
    np.testing.assert_allclose(viz.ab_hist2d(lab[..., 1:])[0], viz.ab_hist2d(t)[0])
    with pytest.raises(ValueError):
        viz.ab_histogram(np.zeros((10, 3)))
    with pytest.raises(ValueError):
        viz.ab_histogram(torch.zeros(1, 3, 4, 4))


def test_prior_map_places_bins_on_the_grid():
    p = bins.prior("imagenet")
    ax = viz.prior_map(p)
    grid = ax.images[0].get_array()
    assert grid.shape == (23, 23)
    assert grid.count() == 313                    # the other 216 cells are blank
    assert np.isclose(grid[11, 11], p[120])       # (0, 0) sits in the middle
    centres = bins.ab_bins()
    i = 200
    a, b = (centres[i] + 110) / 10
    assert np.isclose(grid[int(b), int(a)], p[i])
    ax = viz.prior_map(np.ones(225), centres=bins.gamut_bins(), log=False, colorbar=False)
    assert ax.images[0].get_array().count() == 225
    with pytest.raises(ValueError):
        viz.prior_map(np.ones(312))
    with pytest.raises(ValueError):
        viz.prior_map(np.ones((313, 2)))


def test_prior_map_linear_scale_takes_signed_values():
    ratio = np.linspace(-1, 1, 313)
    ax = viz.prior_map(ratio, log=False, cmap="RdBu_r", vmin=-1, vmax=1)
    assert ax.images[0].get_array().count() == 313
    with pytest.raises(ValueError):
        viz.prior_map(np.zeros(313))             # nothing positive to draw on a log scale


def test_gamut_outline_and_channel_cmap():
    ax = viz.gamut_slice(50, step=5.0)
    cs = viz.gamut_outline(50, ax, step=5.0)
    assert len(cs.allsegs[0]) >= 1                 # one closed border
    cmap = viz.channel_cmap("lab", 1)
    assert cmap.N == 256
    np.testing.assert_allclose(cmap(0.5)[:3], color.lab_to_rgb(np.array([60.0, 0, 0])), atol=1e-2)
    assert cmap(1.0)[0] > cmap(1.0)[1]             # +a is red/magenta
    u = viz.channel_cmap("yuv", 1)
    assert u(1.0)[2] > u(1.0)[0]                   # +U is blue
    with pytest.raises(ValueError):
        viz.channel_cmap("lab", 0)


def test_compare_grid_rows_are_gray_models_truth():
    import torch
    from colorlab import models
    torch.manual_seed(0)
    nets = {"a": models.build("regression", width=0.125), "b": models.build("zhang_eccv16", width=0.125)}
    rng = np.random.default_rng(0)
    photos = [rng.integers(0, 256, (24, 32, 3), dtype=np.uint8) for _ in range(2)]
    fig = viz.compare_grid(nets, photos, size=16)
    titles = [ax.get_title() for ax in fig.axes[:8]]
    assert titles == ["gray input", "a", "b", "truth"] * 2
    truth = fig.axes[3].images[0].get_array()
    np.testing.assert_allclose(np.asarray(truth), photos[0] / 255.0, atol=1e-6)
    plt.close(fig)
