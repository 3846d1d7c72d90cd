"""The demo's top-hits picture and region-feature extraction."""
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ps_net.visualization.top_hits import (REGION_COLOURS, STATUS_COLOURS, draw_top_hits,
                                          hit_status)


def _item(colour, **extra):
    img = np.full((32, 32, 3), colour, np.uint8)
    boxes = np.array([[2, 2, 10, 10], [20, 2, 30, 10], [12, 0, 20, 6], [8, 8, 24, 20],
                      [8, 20, 24, 30]], float)
    return dict(img=img, boxes=boxes, valid=np.array([True, False, True, True, True]),
                fallback=np.array([False, False, False, True, False]), **extra)


def test_hit_status():
    assert hit_status(3, [1, 3], [0]) == 'copy'
    assert hit_status(0, [1, 3], [0]) == 'ignored'
    assert hit_status(2, [1, 3], [0]) == 'other'


def test_draw_top_hits_frames_by_status_and_draws_regions(tmp_path):
    hits = [_item(200, score=0.9, status='copy'), _item(200, score=0.5, status='other')]
    out = tmp_path / 'hits.png'
    pic = draw_top_hits(_item(200), hits, str(out), scale=2)
    assert Image.open(out).size == pic.size
    tile_w = 32 * 2 + 8
    assert pic.width == 3 * tile_w + 2 * 4
    arr = np.asarray(pic)
    # frames: query black, first hit green, second hit red (top-left frame pixel)
    assert tuple(arr[2, 2]) == STATUS_COLOURS['query']
    assert tuple(arr[2, tile_w + 4 + 2]) == STATUS_COLOURS['copy']
    assert tuple(arr[2, 2 * (tile_w + 4) + 2]) == STATUS_COLOURS['other']
    assert tuple(arr[2, 3 * tile_w + 2 * 4 - 3]) == STATUS_COLOURS['other']  # its right side
    assert tuple(arr[40, 1]) == STATUS_COLOURS['query']  # 3 px wide: columns 1-3
    assert (arr[40, 0] == 255).all() and (arr[40, 4:8] == 200).all()  # white gap, then crop
    # left-sleeve box (valid) is drawn in its colour, right-sleeve box (invalid) is not
    assert tuple(arr[2 * 2 + 4, 2 * 6 + 4]) == REGION_COLOURS[0]
    assert tuple(arr[2 * 2 + 4, 2 * 25 + 4]) == (200, 200, 200)
    # the chest box is a template fallback: dashed (gaps on its top edge), the waist solid
    chest_top = arr[2 * 8 + 4, 2 * 9 + 4:2 * 23 + 4]
    waist_bottom = arr[2 * 30 + 4, 2 * 9 + 4:2 * 23 + 4]
    assert (chest_top == REGION_COLOURS[3]).all(axis=1).mean() > 0.4
    assert (chest_top == 200).all(axis=1).sum() >= 4
    assert (waist_bottom == REGION_COLOURS[4]).all(axis=1).all()
    # a caption under every tile (text pixels in the status colour), a legend swatch below
    for i, status in enumerate(('query', 'copy', 'other')):
        caption = arr[32 * 2 + 8:32 * 2 + 24, i * (tile_w + 4):(i + 1) * (tile_w + 4) - 4]
        assert (np.abs(caption.astype(int) - STATUS_COLOURS[status]).sum(-1) < 60).any()
    assert tuple(arr[pic.height - 8, 8]) == REGION_COLOURS[0]


def test_draw_top_hits_rejects_bad_status():
    with pytest.raises(ValueError, match="status must be 'copy'"):
        draw_top_hits(_item(0), [_item(0, score=1.0, status='query')])


def test_extract_region_features_matches_the_prototype_layout():
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample

    from ps_net.apis.region_features import extract_region_features

    repo = Path(__file__).resolve().parents[2]
    cfg = Config.fromfile(str(repo / 'configs/ps_net/psnet_hrnet-narrow_20e_synthetic-128.py'))
    cfg.model.landmark_checkpoint = None
    cfg.model.prototype = torch.zeros(1, 5 * 64 + 6)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model).eval()

    class Tiny(torch.utils.data.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            g = torch.Generator().manual_seed(i)
            img = torch.randint(0, 255, (3, 128, 128), generator=g, dtype=torch.uint8)
            return dict(inputs=img, data_samples=DataSample(
                metainfo=dict(design_id=i, df2_category_id=[1, 5, 11][i])))

    out = extract_region_features(model, Tiny(), batch_size=2)
    assert out['flat'].shape == (3, 5 * 64 + 6)
    assert out['boxes'].shape == (3, 5, 4) and out['crops'].shape == (3, 128, 128, 3)
    assert out['valid'][1].tolist() == [False, False, True, True, True]  # vest: no sleeves
    data = Tiny()
    from mmengine.dataset import pseudo_collate
    batch = model.data_preprocessor(pseudo_collate([data[i] for i in range(3)]), False)
    with torch.no_grad():
        ref = model.extract_feat(batch['inputs'], batch['data_samples'])
    np.testing.assert_allclose(out['flat'], ref.numpy(), atol=1e-5)
    bgr = data[0]['inputs'].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(out['crops'][0], bgr[..., ::-1])
    with pytest.raises(ValueError, match='batch_size must be >= 1'):
        extract_region_features(model, Tiny(), batch_size=0)
