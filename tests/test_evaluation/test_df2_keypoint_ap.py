"""PSNetDF2CocoMetric: DeepFashion2 OKS-AP with the official sigmas, scored per category."""
import json
import warnings
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pytest
from mmengine.structures import InstanceData

from mmpose.datasets import DeepFashion2Dataset
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.evaluation.metrics import CocoMetric
from mmpose.registry import METRICS
from mmpose.structures import PoseDataSample
from ps_net.datasets.deepfashion2 import df2_coco_categories
from ps_net.structures.df2_layout import DF2_NUM_SLOTS, df2_slot_range
from ps_net.evaluation import DF2_OKS_SIGMAS, PSNetDF2CocoMetric

SHIRT, TROUSERS = 1, 8  # short_sleeved_shirt (slots 0-24), trousers (slots 168-181)


def _annotation(ann_id: int, img_id: int, cat: int, box, rng) -> dict:
    """A DF2-style COCO annotation: landmarks in the category's slot block, zeros elsewhere."""
    x, y, w, h = box
    start, stop = df2_slot_range(cat)
    kpts = np.zeros((DF2_NUM_SLOTS, 3))
    kpts[start:stop, 0] = rng.uniform(x, x + w, stop - start).round(1)
    kpts[start:stop, 1] = rng.uniform(y, y + h, stop - start).round(1)
    kpts[start:stop, 2] = 2
    kpts[start + 1, 2] = 1  # occluded but labelled
    return dict(id=ann_id, image_id=img_id, category_id=cat, bbox=list(box), area=w * h,
                iscrowd=0, num_keypoints=stop - start, keypoints=kpts.reshape(-1).tolist(),
                segmentation=[])


@pytest.fixture
def coco(tmp_path: Path) -> dict:
    rng = np.random.default_rng(0)
    anns = [
        _annotation(1, 1, SHIRT, (20., 30., 120., 100.), rng),
        _annotation(2, 1, TROUSERS, (40., 150., 90., 140.), rng),
        _annotation(3, 2, SHIRT, (60., 10., 150., 130.), rng),
        _annotation(4, 2, TROUSERS, (10., 120., 110., 170.), rng),
    ]
    data = dict(images=[dict(id=1, file_name='1.jpg', width=300, height=320),
                        dict(id=2, file_name='2.jpg', width=280, height=300)],
                annotations=anns, categories=df2_coco_categories())
    path = tmp_path / 'df2_val.json'
    path.write_text(json.dumps(data))
    return dict(path=str(path), data=data)


def _meta(coco: dict) -> dict:
    """mmpose's DeepFashion2 metainfo (sigmas=[]) plus the COCO categories, as a dataset sets."""
    with warnings.catch_warnings():  # mmpose resolves its relative config path itself
        warnings.simplefilter('ignore', UserWarning)
        meta = parse_pose_metainfo(DeepFashion2Dataset.METAINFO)
    meta['CLASSES'] = coco['data']['categories']
    return meta


def _sample(ann: dict, shift: float = 0.0, with_category: bool = True,
            with_raw: bool = True) -> dict:
    """A top-down model output for one annotated garment, as the Evaluator passes it."""
    kpts = np.asarray(ann['keypoints'], dtype=np.float32).reshape(-1, 3)
    pred = kpts[:, :2].copy()
    x, y, w, h = ann['bbox']
    outside = kpts[:, 2] == 0
    pred[outside] = (x + w / 2, y + h / 2)  # a unified head predicts every slot
    pred[~outside] += shift
    meta = dict(id=ann['id'], img_id=ann['image_id'], ori_shape=(320, 300),
                input_center=np.array([x + w / 2, y + h / 2], dtype=np.float32),
                input_scale=np.array([w, h], dtype=np.float32) * 1.25)
    if with_category:
        meta['category_id'] = np.array(ann['category_id'])  # as BaseCocoStyleDataset sets it
    if with_raw:
        meta['raw_ann_info'] = ann
    sample = PoseDataSample(metainfo=meta)
    sample.gt_instances = InstanceData(
        bboxes=np.array([[x, y, x + w, y + h]], dtype=np.float32),
        bbox_scores=np.ones(1, dtype=np.float32),
        bbox_scales=np.array([[w, h]], dtype=np.float32) * 1.25,
        keypoints=kpts[None, :, :2], keypoints_visible=np.minimum(1, kpts[None, :, 2]))
    sample.pred_instances = InstanceData(keypoints=pred[None],
                                         keypoint_scores=np.ones((1, DF2_NUM_SLOTS)))
    return sample.to_dict()


def _run(metric: CocoMetric, coco: dict, shifts: Optional[Dict[int, float]] = None,
         **sample_kwargs) -> dict:
    metric.dataset_meta = _meta(coco)
    samples = [_sample(a, (shifts or {}).get(a['id'], 0.0), **sample_kwargs)
               for a in coco['data']['annotations']]
    metric.process([], samples[:3])
    metric.process([], samples[3:])
    return metric.evaluate(len(samples))


def _result_categories(prefix: Path) -> List[int]:
    results = json.loads(Path(f'{prefix}.keypoints.json').read_text())
    return sorted(r['category_id'] for r in results)


# ----------------------------------------------------------------------------- sigmas
def test_sigmas_official_and_replace_empty_metainfo(coco):
    assert len(DF2_OKS_SIGMAS) == DF2_NUM_SLOTS
    assert DF2_OKS_SIGMAS[:3] == (0.012, 0.0158, 0.0169) and DF2_OKS_SIGMAS[-1] == 0.0173
    meta = _meta(coco)
    assert len(meta['sigmas']) == 0  # mmpose's DeepFashion2 metainfo
    metric = PSNetDF2CocoMetric(ann_file=coco['path'])
    metric.dataset_meta = meta
    np.testing.assert_allclose(metric.dataset_meta['sigmas'], DF2_OKS_SIGMAS)
    assert len(meta['sigmas']) == 0  # the dataset's own metainfo is left alone


def test_registered():
    metric = METRICS.build(dict(type='PSNetDF2CocoMetric'))
    assert isinstance(metric, PSNetDF2CocoMetric) and metric.nms_mode == 'none'


@pytest.mark.parametrize('kwargs, match', [
    (dict(sigmas=[0.1, -1.0]), r'got \[0.1, -1.0\]'),
    (dict(sigmas=[]), r'got \[\]'),
    (dict(sigmas='abc'), "got 'abc'"),
    (dict(per_category=1), 'got 1'),
    (dict(iou_type='keypoints_crowd'), "got 'keypoints_crowd'"),
])
def test_init_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PSNetDF2CocoMetric(**kwargs)


def test_sigma_count_must_match_dataset(coco):
    metric = PSNetDF2CocoMetric(sigmas=[0.05] * 10)
    with pytest.raises(ValueError, match='10 sigmas .* num_keypoints=294'):
        metric.dataset_meta = _meta(coco)


# ----------------------------------------------------------------------------- AP
def test_perfect_predictions_ap_one_per_category(coco, tmp_path):
    prefix = tmp_path / 'perfect'
    out = _run(PSNetDF2CocoMetric(ann_file=coco['path'], outfile_prefix=str(prefix)), coco)
    assert out['coco/AP'] == pytest.approx(1.0)
    assert out['coco/AP/short_sleeved_shirt'] == pytest.approx(1.0)
    assert out['coco/AP/trousers'] == pytest.approx(1.0)
    # only the categories with ground truth are reported
    assert sorted(k for k in out if k.startswith('coco/AP/')) == [
        'coco/AP/short_sleeved_shirt', 'coco/AP/trousers']
    # the results file keeps the true categories (mmpose's default would be all 1)
    assert _result_categories(prefix) == [SHIRT, SHIRT, TROUSERS, TROUSERS]


def test_perturbed_prediction_lowers_its_category_only(coco, tmp_path):
    # shirt annotation 3: every landmark 4 px off (OKS about 0.6 with the official sigmas)
    out = _run(PSNetDF2CocoMetric(ann_file=coco['path']), coco, shifts={3: 4.0})
    assert out['coco/AP/short_sleeved_shirt'] < 0.9
    assert out['coco/AP/trousers'] == pytest.approx(1.0)
    assert out['coco/AP'] == pytest.approx(
        (out['coco/AP/short_sleeved_shirt'] + out['coco/AP/trousers']) / 2)


def test_gt_from_raw_ann_info_without_ann_file(coco, tmp_path):
    prefix = tmp_path / 'raw'
    out = _run(PSNetDF2CocoMetric(outfile_prefix=str(prefix)), coco, shifts={2: 6.0})
    assert out['coco/AP/short_sleeved_shirt'] == pytest.approx(1.0)
    assert out['coco/AP/trousers'] < 0.9
    assert _result_categories(prefix) == [SHIRT, SHIRT, TROUSERS, TROUSERS]


def test_category_from_raw_ann_info_where_mmpose_writes_one(coco, tmp_path):
    # no category_id metainfo: mmpose's CocoMetric falls back to category 1 ...
    mm_prefix = tmp_path / 'mmpose'
    mm_metric = CocoMetric(ann_file=coco['path'], outfile_prefix=str(mm_prefix),
                           nms_mode='none')
    meta = _meta(coco)
    meta['sigmas'] = np.asarray(DF2_OKS_SIGMAS)
    mm_metric.dataset_meta = meta
    mm_metric.process([], [_sample(a, with_category=False) for a in coco['data']['annotations']])
    mm_out = mm_metric.evaluate(4)
    assert _result_categories(mm_prefix) == [1, 1, 1, 1]
    assert mm_out['coco/AP'] < 1.0
    # ... this metric reads the annotation's category instead
    prefix = tmp_path / 'ours'
    out = _run(PSNetDF2CocoMetric(ann_file=coco['path'], outfile_prefix=str(prefix)), coco,
               with_category=False)
    assert out['coco/AP'] == pytest.approx(1.0)
    assert _result_categories(prefix) == [SHIRT, SHIRT, TROUSERS, TROUSERS]


def test_per_category_off(coco):
    out = _run(PSNetDF2CocoMetric(ann_file=coco['path'], per_category=False), coco)
    assert out['coco/AP'] == pytest.approx(1.0)
    assert not [k for k in out if k.startswith('coco/AP/')]


def test_unknown_or_mixed_category_raises(coco):
    metric = PSNetDF2CocoMetric(ann_file=coco['path'])
    metric.dataset_meta = _meta(coco)
    anns = coco['data']['annotations']
    with pytest.raises(ValueError, match='has no category_id'):
        metric.process([], [_sample(anns[0], with_category=False, with_raw=False)])
    mixed = _sample(anns[0], with_category=False)
    mixed['raw_ann_info'] = [anns[0], anns[1]]  # bottom-up: two garments in one sample
    with pytest.raises(ValueError, match=r'one positive integer category_id .*got \[1, 8\]'):
        metric.process([], [mixed])
