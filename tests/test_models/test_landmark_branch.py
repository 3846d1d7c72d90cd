"""The PS-Net landmark branch: neck, head shapes, targets, loss masking, flips, configs."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData, PixelData

import ps_net  # noqa: F401  (registers the components)
from mmpose.registry import DATASETS, KEYPOINT_CODECS, MODELS
from mmpose.structures import PoseDataSample
from mmpose.utils import register_all_modules
from ps_net.structures.df2_layout import df2_flip_indices, df2_slot_range

REPO = Path(__file__).resolve().parents[2]
LANDMARK_CONFIGS = sorted((REPO / 'configs' / 'landmark').glob('*.py'))



@pytest.fixture(autouse=True)
def _mmpose_scope():
    """These tests build mmpose components by unprefixed names."""
    register_all_modules(init_default_scope=True)


def _head(**kw):
    cfg = dict(type='PSNetLandmarkHead', in_channels=16, out_channels=6, reduce_channels=8,
               deconv_out_channels=(8, ), deconv_kernel_sizes=(4, ),
               loss=dict(type='KeypointMSELoss', use_target_weight=True),
               decoder=dict(type='MSRAHeatmap', input_size=(64, 64), heatmap_size=(16, 16),
                            sigma=1))
    cfg.update(kw)
    return MODELS.build(cfg)


@pytest.mark.parametrize('size,deconvs,out', [(128, 1, 32), (224, 3, 224), (96, 2, 48)])
def test_neck_and_head_shapes(size, deconvs, out):
    """F sits at stride 8; each deconv doubles it (3 deconvs: heatmaps at the input scale)."""
    neck = MODELS.build(dict(type='PSNetFeatureNeck', in_channels=(8, 16, 32, 64),
                             out_channels=24))
    feats = [torch.rand(2, c, size // 4 // 2**i, size // 4 // 2**i)
             for i, c in enumerate((8, 16, 32, 64))]
    f = neck(feats)
    assert f[0].shape == (2, 24, size // 8, size // 8)
    head = _head(in_channels=24, out_channels=294, deconv_out_channels=(8, ) * deconvs,
                 deconv_kernel_sizes=(4, ) * deconvs)
    assert head(f).shape == (2, 294, out, out)
    assert head.reduce.conv.kernel_size == (1, 1) and head.reduce.conv.out_channels == 8


def test_bad_arguments_are_echoed():
    with pytest.raises(ValueError, match="out_index must index"):
        MODELS.build(dict(type='PSNetFeatureNeck', in_channels=(8, 16), out_channels=4,
                          out_index=2))
    with pytest.raises(ValueError, match='in_channels must be an int'):
        _head(in_channels=(16, ))


def test_gaussian_target_peaks_at_the_landmark_with_sigma_one():
    codec = KEYPOINT_CODECS.build(dict(type='MSRAHeatmap', input_size=(128, 128),
                                       heatmap_size=(32, 32), sigma=1))
    kpts = np.array([[[40.0, 88.0], [8.0, 100.0]]])
    enc = codec.encode(kpts, np.ones((1, 2)))
    hm = enc['heatmaps']
    for k, (x, y) in enumerate(kpts[0] / 4):
        r, c = np.unravel_index(hm[k].argmax(), hm[k].shape)
        assert (c, r) == (x, y) and hm[k].max() == pytest.approx(1.0)
        assert hm[k][r, c + 1] == pytest.approx(np.exp(-0.5), rel=1e-5)  # sigma = 1 pixel


def _samples(heatmaps, weights):
    out = []
    for hm, w in zip(heatmaps, weights):
        s = PoseDataSample()
        s.gt_instance_labels = InstanceData(keypoint_weights=torch.as_tensor(w)[None].float())
        s.gt_fields = PixelData(heatmaps=torch.as_tensor(hm).float())
        s.gt_instances = InstanceData()
        out.append(s)
    return out


def test_loss_is_zero_when_perfect_and_ignores_only_absent_points():
    torch.manual_seed(0)
    head = _head().eval()
    feats = (torch.rand(2, 16, 8, 8), )
    with torch.no_grad():
        pred = head(feats)
    target = pred.clone()
    weights = np.ones((2, 6))
    loss = head.loss(feats, _samples(target, weights))
    assert loss['loss_kpt'].item() == pytest.approx(0.0, abs=1e-12)
    # an absent point (weight 0: v = 0 or a slot outside the category) may be anything
    wrong_absent = target.clone()
    wrong_absent[0, 3] += 5.0
    weights_absent = weights.copy()
    weights_absent[0, 3] = 0
    assert head.loss(feats, _samples(wrong_absent, weights_absent))['loss_kpt'].item() \
        == pytest.approx(0.0, abs=1e-12)
    # an occluded but labelled point (v = 1 -> weight 1) is trained
    assert head.loss(feats, _samples(wrong_absent, weights))['loss_kpt'].item() > 0.1


def test_occluded_points_get_weight_one_and_absent_zero_from_the_data():
    """mmpose's COCO loader turns v = 1 and v = 2 into visibility 1, v = 0 into 0; the codec
    makes those the keypoint weights."""
    codec = KEYPOINT_CODECS.build(dict(type='MSRAHeatmap', input_size=(64, 64),
                                       heatmap_size=(16, 16), sigma=1))
    raw_v = np.array([2, 1, 0])
    visible = np.minimum(1, raw_v)[None].astype(np.float32)
    enc = codec.encode(np.array([[[10., 10.], [20., 30.], [0., 0.]]]), visible)
    np.testing.assert_array_equal(enc['keypoint_weights'], [[1, 1, 0]])


def test_dataset_flip_table_is_the_two_sided_one():
    cls = DATASETS.get('PSNetDeepFashion2Dataset')
    meta = cls._load_metainfo(dict(cls.METAINFO))
    flip = list(meta['flip_indices'])
    assert flip == df2_flip_indices()
    assert all(flip[flip[i]] == i for i in range(294))
    start, stop = df2_slot_range(5)  # vest: keypoints 9 and 13 swap
    assert flip[start + 12] == start + 8


@pytest.mark.parametrize('path', LANDMARK_CONFIGS, ids=lambda p: p.name)
def test_every_landmark_config_builds_and_runs_a_forward_pass(path):
    cfg = Config.fromfile(str(path))
    model = MODELS.build(cfg.model).eval()
    w, h = cfg.codec['input_size']
    with torch.no_grad():
        heatmaps = model(torch.rand(1, 3, h, w), None, mode='tensor')
    hw, hh = cfg.codec['heatmap_size']
    assert heatmaps.shape == (1, cfg.model.head.out_channels, hh, hw)
    ds_types = {cfg[f'{s}_dataloader'].dataset.type for s in ('train', 'val', 'test')}
    assert all(DATASETS.get(t) is not None for t in ds_types)
