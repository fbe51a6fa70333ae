"""Hints given as an array, not a file, are read like a photo's pixels: uint8 as is, uint16 and
other integer types by their range, floats in [0, 1]; 0..255 floats, NaN or bool are refused in
one line instead of becoming saturated colours."""
import numpy as np
import pytest

from colorlab import hints


def one_red_hint(dtype, peak) -> np.ndarray:
    """A 6 x 8 RGBA hint image with one red pixel, in ``dtype`` at full scale ``peak``."""
    rgba = np.zeros((6, 8, 4), dtype=dtype)
    rgba[2, 3] = (peak, 0, 0, peak)
    return rgba


@pytest.mark.parametrize("dtype, peak", [(np.uint8, 255), (np.uint16, 65535),
                                         (np.float32, 1.0), (np.int64, 255)])
def test_a_hint_array_of_any_pixel_type_gives_the_same_hint(dtype, peak):
    expected = hints.from_image(one_red_hint(np.uint8, 255))
    got = hints.from_image(one_red_hint(dtype, peak))
    assert np.array_equal(got["hint_mask"], expected["hint_mask"])
    assert np.allclose(got["hint_ab"], expected["hint_ab"], atol=1e-4)
    assert float(got["hint_ab"][0, 0, 2, 3]) > 50          # red: large a*


@pytest.mark.parametrize("rgba, says", [
    (one_red_hint(np.float64, 255.0), "divide by 255"),
    (np.full((4, 4, 4), np.nan), "NaN"),
    (np.ones((4, 4, 4), dtype=bool), "bool"),
    (np.zeros((0, 4, 4), dtype=np.uint8), "empty"),
])
def test_hint_arrays_it_cannot_read_are_refused_saying_why(rgba, says):
    with pytest.raises(ValueError, match=says):
        hints.from_image(rgba)
