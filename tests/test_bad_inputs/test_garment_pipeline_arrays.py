"""GarmentPipeline gives every array a status or a documented conversion (as_bgr_uint8), and
refuses bad files from their header."""
import numpy as np
import pytest

from ps_net.apis.garment_pipeline import GarmentPipeline, as_bgr_uint8
from .conftest import REPO, png_header_only

DET = str(REPO / 'configs' / 'detector' / 'faster-rcnn_r18-narrow_fpn_1x_synthetic-128.py')
POSE = str(REPO / 'configs' / 'landmark' / 'psnet-landmark_hrnet-narrow_20e_synthetic-128.py')

BGR = np.random.default_rng(0).integers(0, 256, (20, 30, 3), np.uint8)


@pytest.mark.parametrize('array, conversion', [
    (BGR, ''),
    (BGR[:, :, 0], 'grey repeated to BGR'),
    (BGR[:, :, :1], 'grey repeated to BGR'),
    (np.concatenate([BGR, np.full((20, 30, 1), 7, np.uint8)], 2), 'alpha channel dropped'),
    (BGR.astype(np.float32) / 255, 'float in [0, 1] scaled by 255'),
    (BGR.astype(np.uint16) * 257, 'uint16 divided by 257'),
    (BGR.astype(np.int64), 'int64 cast to uint8'),
])
def test_conversions_give_the_same_8_bit_image(array, conversion):
    out, how = as_bgr_uint8(array)
    assert out.dtype == np.uint8 and out.shape == (20, 30, 3) and how == conversion
    expected = np.repeat(BGR[:, :, :1], 3, 2) if array.ndim == 2 or array.shape[2] == 1 else BGR
    np.testing.assert_array_equal(out, expected)
    bools, how = as_bgr_uint8(BGR > 127)
    assert set(np.unique(bools)) <= {0, 255} and how == 'bool as 0 / 255'


@pytest.mark.parametrize('array, words', [
    (np.zeros((0, 0, 3), np.uint8), 'empty array of shape (0, 0, 3)'),
    (np.zeros((5, 0), np.uint8), 'empty array of shape (5, 0)'),
    (np.zeros((1, 1, 3), np.uint8), 'image is 1 x 1 px'),
    (np.zeros((20, 30, 2), np.uint8), 'got shape (20, 30, 2)'),
    (np.zeros((2, 20, 30, 3), np.uint8), 'got shape (2, 20, 30, 3)'),
    (BGR.astype(np.float64), 'a float image must lie in [0, 1]'),
    (np.full((20, 30, 3), np.nan, np.float32), 'NaN or inf'),
    (BGR.astype(np.int16) - 300, 'expected [0, 255]'),
    (np.zeros((20, 30, 3), np.complex64), 'numeric image array'),
])
def test_refused_arrays_say_why(array, words):
    with pytest.raises(ValueError) as info:
        as_bgr_uint8(array)
    assert words in str(info.value)


@pytest.fixture(scope='module')
def pipeline():
    import torch
    torch.manual_seed(0)
    return GarmentPipeline(DET, None, POSE, None, score_thr=1.0)


def test_every_input_gets_a_status(pipeline, tmp_path):
    empty = pipeline(np.zeros((0, 0, 3), np.uint8))
    assert (empty.status, empty.reason) == ('unreadable',
                                            'ValueError: empty array of shape (0, 0, 3)')
    floats = pipeline(np.full((64, 64, 3), 0.5, np.float32))
    assert floats.status == 'no_garment' and floats.conversion == 'float in [0, 1] scaled by 255'
    rgba = pipeline(np.zeros((64, 64, 4), np.uint8))
    assert rgba.status == 'no_garment' and rgba.conversion == 'alpha channel dropped'
    assert pipeline(np.full((64, 64, 3), 200.0)).status == 'unreadable'
    png_header_only(tmp_path / 'huge.jpg', 12000, 12000)
    (tmp_path / 'zero.jpg').write_bytes(b'')
    for name, words in (('huge.jpg', 'over the limit'), ('zero.jpg', 'empty file (0 bytes)'),
                        ('none.jpg', 'file not found')):
        result = pipeline(str(tmp_path / name))
        assert result.status == 'unreadable' and words in result.reason, result
