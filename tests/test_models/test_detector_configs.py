"""Every detector config builds, has the 13 DeepFashion2 classes and runs a forward pass."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import ps_net  # noqa: F401
from ps_net.structures import DF2_CATEGORIES

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted((REPO / 'configs' / 'detector').glob('*.py'))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_detector_config_builds_and_runs(path):
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmdet'
    assert tuple(cfg.metainfo['classes']) == tuple(DF2_CATEGORIES[i]
                                                   for i in sorted(DF2_CATEGORIES))
    assert cfg.model.roi_head.bbox_head.num_classes == 13
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model).eval()
        sample = DetDataSample(metainfo=dict(img_shape=(128, 128), ori_shape=(128, 128),
                                             scale_factor=(1.0, 1.0)))
        with torch.no_grad():
            out = model(torch.rand(1, 3, 128, 128), [sample], mode='predict')
    pred = out[0].pred_instances
    assert pred.bboxes.shape[1] == 4 and (pred.labels < 13).all()
