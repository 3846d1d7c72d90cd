"""Region division from landmarks, and RoIAlign region pooling."""
import numpy as np
import pytest
import torch

from ps_net.structures.df2_layout import DF2_CHAIN_COUNTS, DF2_NUM_KEYPOINTS
from ps_net.datasets.synthetic.render import render_flat, sample_design
from ps_net.datasets.synthetic.textures import PhotoBank
from ps_net.models.regions import RegionPooling, divide_regions, region_landmark_table
from ps_net.structures import REGIONS

CATEGORIES = sorted(DF2_CHAIN_COUNTS)
BANK = PhotoBank(None)


@pytest.mark.parametrize('cid', CATEGORIES)
def test_region_boxes_contain_their_landmark_groups(cid):
    """On generated garments (ground-truth groups known), every division box holds its group."""
    rng = np.random.default_rng(cid)
    for _ in range(6):
        flat = render_flat(sample_design(cid, rng, BANK, 0), 256, BANK)
        div = divide_regions(cid, flat.landmarks)
        assert not div.fallback.any()
        boxes = div.as_dict()
        assert set(boxes) == set(flat.region_boxes)  # the same regions exist
        for region, idx in flat.groups.items():
            x1, y1, x2, y2 = boxes[region]
            p = flat.landmarks[idx]
            inside = (p[:, 0] >= x1) & (p[:, 0] <= x2) & (p[:, 1] >= y1) & (p[:, 1] <= y2)
            assert inside.all(), (cid, region, np.asarray(idx)[~inside])
        # the boxes overlap the generator's own region boxes substantially
        for region, (gx1, gy1, gx2, gy2) in flat.region_boxes.items():
            x1, y1, x2, y2 = boxes[region]
            iw, ih = min(x2, gx2) - max(x1, gx1), min(y2, gy2) - max(y1, gy1)
            assert iw > 0 and ih > 0, (cid, region)


def test_table_follows_the_layout():
    t = region_landmark_table(1)
    assert t['collar'] == (0, 1, 2, 3, 4, 5)
    assert t['right_sleeve'] == (6, 7, 8, 9, 10, 11) and t['armpits'] == (11, 19)
    assert 'left_sleeve' not in region_landmark_table(5)  # vest
    assert region_landmark_table(4)['collar'][-1] == 33  # long-sleeved outwear opening top
    with pytest.raises(ValueError, match='searched'):
        region_landmark_table(8)  # trousers


def test_sleeveless_regions_are_invalid_and_order_is_fixed():
    rng = np.random.default_rng(0)
    flat = render_flat(sample_design(12, rng, BANK, 0), 128, BANK)
    div = divide_regions(12, flat.landmarks)
    assert REGIONS == ('left_sleeve', 'right_sleeve', 'collar', 'chest', 'waist')
    assert div.valid.tolist() == [False, False, True, True, True]
    assert (div.boxes[:2] == 0).all()


def test_unconfident_regions_fall_back_to_the_garment_box_and_are_flagged():
    rng = np.random.default_rng(1)
    flat = render_flat(sample_design(1, rng, BANK, 0), 128, BANK)
    scores = np.ones(DF2_NUM_KEYPOINTS[1])
    table = region_landmark_table(1)
    scores[list(table['right_sleeve'][:-1])] = 0.05  # all but the armpit (chest needs it)
    bbox = [10, 10, 110, 120]
    div = divide_regions(1, flat.landmarks, scores, bbox=bbox, score_thr=0.3)
    assert div.fallback.tolist() == [False, True, False, False, False]
    np.testing.assert_allclose(div.boxes[1], [10, 10, 38, 59.5])  # template (0, 0, .28, .45)
    all_low = divide_regions(1, flat.landmarks, np.zeros(25), bbox=bbox)
    assert all_low.fallback.all() and all_low.valid.all()
    with pytest.raises(ValueError, match='pass bbox'):
        divide_regions(1, flat.landmarks, np.zeros(25))
    with pytest.raises(ValueError, match=r'shape \(25, 2\)'):
        divide_regions(1, flat.landmarks[:20])


def test_region_feature_ignores_changes_outside_its_dilated_box():
    torch.manual_seed(0)
    pool = RegionPooling(output_size=3, spatial_scale=1 / 8)
    feat = torch.rand(1, 4, 16, 16)
    boxes = torch.tensor([[[8., 16., 40., 56.], [64., 64., 120., 120.]]])
    ref = pool(feat, boxes)
    x1, y1, x2, y2 = pool.receptive_box(boxes[0, 0])
    changed = feat.clone()
    mask = torch.ones(16, 16, dtype=torch.bool)
    mask[max(y1, 0):y2, max(x1, 0):x2] = False
    changed[..., mask] += 10.0
    out = pool(changed, boxes)
    assert torch.equal(out[0, 0], ref[0, 0])  # region 0 untouched
    assert not torch.equal(out[0, 1], ref[0, 1])  # region 1 reads the changed cells
    assert out.shape == (1, 2, 4, 3, 3)
    with pytest.raises(ValueError, match='boxes must be'):
        pool(feat, torch.zeros(2, 5, 4))
