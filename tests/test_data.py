"""Tests of colorlab.data: every image mode, crops, folders, bad files, the cache, splits."""
import hashlib
import os
import re

import numpy as np
import pytest
from PIL import Image

from colorlab import data
from colorlab.data import cache, imageset

FLOWERS = ["daisy", "dandelion", "roses", "sunflowers", "tulips"]
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def save(path, im, **kw):
    """Save a PIL image at path (creating folders); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, **kw)
    return path


def solid(color, size=(20, 20)):
    return Image.new("RGB", size, color)


def noise_jpeg(path, size=64, seed=0):
    """A JPEG of random pixels: big enough that cutting it in half truncates the image data."""
    rng = np.random.default_rng(seed)
    return save(path, Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)),
                quality=95)


# ----------------------------------------------------------------------------- bundled data

def test_bundled_flowers_all_2000():
    ds = data.load("flowers", size=32, progress=False)
    assert len(ds) == 2000 and ds.images.shape == (2000, 32, 32, 3)
    assert ds.images.dtype == np.uint8
    assert ds.classes == FLOWERS
    assert ds.labels.dtype == np.int64 and ds.labels.shape == (2000,)
    assert np.bincount(ds.labels).tolist() == [400] * 5
    assert ds.relpaths == sorted(ds.relpaths)
    assert ds.relpaths[0].startswith("daisy/")
    assert ds.skipped == []
    assert repr(ds) == "ImageSet('flowers', 2000 images 32x32, 5 classes, 0 skipped)"
    again = data.load("flowers", size=32, progress=False)
    assert again.paths == ds.paths and np.array_equal(again.images, ds.images)


def test_limit_is_deterministic_and_keeps_every_species():
    ds = data.load("flowers", size=32, limit=50, progress=False)
    assert len(ds) == 50 and set(ds.labels.tolist()) == {0, 1, 2, 3, 4}
    full = data.load("flowers", size=32, progress=False)
    assert set(ds.paths) <= set(full.paths)
    assert ds.relpaths == sorted(ds.relpaths)
    where = [full.paths.index(p) for p in ds.paths]
    assert np.array_equal(ds.images, full.images[where])
    assert data.load("flowers", size=32, limit=50, progress=False, cache=False).paths == ds.paths


def test_unknown_bundled_name_lists_the_bundled_sets():
    with pytest.raises(FileNotFoundError, match="flwers.*flowers, kodak24, cats, historical"):
        data.load("flwers")


# ----------------------------------------------------------------------------- decoding

def test_grayscale_L_gives_three_equal_channels(tmp_path):
    img = data.decode(save(tmp_path / "g.png", Image.new("L", (5, 4), 77)))
    assert img.shape == (4, 5, 3) and img.dtype == np.uint8 and (img == 77).all()


def test_palette_with_and_without_transparency(tmp_path):
    p = Image.new("P", (2, 1), 0)
    p.putpalette([*RED, *GREEN])
    p.putpixel((1, 0), 1)
    plain = data.decode(save(tmp_path / "p.png", p))
    assert plain[0].tolist() == [list(RED), list(GREEN)]
    see_through = data.decode(save(tmp_path / "pt.png", p, transparency=0))  # red is clear
    assert see_through[0].tolist() == [[255, 255, 255], list(GREEN)]


def test_rgba_transparent_pixels_become_white(tmp_path):
    a = np.zeros((2, 3, 4), np.uint8)
    a[..., :3] = (10, 20, 30)
    a[0, 0, 3], a[0, 1, 3], a[0, 2, 3] = 0, 255, 128      # clear, opaque, half
    img = data.decode(save(tmp_path / "a.png", Image.fromarray(a, "RGBA")))
    assert img[0, 0].tolist() == [255, 255, 255]
    assert img[0, 1].tolist() == [10, 20, 30]
    assert np.abs(img[0, 2].astype(int) - [133, 137, 142]).max() <= 1   # halfway to white
    assert (img[1] == 255).all()                                        # alpha 0 row


def test_gray_with_alpha_LA(tmp_path):
    la = Image.new("LA", (2, 1), (100, 255))
    la.putpixel((1, 0), (100, 0))
    img = data.decode(save(tmp_path / "la.png", la))
    assert img[0].tolist() == [[100] * 3, [255] * 3]


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    img = data.decode(save(tmp_path / "c.jpg", Image.new("CMYK", (16, 16), (0, 255, 255, 0))))
    assert img.shape == (16, 16, 3)
    assert np.abs(img.astype(int) - RED).max() <= 3                     # JPEG is lossy


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_gray_is_scaled_not_clipped(tmp_path, suffix):
    values = np.array([[65535, 32896, 0, 257, 128]], np.uint16)
    path = save(tmp_path / f"g16{suffix}", Image.fromarray(values))
    assert Image.open(path).mode == "I;16"
    img = data.decode(path)
    assert img[0, :, 0].tolist() == [255, 128, 0, 1, 0]                 # x / 257, rounded
    assert (img == img[..., :1]).all()


@pytest.mark.parametrize("suffix,kw", [(".webp", {"lossless": True}), (".tif", {}),
                                       (".tiff", {"compression": "tiff_lzw"}), (".bmp", {}),
                                       (".png", {})])
def test_lossless_formats_decode_exactly(tmp_path, suffix, kw):
    rgb = np.random.default_rng(1).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    img = data.decode(save(tmp_path / f"x{suffix}", Image.fromarray(rgb), **kw))
    assert np.array_equal(img, rgb)


def test_exif_orientation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6                                       # "rotate 90° clockwise to view"
    path = save(tmp_path / "o.jpg", solid(RED, (40, 20)), exif=exif)
    assert data.decode(path).shape == (40, 20, 3)          # 20 wide, 40 tall once turned


def test_jpeg_draft_keeps_at_least_min_size(tmp_path):
    path = save(tmp_path / "big.jpg", solid(BLUE, (800, 600)))
    assert data.decode(path).shape == (600, 800, 3)
    small = data.decode(path, min_size=100)
    assert min(small.shape[:2]) >= 100 and small.shape[0] < 600


# ----------------------------------------------------------------------------- resizing

def thirds(w=200, h=100):
    """A w x h image: left third red, middle third green, right third blue."""
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 3], a[:, w // 3: 2 * w // 3], a[:, 2 * w // 3:] = RED, GREEN, BLUE
    return a


def test_resize_crop_keeps_the_centre_of_a_wide_image():
    out = data.resize_crop(thirds(), 32)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    assert out[16, 16].tolist() == list(GREEN)
    assert out[16, 0].tolist() == list(RED) and out[16, -1].tolist() == list(BLUE)
    green_cols = (out[16] == GREEN).all(axis=1).sum()
    assert 17 <= green_cols <= 23                          # ~2/3 of 32: cropped, not squashed


def test_resize_crop_tall_image_and_bad_input():
    out = data.resize_crop(np.ascontiguousarray(thirds().transpose(1, 0, 2)), 16)
    assert out.shape == (16, 16, 3) and out[8, 8].tolist() == list(GREEN)
    with pytest.raises(ValueError, match="uint8"):
        data.resize_crop(np.zeros((8, 8, 3), np.float32), 4)


def test_load_crops_each_file(tmp_path):
    save(tmp_path / "wide.png", Image.fromarray(thirds()))
    ds = data.load(tmp_path, size=24, progress=False)
    assert ds.images.shape == (1, 24, 24, 3) and ds.images[0, 12, 12].tolist() == list(GREEN)
    single = data.load(tmp_path / "wide.png", size=24, progress=False)
    assert np.array_equal(single.images, ds.images) and single.labels is None


# ----------------------------------------------------------------------------- folders

def test_nested_folders_are_walked_and_other_files_ignored(tmp_path):
    save(tmp_path / "a" / "one.png", solid(RED))
    save(tmp_path / "a" / "deep" / "two.JPG", solid(GREEN))
    save(tmp_path / "b" / "three.webp", solid(BLUE))
    save(tmp_path / ".hidden" / "four.png", solid(RED))    # hidden folders are not walked
    for name in ["SOURCE.md", "LICENSE.txt", "ATTRIBUTIONS.csv", "b/notes.txt"]:
        (tmp_path / name).write_text("not an image")
    np.save(tmp_path / "a" / "array.npy", np.zeros(3))
    ds = data.load(tmp_path, size=8, progress=False)
    assert ds.relpaths == ["a/deep/two.JPG", "a/one.png", "b/three.webp"]
    assert ds.classes == ["a", "b"] and ds.labels.tolist() == [0, 0, 1]
    assert ds.skipped == [] and ds.root == str(tmp_path.resolve())
    assert ds.images[1, 4, 4].tolist() == list(RED)


def test_images_in_the_root_have_no_labels(tmp_path):
    save(tmp_path / "x.png", solid(RED))
    save(tmp_path / "sub" / "y.png", solid(GREEN))
    ds = data.load(tmp_path, size=8, progress=False)
    assert len(ds) == 2 and ds.labels is None and ds.classes == []
    assert "no labels" in repr(ds)


def test_bad_files_are_skipped_with_reasons(tmp_path):
    save(tmp_path / "good.png", solid(RED))
    whole = noise_jpeg(tmp_path / "good.jpg").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello, I am not a PNG")
    ds = data.load(tmp_path, size=8, progress=False)
    assert ds.relpaths == ["good.jpg", "good.png"]
    reasons = {os.path.basename(p): r for p, r in ds.skipped}
    assert set(reasons) == {"truncated.jpg", "empty.jpg", "text.png"}
    assert "truncated" in reasons["truncated.jpg"]
    assert "empty" in reasons["empty.jpg"]
    assert "not an image" in reasons["text.png"]
    assert "3 skipped" in repr(ds)
    cached = data.load(tmp_path, size=8, progress=False)   # the skipped list is cached too
    assert cached.skipped == ds.skipped


def test_load_image_error_names_the_file(tmp_path):
    bad = tmp_path / "text.png"
    bad.write_text("nope")
    with pytest.raises(ValueError, match=r"cannot read image .*text\.png.*JPEG/PNG/WebP/TIFF"):
        data.load_image(bad)
    with pytest.raises(FileNotFoundError, match="missing.png"):
        data.load_image(tmp_path / "missing.png")


def test_empty_missing_and_all_bad_folders(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    where = re.escape(str(empty))
    with pytest.raises(FileNotFoundError, match=f"no images .* found under {where}: point"):
        data.load(empty)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "SOURCE.md").write_text("text")
    with pytest.raises(FileNotFoundError, match=re.escape(str(docs))):
        data.load(docs)
    with pytest.raises(FileNotFoundError, match=re.escape(f"{tmp_path}/nowhere does not exist")):
        data.load(tmp_path / "nowhere")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.jpg").write_bytes(b"")
    (bad / "b.png").write_text("not a png")
    with pytest.raises(ValueError, match=re.escape(f"none of the 2 image files under {bad}")):
        data.load(bad, progress=False)


# ----------------------------------------------------------------------------- the cache

def no_decoding(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("decode() was called: the cache was not used")
    monkeypatch.setattr(imageset, "decode", fail)


def test_cache_is_reused_and_invalidated(tmp_path, monkeypatch):
    root = tmp_path / "photos"
    for i, color in enumerate([RED, GREEN, BLUE]):
        save(root / "c" / f"{i}.bmp", solid(color))      # BMP: same size in bytes for any pixels
    first = data.load(root, size=8, progress=False)
    cache = root / ".colorlab-cache"
    assert (cache / "images-8-all.npy").is_file() and (cache / "images-8-all.json").is_file()
    assert isinstance(first.images, np.memmap) and not first.images.flags.writeable

    with monkeypatch.context() as m:
        no_decoding(m)
        again = data.load(root, size=8, progress=False)
    assert again.paths == first.paths and np.array_equal(again.images, first.images)
    assert again.labels.tolist() == first.labels.tolist() and again.classes == ["c"]

    changed = root / "c" / "0.bmp"                         # new content, same byte count:
    before = changed.stat()                                # the content hash tells
    save(changed, solid((9, 9, 9)))
    os.utime(changed, ns=(before.st_atime_ns, before.st_mtime_ns + 5_000_000_000))
    assert changed.stat().st_size == before.st_size
    ds = data.load(root, size=8, progress=False)
    assert ds.images[0, 4, 4].tolist() == [9, 9, 9]

    save(root / "c" / "3.bmp", solid(RED))                 # an added file
    assert len(data.load(root, size=8, progress=False)) == 4
    (root / "c" / "1.bmp").unlink()                        # a removed file
    assert len(data.load(root, size=8, progress=False)) == 3

    limited = data.load(root, size=8, limit=2, progress=False)   # its own cache file
    assert len(limited) == 2 and (cache / "images-8-2.npy").is_file()


def test_cache_false_neither_reads_nor_writes(tmp_path):
    save(tmp_path / "a.png", solid(RED))
    ds = data.load(tmp_path, size=8, cache=False, progress=False)
    assert len(ds) == 1 and not (tmp_path / ".colorlab-cache").exists()


def test_cache_falls_back_to_COLORLAB_CACHE(tmp_path, monkeypatch):
    root = tmp_path / "photos"
    save(root / "a.png", solid(RED))
    (root / ".colorlab-cache").write_text("a file where the cache folder would go")
    home = tmp_path / "home-cache"
    monkeypatch.setenv("COLORLAB_CACHE", str(home))
    first = data.load(root, size=8, progress=False)
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()
    assert (home / digest / "images-8-all.npy").is_file()
    with monkeypatch.context() as m:
        no_decoding(m)
        assert np.array_equal(data.load(root, size=8, progress=False).images, first.images)


def test_unwritable_cache_warns_and_still_returns_images(tmp_path, monkeypatch):
    root = tmp_path / "photos"
    save(root / "a.png", solid(RED))
    (root / ".colorlab-cache").write_text("blocked")
    (tmp_path / "blocked").write_text("blocked too")
    monkeypatch.setenv("COLORLAB_CACHE", str(tmp_path / "blocked"))
    monkeypatch.setattr(cache, "_warned", False)
    with pytest.warns(UserWarning, match="could not write the image cache"):
        ds = data.load(root, size=8, progress=False)
    assert ds.images[0, 0, 0].tolist() == list(RED)


# ----------------------------------------------------------------------------- splits

def test_split_is_deterministic_disjoint_and_complete():
    ds = data.load("flowers", size=32, progress=False)
    train, val = ds.split(0.1)
    assert len(train) + len(val) == len(ds)
    assert not set(train.paths) & set(val.paths)
    assert set(train.paths) | set(val.paths) == set(ds.paths)
    assert 0.07 <= len(val) / len(ds) <= 0.13
    assert val.paths == ds.split(0.1)[1].paths
    assert set(val.labels.tolist()) == {0, 1, 2, 3, 4}
    i = ds.paths.index(val.paths[0])
    assert np.array_equal(val.images[0], ds.images[i]) and val.labels[0] == ds.labels[i]
    assert len(ds.split(0.0)[1]) == 0 and len(ds.split(1.0)[0]) == 0


def test_split_does_not_depend_on_limit():
    full_train, full_val = data.load("flowers", size=32, progress=False).split(0.2)
    train, val = data.load("flowers", size=32, limit=300, progress=False).split(0.2)
    assert set(val.paths) <= set(full_val.paths)
    assert set(train.paths) <= set(full_train.paths)
    assert 0.1 <= len(val) / 300 <= 0.3                    # a subset is not all validation


def test_subset_by_mask_and_indices():
    ds = data.load("flowers", size=32, limit=50, progress=False)
    mask = ds.labels == 2
    part = ds.subset(mask)
    assert len(part) == mask.sum() and (part.labels == 2).all()
    assert part.classes == ds.classes and part.root == ds.root
    two = ds.subset([3, 1])
    assert two.paths == [ds.paths[3], ds.paths[1]]
    assert np.array_equal(two.images, ds.images[[3, 1]])
