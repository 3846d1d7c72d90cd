"""PSNetRandomLocalEdit: generic local edits change pixels only inside their rectangles."""
import numpy as np
import pytest

from ps_net.datasets.transforms import LOCAL_EDIT_OPS, PSNetRandomLocalEdit, local_edit


def _image(seed=0):
    rng = np.random.default_rng(seed)
    img = np.zeros((80, 100, 3), np.uint8)
    img[:, :50] = (200, 40, 40)
    img[:, 50:] = (30, 160, 90)
    img[20:60, 30:70] = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    return img


@pytest.mark.parametrize('op', LOCAL_EDIT_OPS)
def test_each_op_changes_only_its_box(op):
    img = _image()
    box = (10, 15, 60, 55)
    out = local_edit(img, op, box, np.random.default_rng(1))
    outside = np.ones(img.shape[:2], bool)
    outside[15:55, 10:60] = False
    assert np.array_equal(out[outside], img[outside])
    assert np.abs(out[15:55, 10:60].astype(int) - img[15:55, 10:60]).mean() > 1.0, op
    assert out.dtype == np.uint8 and out.shape == img.shape


def test_transform_records_edits_and_is_seeded():
    t = PSNetRandomLocalEdit(prob=1.0, max_edits=2, seed=3)
    a = t.transform(dict(img=_image()))
    b = PSNetRandomLocalEdit(prob=1.0, max_edits=2, seed=3).transform(dict(img=_image()))
    assert np.array_equal(a['img'], b['img']) and a['local_edits'] == b['local_edits']
    assert 1 <= len(a['local_edits']) <= 2
    for op, x1, y1, x2, y2 in a['local_edits']:
        assert op in LOCAL_EDIT_OPS and 0 <= x1 < x2 <= 100 and 0 <= y1 < y2 <= 80
        share = (x2 - x1) * (y2 - y1) / (80 * 100)
        assert 0.01 <= share <= 0.2
    untouched = PSNetRandomLocalEdit(prob=0.0).transform(dict(img=_image()))
    assert untouched['local_edits'] == [] and np.array_equal(untouched['img'], _image())


def test_bad_arguments():
    for kwargs, msg in [(dict(prob=1.5), 'prob must be in'), (dict(max_edits=0), 'max_edits'),
                        (dict(area=(0.3, 0.1)), 'area must be'),
                        (dict(ops=('patch', 'emoji')), 'ops must be')]:
        with pytest.raises(ValueError, match=msg):
            PSNetRandomLocalEdit(**kwargs)
    with pytest.raises(ValueError, match='op must be one of'):
        local_edit(_image(), 'emoji', (0, 0, 5, 5), np.random.default_rng())
