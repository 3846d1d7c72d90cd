"""region_locality: original-to-image region distances by group, and the locality score."""
import math

import numpy as np
import pytest

from ps_net.evaluation.functional import region_locality

REL = ['original', 'identical', 'plagiarized', 'irrelevant', 'original', 'plagiarized']
IDS = [1, 1, 1, 1, 2, 2]


def _local_features():
    """Design 1: the copy changed region 2 only; the hard negative changed every region."""
    rng = np.random.default_rng(0)
    f = rng.normal(size=(6, 3, 4))
    f[1] = f[0]                      # identical re-shot: same features
    f[2] = f[0]
    f[2, 2] = f[3, 2]                # copy: region 2 like another design
    f[5] = f[4]
    f[5, 0] = -f[4, 0]               # design 2's copy changed region 0
    mod = np.zeros((6, 3), bool)
    mod[2, 2] = mod[5, 0] = True
    return f, mod


def test_perfectly_local_features_score_one():
    f, mod = _local_features()
    out = region_locality(f, np.ones((6, 3), bool), IDS, REL, mod)
    assert out['identical'] == 0 and out['unmodified'] == 0
    assert out['counts'] == dict(modified=2, unmodified=4, identical=3, irrelevant=3)
    want_mod = np.mean([np.linalg.norm(f[0, 2] - f[3, 2]), 2 * np.linalg.norm(f[4, 0])])
    assert out['modified'] == pytest.approx(want_mod)
    assert out['per_region']['modified'][1] != out['per_region']['modified'][1]  # NaN: none
    assert out['locality'] == pytest.approx(want_mod / out['irrelevant'])


def test_global_features_score_zero_and_missing_regions_are_skipped():
    f, mod = _local_features()
    g = np.repeat(f.mean(1, keepdims=True), 3, 1)  # every region the same global vector
    g[2] = g[3] * 0.5 + g[0] * 0.5
    valid = np.ones((6, 3), bool)
    valid[2, 1] = False
    out = region_locality(g, valid, IDS, REL, mod)
    assert out['counts']['unmodified'] == 3  # the copy's missing region 1 is skipped
    # design 1's copy is equally far on its modified and unmodified regions
    assert out['per_region']['modified'][2] == pytest.approx(out['per_region']['unmodified'][0])


def test_bad_shapes_are_rejected():
    f, mod = _local_features()
    with pytest.raises(ValueError, match='expected feats'):
        region_locality(f, np.ones((6, 2), bool), IDS, REL, mod)
    with pytest.raises(ValueError, match='lengths 5'):
        region_locality(f, np.ones((6, 3), bool), IDS[:5], REL, mod)
    out = region_locality(f[:1], np.ones((1, 3), bool), [1], ['original'], mod[:1])
    assert math.isnan(out['modified']) and math.isnan(out['locality'])
