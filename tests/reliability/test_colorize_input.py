"""`colorize` reads an array photo by its type: uint8 as 0..255, uint16 as 0..65535, other
integers by their range, a list as its array, floats only in [0, 1]. What it cannot read right
(bool, NaN, floats in 0..255, an empty image, a size that is no positive integer) raises a
ValueError saying what it saw and what to do, never a near-white picture or a traceback."""
import numpy as np
import pytest
import torch

from colorlab import inference, models, tasks


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    net = models.build("regression", width=0.125)
    net.task_state = tasks.Regression(size=16, profile="smoke").state()
    return net


@pytest.fixture(scope="module")
def photo():
    return np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)


def test_int64_pixels_in_0_to_255_read_as_8_bit(model, photo):
    np.testing.assert_array_equal(inference.colorize(model, photo.astype(np.int64)),
                                  inference.colorize(model, photo))


def test_uint16_pixels_read_as_16_bit(model, photo):
    np.testing.assert_array_equal(inference.colorize(model, photo.astype(np.uint16) * 257),
                                  inference.colorize(model, photo))


def test_a_python_list_reads_like_its_array(model, photo):
    np.testing.assert_array_equal(inference.colorize(model, photo.tolist()),
                                  inference.colorize(model, photo))


def test_floats_in_0_to_255_are_refused_saying_divide_by_255(model, photo):
    with pytest.raises(ValueError, match=r"\[0, 1\].*0\.\.2\d\d.*divide by 255"):
        inference.colorize(model, photo.astype(np.float32))


def test_integers_beyond_16_bits_are_refused_naming_the_range(model, photo):
    with pytest.raises(ValueError, match=r"0\.\.70000"):
        inference.colorize(model, np.full((20, 24, 3), 70000, np.int64))


def test_a_bool_image_is_refused(model):
    with pytest.raises(ValueError, match="bool"):
        inference.colorize(model, np.ones((20, 24, 3), bool))


def test_nan_pixels_are_refused(model, photo):
    img = photo / 255.0
    img[3, 4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        inference.colorize(model, img)


def test_an_empty_image_is_refused_saying_it_is_empty(model):
    with pytest.raises(ValueError, match=r"empty.*\(0, 0, 3\)"):
        inference.colorize(model, np.zeros((0, 0, 3), np.uint8))


@pytest.mark.parametrize("size", [-5, 0, 2.5, True])
def test_a_size_that_is_no_positive_integer_is_refused_naming_it(model, photo, size):
    with pytest.raises(ValueError, match=rf"^size must be .* got {size!r}$"):
        inference.colorize(model, photo, size=size)
