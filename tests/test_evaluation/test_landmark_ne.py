"""PSNetNormalizedError: the DeepFashion-C normalized error on hand-computed cases."""
import math

import numpy as np
import pytest
from mmengine.structures import InstanceData

from mmpose.registry import METRICS
from mmpose.structures import PoseDataSample
from ps_net.evaluation import PSNetNormalizedError

NE_34 = math.hypot(3 / 100, 4 / 50)  # (3, 4) px off in a 100 x 50 crop


def _sample(pred, gt, visible, scale, center=(0., 0.), category_id=None) -> dict:
    """A top-down model output as mmengine's Evaluator hands it to metrics (``to_dict()``)."""
    meta = dict(id=0, img_id=0, input_center=np.asarray(center, dtype=np.float32),
                input_scale=np.asarray(scale, dtype=np.float32), input_size=(224, 224))
    if category_id is not None:
        meta['category_id'] = np.array(category_id)  # as BaseCocoStyleDataset sets it
    sample = PoseDataSample(metainfo=meta)
    gt = np.asarray(gt, dtype=np.float32)[None]
    sample.gt_instances = InstanceData(
        keypoints=gt, keypoints_visible=np.asarray(visible, dtype=np.float32)[None],
        bboxes=np.array([[0, 0, 10, 10]], dtype=np.float32))
    pred = np.asarray(pred, dtype=np.float32)[None]
    sample.pred_instances = InstanceData(keypoints=pred,
                                         keypoint_scores=np.ones(pred.shape[:2]))
    return sample.to_dict()


def _evaluate(metric: PSNetNormalizedError, samples) -> dict:
    metric.process([], samples)
    return metric.evaluate(len(samples))


# ----------------------------------------------------------------------------- calculate
def test_calculate_one_point():
    ne = PSNetNormalizedError.calculate(np.array([[[13., 24.]]]), np.array([[[10., 20.]]]),
                                        np.array([[True]]), np.array([[100., 50.]]))
    assert ne == pytest.approx(NE_34)
    assert ne == pytest.approx(math.sqrt(0.03 ** 2 + 0.08 ** 2))


def test_calculate_masked_point_ignored():
    gt = np.zeros((1, 2, 2))
    mask = np.array([[True, False]])
    small = PSNetNormalizedError.calculate(np.array([[[3., 4.], [0., 0.]]]), gt, mask,
                                           np.array([[100., 50.]]))
    huge = PSNetNormalizedError.calculate(np.array([[[3., 4.], [1e6, -1e6]]]), gt, mask,
                                          np.array([[100., 50.]]))
    assert small == huge == pytest.approx(NE_34)


def test_calculate_pools_points_of_all_instances():
    # instance 0: errors 0.1 and 0.3 in a 100 x 100 crop; instance 1: error 0.2 in 10 x 10
    pred = np.array([[[10., 0.], [0., 30.]], [[2., 0.], [0., 0.]]])
    mask = np.array([[True, True], [True, False]])
    norm = np.array([[100., 100.], [10., 10.]])
    ne = PSNetNormalizedError.calculate(pred, np.zeros_like(pred), mask, norm)
    assert ne == pytest.approx((0.1 + 0.3 + 0.2) / 3)
    # per slot: slot 0 = (0.1 + 0.2) / 2, slot 1 = 0.3
    ne_kpt = PSNetNormalizedError.calculate(pred, np.zeros_like(pred), mask, norm,
                                            average='keypoint')
    assert ne_kpt == pytest.approx((0.15 + 0.3) / 2)


def test_calculate_no_labelled_point_is_nan():
    assert math.isnan(PSNetNormalizedError.calculate(
        np.zeros((1, 3, 2)), np.ones((1, 3, 2)), np.zeros((1, 3), bool), np.ones((1, 2))))


def test_calculate_unused_instance_may_have_zero_norm():
    # an instance without labelled points does not need a valid crop size
    ne = PSNetNormalizedError.calculate(np.array([[[3., 4.]], [[9., 9.]]]), np.zeros((2, 1, 2)),
                                        np.array([[True], [False]]),
                                        np.array([[100., 50.], [0., 0.]]))
    assert ne == pytest.approx(NE_34)


@pytest.mark.parametrize('kwargs, match', [
    (dict(pred=np.zeros((1, 2, 3))), 'pred must be N x K x 2'),
    (dict(gt=np.zeros((1, 3, 2))), 'gt must have the shape'),
    (dict(mask=np.ones((1, 3), bool)), 'mask must be N x K'),
    (dict(mask=np.ones((1, 2))), 'mask must be boolean'),
    (dict(norm_wh=np.ones((2, 2))), 'norm_wh must be N x 2'),
    (dict(norm_wh=np.array([[100., 0.]])), r'got \[100.0, 0.0\]'),
    (dict(norm_wh=np.array([[np.inf, 1.]])), 'finite and > 0'),
    (dict(average='median'), "got 'median'"),
])
def test_calculate_rejects_bad_input(kwargs, match):
    args = dict(pred=np.zeros((1, 2, 2)), gt=np.zeros((1, 2, 2)), mask=np.ones((1, 2), bool),
                norm_wh=np.ones((1, 2)))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        PSNetNormalizedError.calculate(**args)


@pytest.mark.parametrize('kwargs, match', [
    (dict(average='mean'), "got 'mean'"),
    (dict(per_category='yes'), "got 'yes'"),
])
def test_init_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PSNetNormalizedError(**kwargs)


# ----------------------------------------------------------------------------- process / evaluate
def test_registered_and_plain_key():
    metric = METRICS.build(dict(type='PSNetNormalizedError'))
    assert isinstance(metric, PSNetNormalizedError)
    out = _evaluate(metric, [_sample([[13., 24.]], [[10., 20.]], [1.], scale=[100., 50.],
                                     center=[10., 20.])])
    assert list(out) == ['NE']  # no prefix: save_best='NE' works
    assert out['NE'] == pytest.approx(NE_34)


def test_process_visibility_mask():
    gt = [[10., 20.], [30., 40.], [50., 60.]]
    # slot 0: (3, 4) off, v=1 (DF2 occluded-but-labelled, mmpose visible 1) -> counts
    # slot 1: exact, v=1 -> counts with error 0
    # slot 2: absent (v=0), 1000 px off -> ignored
    pred = [[13., 24.], [30., 40.], [1050., -940.]]
    out = _evaluate(PSNetNormalizedError(), [_sample(pred, gt, [1., 1., 0.], [100., 50.])])
    assert out['NE'] == pytest.approx(NE_34 / 2)
    # the same sample with slot 2 exact gives the same NE
    pred_exact = [[13., 24.], [30., 40.], [50., 60.]]
    out2 = _evaluate(PSNetNormalizedError(),
                     [_sample(pred_exact, gt, [1., 1., 0.], [100., 50.])])
    assert out2['NE'] == pytest.approx(out['NE'])
    # and once slot 2 is labelled, its error counts
    out3 = _evaluate(PSNetNormalizedError(), [_sample(pred, gt, [1., 1., 1.], [100., 50.])])
    assert out3['NE'] > 1.0


def test_process_visibility_with_weights_column():
    # keypoints_visible as (N, K, 2) (visibility, weight), which some mmpose transforms write
    sample = _sample([[13., 24.], [99., 99.]], [[10., 20.], [0., 0.]], [1., 0.], [100., 50.])
    vis = sample['gt_instances']['keypoints_visible']
    sample['gt_instances']['keypoints_visible'] = np.stack([vis, np.ones_like(vis)], axis=-1)
    out = _evaluate(PSNetNormalizedError(), [sample])
    assert out['NE'] == pytest.approx(NE_34)


def test_process_normalizes_each_sample_by_its_own_crop():
    samples = [
        _sample([[13., 24.]], [[10., 20.]], [1.], [100., 50.]),   # NE_34
        _sample([[5., 0.]], [[0., 0.]], [1.], [10., 200.]),       # 0.5
        _sample([[0., 0.], [0., 8.]], [[0., 0.], [0., 0.]], [1., 1.], [50., 80.]),  # 0, 0.1
    ]
    out = _evaluate(PSNetNormalizedError(), samples)
    assert out['NE'] == pytest.approx((NE_34 + 0.5 + 0.0 + 0.1) / 4)
    out_kpt = _evaluate(PSNetNormalizedError(average='keypoint'), samples)
    assert out_kpt['NE'] == pytest.approx(((NE_34 + 0.5 + 0.0) / 3 + 0.1) / 2)


def test_per_category_keys():
    metric = PSNetNormalizedError(per_category=True)
    metric.dataset_meta = dict(CLASSES=[dict(id=1, name='short_sleeved_shirt'),
                                        dict(id=8, name='trousers')])
    samples = [
        _sample([[13., 24.]], [[10., 20.]], [1.], [100., 50.], category_id=1),
        _sample([[5., 0.]], [[0., 0.]], [1.], [10., 200.], category_id=8),
        _sample([[0., 0.]], [[0., 0.]], [1.], [10., 200.], category_id=8),
        _sample([[0., 7.]], [[0., 0.]], [1.], [10., 10.], category_id=5),  # no name
    ]
    out = _evaluate(metric, samples)
    assert out['NE'] == pytest.approx((NE_34 + 0.5 + 0.0 + 0.7) / 4)
    assert out['NE/short_sleeved_shirt'] == pytest.approx(NE_34)
    assert out['NE/trousers'] == pytest.approx(0.25)
    assert out['NE/5'] == pytest.approx(0.7)


def test_per_category_needs_category_id():
    metric = PSNetNormalizedError(per_category=True)
    with pytest.raises(ValueError, match='category_id'):
        metric.process([], [_sample([[0., 0.]], [[0., 0.]], [1.], [10., 10.])])


def test_process_rejects_missing_fields_and_mismatched_instances():
    sample = _sample([[0., 0.]], [[0., 0.]], [1.], [10., 10.])
    del sample['input_scale']
    with pytest.raises(ValueError, match="'input_scale'"):
        PSNetNormalizedError().process([], [sample])
    sample = _sample([[0., 0.]], [[0., 0.]], [1.], [10., 10.])
    sample['pred_instances']['keypoints'] = np.zeros((2, 1, 2))  # bottom-up style output
    with pytest.raises(ValueError, match='differ in shape'):
        PSNetNormalizedError().process([], [sample])
    sample = _sample([[0., 0.]], [[0., 0.]], [1.], [0., 10.])
    with pytest.raises(ValueError, match=r'got \[0.0, 10.0\]'):
        PSNetNormalizedError().process([], [sample])
