"""A damaged cache (flipped bytes in the pixels or the manifest) is not served: it fails its
checksum, is ignored with a warning naming it, and the photos are decoded again."""
import json
import warnings

import numpy as np
import pytest
from PIL import Image

from colorlab import data


@pytest.fixture
def cached(tmp_path):
    """photos/{red,blue}/{0,1}.png loaded once at 8 px: (root, the .npy, the manifest)."""
    root = tmp_path / "photos"
    for cls, rgb in [("red", (255, 0, 0)), ("blue", (0, 0, 255))]:
        (root / cls).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (12, 12), rgb).save(root / cls / f"{i}.png")
    data.load(root, size=8, progress=False)
    stem = root / data.CACHE_DIRNAME / "images-8-all"
    return root, stem.with_suffix(".npy"), stem.with_suffix(".json")


def flip_last_byte(path):
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))


def test_flipped_pixel_bytes_are_caught_and_the_photos_decoded_again(cached):
    root, npy, _ = cached
    flip_last_byte(npy)                                   # red/1.png, last pixel: blue 0 -> 255
    with pytest.warns(UserWarning, match="does not match its checksum") as said:
        ds = data.load(root, size=8, progress=False)
    assert str(npy) in str(said[0].message)
    assert np.array_equal(ds.images, data.load(root, size=8, cache=False, progress=False).images)
    assert ds.images[:, -1, -1].tolist() == [[0, 0, 255]] * 2 + [[255, 0, 0]] * 2
    with warnings.catch_warnings():                       # the cache was written again
        warnings.simplefilter("error")
        assert np.array_equal(data.load(root, size=8, progress=False).images, ds.images)


def test_a_changed_label_in_the_manifest_is_caught(cached):
    root, _, manifest_file = cached
    manifest = json.loads(manifest_file.read_text())
    assert manifest["labels"] == [0, 0, 1, 1]             # blue, blue, red, red
    manifest["labels"] = [0, 0, 1, 0]
    manifest_file.write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="does not match its checksum"):
        ds = data.load(root, size=8, progress=False)
    assert ds.labels.tolist() == [0, 0, 1, 1]


def test_a_cache_from_before_checksums_is_rebuilt_not_served(cached):
    root, npy, manifest_file = cached
    manifest = json.loads(manifest_file.read_text())
    manifest.pop("checksum", None)
    manifest["version"] = 1                               # what the earlier colorlab wrote
    manifest_file.write_text(json.dumps(manifest))
    flip_last_byte(npy)                                   # damage it could not have seen
    with warnings.catch_warnings():                       # not damaged, only old: no warning
        warnings.simplefilter("error")
        ds = data.load(root, size=8, progress=False)
    assert ds.images[3, -1, -1].tolist() == [255, 0, 0]          # red/1.png as it is
    assert "checksum" in json.loads(manifest_file.read_text())
