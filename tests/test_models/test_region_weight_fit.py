"""ps_net.models.losses.region_weight_fit: triplet distances, one cycle, the schedule."""
import math

import pytest
import torch

import ps_net.models.losses.region_weight_fit as fit_module
from ps_net.models.losses import (coordinate_ascent_step, fit_region_weights,
                                  plagiarism_loss, plagiarism_triplet_distances,
                                  plagiarism_triplets, region_weight_cycle)
from ps_net.models.losses.region_weight_fit import (DEFAULT_STEPS, as_triplets, check_steps,
                                                    region_weight_table, step_at)
from ps_net.structures import region_similarity
from tests.test_engine.test_region_weight_hook import make_batch


def triplets(seed, t=24, cats=(0, 2)):
    """Hand-made distances: plagiarised copies differ most on the chest (region 3)."""
    batch = make_batch(seed, t, cats)
    return batch['d_ap'], batch['d_an'], batch['category_index'], batch['valid']


def uniform(c=4):
    return torch.full((c, 5), 0.2)


def pla(d_ap, d_an, idx, valid, c, w):
    sel = idx == c
    return float(plagiarism_loss(d_ap[sel].double(), d_an[sel].double(), w.double(), 0.2,
                                 valid[sel]))


def test_step_schedule():
    assert DEFAULT_STEPS == ((0, 0.1), (40, 0.05), (60, 0.01))
    assert [step_at(DEFAULT_STEPS, e) for e in (0, 39, 40, 59, 60, 500)] == \
        [0.1, 0.1, 0.05, 0.05, 0.01, 0.01]
    assert check_steps([[0, 0.2], [3, 0.02]]) == ((0, 0.2), (3, 0.02))
    for bad, text in ((((1, 0.1),), 'start at 0'), (((0, 0.1), (0, 0.05)), 'increase'),
                      (((0, 1.5),), '1.5'), (((0, 0.1), (2.5, 0.1)), '2.5'), (5, 'pairs')):
        with pytest.raises(ValueError, match=text):
            check_steps(bad)


def test_cycle_is_one_coordinate_ascent_step_per_present_category():
    d_ap, d_an, idx, valid = triplets(0)
    start = uniform()
    start[2] = torch.tensor([0.3, 0.1, 0.2, 0.2, 0.2])
    before = start.clone()
    new, moves = region_weight_cycle(start, d_ap, d_an, idx, valid, 0.1, 0.05, 0.2)
    assert torch.equal(start, before)  # pure
    assert new.dtype == torch.float32 and sorted(moves) == [0, 2]
    for c in (0, 2):
        expected, expected_moves = coordinate_ascent_step(
            lambda w: pla(d_ap, d_an, idx, valid, c, w), before[c].double(), 0.1, 0.05)
        assert torch.equal(new[c], expected.float())
        assert [m.region for m in moves[c]] == [m.region for m in expected_moves]
        assert pla(d_ap, d_an, idx, valid, c, new[c]) < pla(d_ap, d_an, idx, valid, c, before[c])
    for c in (1, 3):  # absent categories are untouched
        assert torch.equal(new[c], before[c])
    # float64 weights stay float64; no triplet: unchanged
    new64, _ = region_weight_cycle(before.double(), d_ap, d_an, idx, valid, 0.1)
    torch.testing.assert_close(new64, new.double(), atol=1e-7, rtol=0)
    assert new64.dtype == torch.float64
    empty, moves = region_weight_cycle(before, d_ap[:0], d_an[:0], idx[:0], valid[:0], 0.1)
    assert torch.equal(empty, before) and moves == {}


def test_as_triplets_checks_shapes_and_categories():
    d_ap, d_an, idx, valid = triplets(0, t=6)
    out_idx, out_ap, out_an, out_valid = as_triplets(d_ap, d_an, idx, None, 4)
    assert out_ap.dtype == out_an.dtype == torch.float64 and out_valid.all()
    assert torch.equal(out_idx, idx) and out_valid.shape == (6, 5)
    with pytest.raises(ValueError, match=r"'d_an' must have shape .*\(6, 4\)"):
        as_triplets(d_ap, d_an[:, :4], idx, valid, 4)
    with pytest.raises(ValueError, match=r"'valid'"):
        as_triplets(d_ap, d_an, idx, valid[:5], 4)
    with pytest.raises(ValueError, match=r"category_index' must lie in \[0, 2\)"):
        as_triplets(d_ap, d_an, idx, valid, 2)


def test_fit_chains_cycles_over_consecutive_batches_in_order():
    d_ap, d_an, idx, valid = triplets(1, t=20, cats=(0, 1, 3))
    steps = ((0, 0.1), (1, 0.05), (2, 0.01))
    got = fit_region_weights(d_ap, d_an, idx, valid, weights=uniform(), epochs=3, batch=6,
                             steps=steps)
    w = uniform()
    for epoch in range(3):
        for s in range(0, 20, 6):  # batches of 6, 6, 6 and 2
            w, _ = region_weight_cycle(w, d_ap[s:s + 6], d_an[s:s + 6], idx[s:s + 6],
                                       valid[s:s + 6], step_at(steps, epoch))
    assert torch.equal(got, w) and got.dtype == torch.float32
    assert not torch.equal(got, uniform())
    torch.testing.assert_close(got.sum(1), torch.ones(4))
    assert got.min() >= 0.05 - 1e-6
    assert torch.equal(got[2], torch.full((5,), 0.2))  # no triplet of category 2
    # num_categories instead of weights: the uniform float32 start of a fresh retriever
    assert torch.equal(fit_region_weights(d_ap, d_an, idx, valid, num_categories=4, epochs=3,
                                          batch=6, steps=steps), got)


def test_fit_shuffles_with_the_generator_each_epoch():
    d_ap, d_an, idx, valid = triplets(2, t=12, cats=(0, 1))
    got = fit_region_weights(d_ap, d_an, idx, valid, weights=uniform(), epochs=2, batch=4,
                             generator=torch.Generator().manual_seed(7))
    gen = torch.Generator().manual_seed(7)
    w = uniform()
    for epoch in range(2):
        order = torch.randperm(12, generator=gen)
        for s in range(0, 12, 4):
            b = order[s:s + 4]
            w, _ = region_weight_cycle(w, d_ap[b], d_an[b], idx[b], valid[b], 0.1)
    assert torch.equal(got, w)
    again = fit_region_weights(d_ap, d_an, idx, valid, weights=uniform(), epochs=2, batch=4,
                               generator=torch.Generator().manual_seed(7))
    assert torch.equal(again, got)  # a seed gives one result
    fixed = fit_region_weights(d_ap, d_an, idx, valid, weights=uniform(), epochs=2, batch=4)
    assert not torch.equal(fixed, got)  # the order matters


def test_fit_uses_the_step_of_each_epoch(monkeypatch):
    used = []

    def spy(weights, d_ap, d_an, category_index, valid, step, *args):
        used.append(step)
        return weights, {}

    monkeypatch.setattr(fit_module, 'region_weight_cycle', spy)
    d_ap, d_an, idx, valid = triplets(0, t=4)
    fit_region_weights(d_ap, d_an, idx, valid, num_categories=4, epochs=5, batch=2,
                       steps=((0, 0.1), (2, 0.05), (4, 0.01)))
    assert used == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.01, 0.01]
    used.clear()
    fit_region_weights(d_ap, d_an, idx, valid, num_categories=4, epochs=2)  # batch None: all
    assert used == [0.1, 0.1]


def test_full_batch_drives_a_row_to_its_vertex():
    """L_pla is linear in a row: on one fixed batch the row ends on the floor everywhere but
    the region of smallest H_r = sum_n alpha_n max(D_r(I, I+) - D_r(I, I-) + m, 0)."""
    gen = torch.Generator().manual_seed(3)
    d_ap = 0.3 + 0.1 * torch.rand(16, 5, generator=gen)
    d_ap[:, 2] = 0.05  # the collar barely changes on copies: smallest hinge
    d_an = 0.3 + 0.1 * torch.rand(16, 5, generator=gen)
    idx = torch.zeros(16, dtype=torch.long)
    w = fit_region_weights(d_ap, d_an, idx, num_categories=1, epochs=60, batch=None,
                           steps=((0, 0.1), ))
    vertex = torch.full((5,), 0.05)
    vertex[2] = 0.8
    torch.testing.assert_close(w[0], vertex, atol=1e-6, rtol=0)


def test_fit_edge_cases_and_errors():
    d_ap, d_an, idx, valid = triplets(0, t=4)
    start = uniform()
    start[0] = torch.tensor([0.4, 0.15, 0.15, 0.15, 0.15])
    assert torch.equal(fit_region_weights(d_ap, d_an, idx, valid, weights=start, epochs=0),
                       start)
    assert torch.equal(fit_region_weights(d_ap[:0], d_an[:0], idx[:0], valid[:0],
                                          weights=start), start)
    for kwargs, text in ((dict(epochs=-1), 'epochs'), (dict(epochs=1.5), 'epochs'),
                         (dict(batch=0), 'batch'), (dict(floor=0.3), 'floor'),
                         (dict(margin=math.inf), 'margin'), (dict(steps=((1, 0.1), )), 'start')):
        with pytest.raises(ValueError, match=text):
            fit_region_weights(d_ap, d_an, idx, valid, num_categories=4, **kwargs)
    with pytest.raises(ValueError, match='num_categories'):
        fit_region_weights(d_ap, d_an, idx, valid)
    with pytest.raises(ValueError, match='category_index'):
        fit_region_weights(d_ap, d_an, idx, valid, num_categories=2)
    bad = uniform()
    bad[1] = 0.5
    with pytest.raises(ValueError, match='row 1'):
        fit_region_weights(d_ap, d_an, idx, valid, weights=bad)


def test_plagiarism_triplet_distances():
    gen = torch.Generator().manual_seed(0)
    feats = torch.nn.functional.normalize(torch.randn(7, 5, 3, generator=gen), dim=-1)
    valid = torch.rand(7, 5, generator=gen) > 0.2
    ids = [1, 1, 1, 2, 2, 3, 4]
    rel = ['original', 'plagiarized', 'plagiarized', 'original', 'plagiarized', 'original',
           'identical']
    cats = [0, 0, 1, 0, 0, 1, 0]
    out = plagiarism_triplet_distances(feats, valid, cats, ids, rel)
    a, p, n = plagiarism_triplets(ids, rel, cats)
    assert len(a) == out['d_ap'].shape[0] > 0
    assert out['category_index'].tolist() == [cats[i] for i in a]
    torch.testing.assert_close(out['d_ap'], (feats[a] - feats[p]).norm(dim=-1))
    torch.testing.assert_close(out['d_an'], (feats[a] - feats[n]).norm(dim=-1))
    assert torch.equal(out['valid'], valid[a] & valid[p] & valid[n])
    small = plagiarism_triplet_distances(feats, valid, cats, ids, rel, chunk=2)
    assert all(torch.equal(small[k], out[k]) for k in out)  # chunking changes nothing
    none = plagiarism_triplet_distances(feats, valid, cats, ids, ['original'] * 7)
    assert none['d_ap'].shape == (0, 5) and none['valid'].dtype == torch.bool


def test_plagiarism_triplet_distances_keeps_k_negatives_per_pair():
    gen = torch.Generator().manual_seed(1)
    feats = torch.nn.functional.normalize(torch.randn(9, 5, 3, generator=gen), dim=-1)
    valid = torch.ones(9, 5, dtype=torch.bool)
    ids = [1, 1, 1, 2, 2, 3, 4, 5, 6]
    rel = ['original', 'plagiarized', 'plagiarized', 'original', 'plagiarized'] + \
        ['original'] * 4
    cats = [0] * 9
    full = plagiarism_triplet_distances(feats, valid, cats, ids, rel)
    assert full['d_ap'].shape[0] == 6 + 6 + 7  # (original, copy) pairs: 6, 6, 7 negatives
    some = plagiarism_triplet_distances(feats, valid, cats, ids, rel, negatives=2,
                                        generator=torch.Generator().manual_seed(0))
    assert some['d_ap'].shape[0] == 3 * 2
    full_rows = torch.cat([full['d_ap'], full['d_an']], 1).tolist()
    picked = [full_rows.index(row) for row in torch.cat([some['d_ap'], some['d_an']], 1).tolist()]
    assert picked == sorted(picked)  # a subset, in the miner's order
    assert [(i >= 6) + (i >= 12) for i in picked] == [0, 0, 1, 1, 2, 2]  # two of each pair
    again = plagiarism_triplet_distances(feats, valid, cats, ids, rel, negatives=2,
                                         generator=torch.Generator().manual_seed(0))
    assert torch.equal(again['d_an'], some['d_an'])
    many = plagiarism_triplet_distances(feats, valid, cats, ids, rel, negatives=100)
    assert all(torch.equal(many[k], full[k]) for k in full)  # K above the count: all
    with pytest.raises(ValueError, match='negatives'):
        plagiarism_triplet_distances(feats, valid, cats, ids, rel, negatives=0)


def test_region_weight_table():
    w = torch.tensor([[0.5, 0.5], [0.25, 0.75]])
    table = region_weight_table(w, ['a', 'b'], ['x', 'y'], epoch=3)
    assert table == dict(regions=['x', 'y'], categories=['a', 'b'],
                         weights=dict(a=dict(x=0.5, y=0.5), b=dict(x=0.25, y=0.75)), epoch=3)
    with pytest.raises(ValueError, match='3 categories'):
        region_weight_table(w, ['a', 'b', 'c'], ['x', 'y'])


def test_down_weighting_the_modified_region_moves_the_copy_up():
    """Weights fitted on copies that change the chest rank such a copy above a distractor
    that uniform weights put first (eq. 1 with the query's category row)."""
    d_ap, d_an, idx, _ = triplets(4, t=32, cats=(0, ))
    w = fit_region_weights(d_ap, d_an, idx, num_categories=1, epochs=4, batch=8)
    assert w[0, 3] == pytest.approx(0.05) and int(w[0].argmin()) == 3

    def unit(cos):  # a 2-d feature at cosine ``cos`` to (1, 0)
        return [cos, math.sqrt(1 - cos ** 2)]

    query = torch.tensor([[unit(1.0)] * 5])
    copy = torch.tensor([[unit(1.0)] * 3 + [unit(-0.5)] + [unit(1.0)]])  # chest changed
    distractor = torch.tensor([[unit(0.85)] * 5])  # another design, alike everywhere
    gallery = torch.cat([copy, distractor])
    ones = torch.ones(1, 5, dtype=torch.bool)
    before = region_similarity(query, ones, gallery, ones.repeat(2, 1), uniform(1))
    after = region_similarity(query, ones, gallery, ones.repeat(2, 1), w[:1])
    assert before[0].argsort(descending=True).tolist() == [1, 0]  # the distractor first
    assert after[0].argsort(descending=True).tolist() == [0, 1]  # the copy first
