"""df2_to_fld: the 8 FLD points read off DeepFashion2 landmarks, checked on synthetic garments
whose named points (neck sides, cuffs, hem corners, waist) are known."""
import numpy as np
import pytest

from ps_net.datasets.synthetic.garments import garment_geometry, sample_shape
from ps_net.structures import (DF2_CHAIN_COUNTS, DF2_NUM_KEYPOINTS, DF2_SLEEVELESS, FLD_KEYPOINTS,
                               df2_side_chains, df2_to_fld)

CATEGORIES = sorted(DF2_CHAIN_COUNTS)  # upper body and dresses


@pytest.mark.parametrize('cid', CATEGORIES)
def test_points_are_the_garments_named_points(cid):
    rng = np.random.default_rng(cid)
    shape = sample_shape(cid, rng)
    geom = garment_geometry(shape)
    n = DF2_NUM_KEYPOINTS[cid]
    pts, scores, present = df2_to_fld(cid, geom.landmarks, np.ones(n))
    name = dict(zip(FLD_KEYPOINTS, range(8)))
    # garment units: x < 0 is the image left (the wearer's right); the garment is symmetric
    # apart from the sleeve lengths, so left / right points mirror each other in y
    rc, lc = pts[name['right_collar']], pts[name['left_collar']]
    assert rc[0] < 0 < lc[0] and lc[1] == pytest.approx(rc[1]) and rc[1] < shape.armpit_y
    assert rc[0] == pytest.approx(-lc[0])
    rh, lh = pts[name['right_hem']], pts[name['left_hem']]
    assert rh[0] == pytest.approx(-shape.hem_half) and lh[0] == pytest.approx(shape.hem_half)
    if cid in DF2_SLEEVELESS:
        assert not present[[name['left_sleeve'], name['right_sleeve']]].any()
    else:
        for side, tag in (('right_sleeve', 'il'), ('left_sleeve', 'ir')):
            cuff = np.asarray(geom.polygons[f'cuff_{tag}'])
            assert pts[name[side]] == pytest.approx(cuff[:2].mean(axis=0))
    dress = cid >= 10
    assert present[[name['left_waistline'], name['right_waistline']]].all() == dress
    if dress:  # the first side point below the armpit, near the waist seam
        for side in ('left_waistline', 'right_waistline'):
            assert shape.armpit_y < pts[name[side]][1] < shape.waist_y + 0.12
    assert (scores[present] == 1).all() and (pts[~present] == 0).all()


def test_sleeve_score_is_the_lower_of_the_cuff_points():
    il, _ = df2_side_chains(2)
    n_o = DF2_CHAIN_COUNTS[2][0]
    scores = np.ones(DF2_NUM_KEYPOINTS[2])
    scores[il[n_o + 1]] = 0.25  # the image-left cuff inner
    _, out, _ = df2_to_fld(2, np.zeros((33, 2)), scores)
    assert out[FLD_KEYPOINTS.index('right_sleeve')] == 0.25
    assert out[FLD_KEYPOINTS.index('left_sleeve')] == 1.0


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match='upper-body or dress'):
        df2_to_fld(8, np.zeros((14, 2)), np.ones(14))  # trousers
    with pytest.raises(ValueError, match=r'category 1 has 25 landmarks'):
        df2_to_fld(1, np.zeros((24, 2)), np.ones(24))
