"""PSNetGarmentCrop on Plagiarized Fashion entries: crop, moved landmarks and region boxes."""
import numpy as np
import pytest

import ps_net  # noqa: F401
from mmpretrain.registry import DATASETS, TRANSFORMS
from ps_net.datasets.transforms import crop_to_image
from ps_net.datasets.synthetic import generate_synthetic


@pytest.fixture(scope='module')
def pf_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('pf')
    generate_synthetic(str(root), seed=11, num_designs=3, img_size=96)
    return root


def test_crop_moves_landmarks_and_boxes_into_the_crop(pf_root):
    raw = DATASETS.build(dict(type='PlagiarizedFashionDataset', data_root=str(pf_root),
                              ann_file='annotations/pf_train.json',
                              pipeline=[dict(type='LoadImageFromFile')]))
    crop = TRANSFORMS.build(dict(type='PSNetGarmentCrop', input_size=(64, 64)))
    for i in range(len(raw)):
        before = raw[i]
        assert before['df2_category_id'] in range(1, 14)
        lm0 = before['landmarks'].copy()
        boxes0 = {k: v.copy() for k, v in before['region_boxes'].items()}
        out = crop(before)
        assert out['img'].shape == (64, 64, 3)
        lm = out['landmarks']
        vis = lm0[:, 2] > 0
        np.testing.assert_array_equal(lm[:, 2], lm0[:, 2])
        back = crop_to_image(lm[vis, :2], out['input_center'], out['input_scale'], (64, 64))
        np.testing.assert_allclose(back, lm0[vis, :2], atol=1e-3)
        assert ((lm[vis, :2] >= -1) & (lm[vis, :2] <= 65)).all()  # the margin keeps them in
        for name, box in out['region_boxes'].items():
            x1, y1, x2, y2 = box
            assert x2 > x1 and y2 > y1
            c = crop_to_image([[x1, y1], [x2, y2]], out['input_center'], out['input_scale'],
                              (64, 64))
            np.testing.assert_allclose(c.ravel(), boxes0[name], atol=1e-3)


def test_whole_image_without_bbox_and_bad_arguments():
    crop = TRANSFORMS.build(dict(type='PSNetGarmentCrop', input_size=(32, 48)))
    img = np.zeros((60, 40, 3), np.uint8)
    out = crop(dict(img=img, bbox=None, landmarks=None, region_boxes=None))
    assert out['img'].shape == (48, 32, 3)
    np.testing.assert_allclose(out['input_center'], [20, 30])
    with pytest.raises(ValueError, match='input_size'):
        TRANSFORMS.build(dict(type='PSNetGarmentCrop', input_size=(4, 4)))
    with pytest.raises(ValueError, match='padding'):
        TRANSFORMS.build(dict(type='PSNetGarmentCrop', padding=0.5))
