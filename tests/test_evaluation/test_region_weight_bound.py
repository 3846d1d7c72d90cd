"""region_weight_bound / weight_grid / rank_confusers: the oracle of eq. 1's region weights."""
import numpy as np
import pytest
import torch

from ps_net.evaluation.functional import rank_confusers, region_weight_bound, weight_grid
from ps_net.evaluation.metrics import PSNetPlagiarismMetric
from ps_net.structures.region_similarity import region_similarity

R, D = 5, 16


def test_weight_grid_rows_are_unique_normalised_and_start_uniform():
    g = weight_grid()
    np.testing.assert_allclose(g.sum(1), 1)
    np.testing.assert_allclose(g[0], np.full(R, 0.2))
    assert len(np.unique(g.round(9), axis=0)) == len(g)
    # 4 ** 5 = 1024 level combinations, less those equal after normalisation: all-equal
    # rows, and rows whose levels all double (0.2 -> 0.4) or quadruple (0.05 -> 0.2)
    assert len(g) == 961
    assert g.min() == pytest.approx(0.05 / (0.05 + 4 * 0.8))  # one region at the floor
    for bad in ((0.0, 1.0), ()):
        with pytest.raises(ValueError, match='levels'):
            weight_grid(bad)
    with pytest.raises(ValueError, match='num_regions'):
        weight_grid(num_regions=0)


def _world(seed=0, designs_per_cat=6, changed=(3, 2)):
    """Per category c, designs whose two copies replace region ``changed[c]`` by a random
    feature; the design's hard negative is further from the original on every other region but
    equal on that one, so uniform weights rank it above the copies."""
    rng = np.random.default_rng(seed)
    unit = lambda *s: (lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True))(  # noqa: E731
        rng.normal(size=(*s, D)))
    q, g, q_cat, q_ids, g_ids, g_rel = [], [], [], [], [], []
    for c, k in enumerate(changed):
        for d in range(designs_per_cat):
            design = c * 100 + d
            orig = unit(R)
            q.append(orig), q_cat.append(c), q_ids.append(design)
            for _ in range(2):
                copy = orig + 0.3 * unit(R)
                copy[k] = unit()
                g.append(copy), g_ids.append(design), g_rel.append('plagiarized')
            neg = orig + 0.8 * unit(R)  # further from the original than the copies ...
            neg[k] = orig[k]  # ... except on the region the copies change
            g.append(neg), g_ids.append(design), g_rel.append('irrelevant')

    def norm(x):
        return torch.nn.functional.normalize(torch.as_tensor(np.stack(x)).float(), dim=-1)

    g_ids, g_rel = np.asarray(g_ids), np.asarray(g_rel)
    positives = [np.nonzero((g_ids == i) & (g_rel == 'plagiarized'))[0] for i in q_ids]
    return norm(q), q_cat, norm(g), positives, q_ids, g_ids, g_rel


def test_bound_lowers_each_categorys_changed_region_and_beats_uniform():
    q, q_cat, g, positives, *_ = _world()
    ok = lambda x: torch.ones(x.shape[:2], dtype=torch.bool)  # noqa: E731
    ignored = [[] for _ in positives]
    start = np.array([[0.1, 0.1, 0.1, 0.1, 0.6], [0.6, 0.1, 0.1, 0.1, 0.1]])
    out = region_weight_bound(q, ok(q), q_cat, g, ok(g), positives, ignored, 2, start=start)
    w = out['weights']
    np.testing.assert_allclose(w.sum(1), 1)
    # several grid rows rank every copy first; each gives the changed region less than 1/R
    assert w[0, 3] < 1 / R and w[1, 2] < 1 / R
    assert out['mAP'] == pytest.approx(100.0)
    assert out['uniform_mAP'] < 90  # uniform weights let the hard negatives in
    assert out['mAP'] >= out['start_mAP']
    assert {c: r['num_queries'] for c, r in out['per_category'].items()} == {0: 6, 1: 6}
    # the overall figures are the metric's mAP with each table, computed directly
    for table, key in ((start, 'start_mAP'), (w, 'mAP')):
        sim = region_similarity(q, ok(q), g, ok(g), torch.as_tensor(table).float()[q_cat])
        ref = PSNetPlagiarismMetric.calculate(sim.numpy(), positives, ignored, topk=(1, ))
        assert out[key] == pytest.approx(ref['mAP'])
    # categories are independent: the overall mAP is the query-weighted mean of theirs
    per = out['per_category']
    assert out['mAP'] == pytest.approx((per[0]['best'] + per[1]['best']) / 2)


def test_bound_keeps_start_row_of_a_category_without_queries_and_skips_no_positive():
    q, q_cat, g, positives, *_ = _world(designs_per_cat=2)
    ok = lambda x: torch.ones(x.shape[:2], dtype=torch.bool)  # noqa: E731
    positives = [p if c == 0 else [] for p, c in zip(positives, q_cat)]  # category 1: none
    start = np.full((3, R), 0.2)
    start[2] = [0.6, 0.1, 0.1, 0.1, 0.1]
    out = region_weight_bound(q, ok(q), q_cat, g, ok(g), positives, [[]] * len(q), 3,
                              start=start)
    assert set(out['per_category']) == {0}
    np.testing.assert_allclose(out['weights'][1:], start[1:])


def test_bound_rejects_bad_inputs():
    q, q_cat, g, positives, *_ = _world(designs_per_cat=1)
    ok = lambda x: torch.ones(x.shape[:2], dtype=torch.bool)  # noqa: E731
    ign = [[]] * len(q)
    with pytest.raises(ValueError, match=r'q_category must lie in \[0, 1\)'):
        region_weight_bound(q, ok(q), q_cat, g, ok(g), positives, ign, 1)
    with pytest.raises(ValueError, match='grid must be'):
        region_weight_bound(q, ok(q), q_cat, g, ok(g), positives, ign, 2, grid=np.ones((3, 4)))
    with pytest.raises(ValueError, match='positives must have one item per query'):
        region_weight_bound(q, ok(q), q_cat, g, ok(g), positives[:1], ign, 2)
    with pytest.raises(ValueError, match='region features must be'):
        region_weight_bound(q, ok(q), q_cat, g[:, :3], ok(g)[:, :3], positives, ign, 2)
    with pytest.raises(ValueError, match=r'start must be \(2, 5\)'):
        region_weight_bound(q, ok(q), q_cat, g, ok(g), positives, ign, 2, start=np.ones(5))
    with pytest.raises(ValueError, match=r'positives\[0\] must hold gallery positions in '
                                         rf'\[0, {len(g)}\)'):
        region_weight_bound(q, ok(q), q_cat, g, ok(g), [[len(g)]] + positives[1:], ign, 2)
    with pytest.raises(ValueError, match=r'both positive \(positives\[1\]\) and ignored'):
        region_weight_bound(q, ok(q), q_cat, g, ok(g), positives, [[], positives[1]], 2)


def test_rank_confusers_counts_what_outranks_the_last_positive():
    q, q_cat, g, positives, q_ids, g_ids, g_rel = _world()
    ok = lambda x: torch.ones(x.shape[:2], dtype=torch.bool)  # noqa: E731
    uniform = region_similarity(q, ok(q), g, ok(g), torch.full((len(q), R), 0.2)).numpy()
    out = rank_confusers(uniform, positives, [[]] * len(q), q_ids, g_ids, g_rel)
    # recount by hand
    ref = {}
    for i, pos in enumerate(positives):
        for j in range(len(g_ids)):
            if j not in pos and uniform[i, j] > uniform[i, pos].min():
                key = ('same-design ' if g_ids[j] == q_ids[i] else 'other ') + g_rel[j]
                ref[key] = ref.get(key, 0) + 1
    assert dict(out) == ref and sum(ref.values()) > 0
    # ignored entries and ties with the last positive do not count
    s = np.array([[0.5, 0.5, 0.9, 0.7]])
    rel = ['plagiarized', 'irrelevant', 'identical', 'original']
    assert dict(rank_confusers(s, [[0]], [[2]], [1], [1, 1, 1, 2], rel)) == {'other original': 1}
    with pytest.raises(ValueError, match='scores must be'):
        rank_confusers(s, [[0]], [[]], [1], [1, 1, 1], rel[:3])
