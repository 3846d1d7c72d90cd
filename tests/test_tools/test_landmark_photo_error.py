"""tools/analysis_tools/landmark_photo_error.py: FLD error of a DeepFashion2 landmark model on
labelled photos, per-photo failures, region boxes of the predictions."""
import json

import cv2
import numpy as np
import pytest
import torch

from tests.conftest import load_tool

tool = load_tool('tools/analysis_tools/landmark_photo_error.py')
CONFIG = 'configs/landmark/psnet-landmark_efficientnet-lite0_8e_synthetic-photo-192.py'


def test_photo_errors_divide_by_box_and_crop():
    gt = np.full((8, 2), np.nan)
    gt[0] = (10., 20.)
    gt[6] = (0., 0.)
    pred = np.zeros((8, 2))
    pred[0] = (13., 24.)  # 3 px / 100 wide, 4 px / 50 high
    errs = tool.photo_errors(pred, gt, np.array([100., 50.]), np.array([200., 200.]))
    assert errs['box'][0] == pytest.approx(np.hypot(0.03, 0.08))
    assert errs['crop'][0] == pytest.approx(np.hypot(3 / 200, 4 / 200))
    assert errs['box'][6] == 0 and np.isnan(errs['box'][1:6]).all()


def test_summary_pools_points_per_class_and_landmark():
    a = np.full(8, np.nan)
    a[[0, 1]] = (0.1, 0.3)
    b = np.full(8, np.nan)
    b[0] = 0.2
    rows = [dict(box=a, crop=a / 2, **{'class': 'dress'}),
            dict(box=b, crop=b / 2, **{'class': 't-shirt'})]
    s = tool.summarise(rows)
    assert s['NE/box'] == pytest.approx(0.2) and s['points/box'] == 3
    assert s['NE/crop'] == pytest.approx(0.1)
    assert s['NE/box/class'] == pytest.approx({'dress': 0.2, 't-shirt': 0.2})
    assert s['NE/box/landmark'] == pytest.approx({'left_collar': 0.15, 'right_collar': 0.3})


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    from mmengine.config import Config
    from mmpose.apis import init_model
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.pretrained = False
    model = init_model(cfg, None, device='cpu')
    path = tmp_path_factory.mktemp('ckpt') / 'landmark.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


def _ann_file(tmp_path, names):
    rng = np.random.default_rng(0)
    images, anns = [], []
    for i, name in enumerate(names):
        if name.startswith('ok'):
            cv2.imwrite(str(tmp_path / name), rng.integers(0, 255, (120, 100, 3), np.uint8))
        kpts = [20, 10, 2, 80, 10, 2, 5, 40, 2, 95, 40, 2] + [0, 0, 0] * 2 + [25, 110, 2,
                                                                            75, 110, 1]
        images.append(dict(id=i + 1, file_name=name, width=100, height=120))
        anns.append(dict(id=i + 1, image_id=i + 1, category_id=1, bbox=[5, 5, 90, 110],
                         keypoints=kpts, num_keypoints=6, iscrowd=0, area=9900,
                         df2_category_id=1))
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(dict(images=images, annotations=anns,
                                    categories=[dict(id=1, name='garment')])))
    return str(path)


def test_scores_readable_photos_and_skips_the_rest(tmp_path, checkpoint, capsys):
    ann = _ann_file(tmp_path, ['ok1.jpg', 'missing.jpg'])
    out, pred = tmp_path / 'ne.json', tmp_path / 'pred.json'
    assert tool.main([CONFIG, checkpoint, '--ann-file', ann, '--img-root', str(tmp_path),
                      '--out', str(out), '--predictions', str(pred)]) == 0
    summary = json.loads(out.read_text())
    assert summary['photos'] == 1 and summary['points/box'] == 6
    assert 0 < summary['NE/crop'] < summary['NE/box'] < 2
    assert len(summary['skipped']) == 1 and 'missing.jpg' in summary['skipped'][0]
    assert 'missing.jpg' in capsys.readouterr().err
    ann_out = json.loads(pred.read_text())['annotations']
    assert len(ann_out) == 1 and len(ann_out[0]['keypoints']) == 24
    # a short-sleeved top has all five regions; fallback boxes are flagged, never dropped
    assert sorted(ann_out[0]['region_boxes']) == ['chest', 'collar', 'left_sleeve',
                                                  'right_sleeve', 'waist']
    assert len(ann_out[0]['region_fallback']) == 5


def test_exits_non_zero_when_no_photo_can_be_scored(tmp_path, checkpoint, capsys):
    ann = _ann_file(tmp_path, ['missing.jpg'])
    assert tool.main([CONFIG, checkpoint, '--ann-file', ann, '--img-root', str(tmp_path)]) == 1
    assert 'no photo could be scored' in capsys.readouterr().err
