"""GalleryIndex search with the exact (faiss Flat) backend: eq. 1 by inner product, exact top-K
with missing regions, ties, batches, edge cases and refusals."""
import numpy as np
import pytest
import torch

from ps_net.index import GalleryIndex, split_flat
from ps_net.models.heads import PSNetRegionHead
from ps_net.structures import PSNET_CATEGORIES, REGIONS, region_similarity

from .conftest import (PATTERNS, R, assert_matches, brute_force, make_gallery, make_weights,
                       normalise)


def build(g, weights=None, **kwargs) -> GalleryIndex:
    index = GalleryIndex.create(g.feats.shape[2], PSNET_CATEGORIES, weights, 'sha256:test',
                                **kwargs)
    index.add(g.ids, g.feats, g.valid, g.cats, g.paths, g.boxes)
    return index


def test_weighted_query_inner_product_is_eq1():
    """With every region on both sides, <[lambda_1 f_1..lambda_R f_R], [g_1..g_R]> = eq. 1."""
    g, q = make_gallery(50, 8, seed=2), make_gallery(6, 8, seed=3)
    weights = make_weights(4)
    full = np.ones((50, R), bool)
    for c in range(len(PSNET_CATEGORIES)):
        lam = weights[c]
        ip = (lam[None, :, None] * q.feats).reshape(6, -1) @ g.feats.reshape(50, -1).T
        eq1 = region_similarity(torch.from_numpy(q.feats), torch.ones(6, R, dtype=torch.bool),
                                torch.from_numpy(g.feats), torch.from_numpy(full),
                                torch.from_numpy(np.tile(lam, (6, 1))).float()).numpy()
        np.testing.assert_allclose(ip, eq1, atol=1e-5)
    # and the index returns these inner products as its scores
    index = build(g._replace(valid=full), weights)
    hits = index.search(q.feats, np.ones((6, R), bool), [2] * 6, topk=50)
    ip = (weights[2][None, :, None] * q.feats).reshape(6, -1) @ g.feats.reshape(50, -1).T
    for h, row in zip(hits, ip):
        np.testing.assert_allclose(sorted(row, reverse=True), [x.score for x in h], atol=1e-5)


@pytest.mark.parametrize('weight_seed', [0, 1])
@pytest.mark.parametrize('k', [1, 7, 40])
def test_exact_search_equals_brute_force_with_missing_regions(gallery, weight_seed, k):
    """Top-K ids (ties by id) and scores equal brute-force eq. 1 over the whole gallery, with
    garments and queries of several validity patterns, all categories, two lambda tables;
    duplicated garments make exact ties."""
    dup = make_gallery(20, 8, seed=1)  # the first 20 garments again under new ids
    g = gallery._replace(
        ids=np.concatenate([gallery.ids, np.arange(20) * 3 + 1]),
        feats=np.concatenate([gallery.feats, gallery.feats[:20]]),
        valid=np.concatenate([gallery.valid, gallery.valid[:20]]),
        cats=np.concatenate([gallery.cats, dup.cats]), paths=gallery.paths + dup.paths,
        boxes=np.concatenate([gallery.boxes, dup.boxes]))
    weights = make_weights(weight_seed)
    index = build(g, weights)
    assert sorted(index._subs) != [31] and len(index._subs) == len(PATTERNS)
    q = make_gallery(30, 8, seed=5)
    q_feats = np.concatenate([q.feats[:25], g.feats[:5]])  # 5 queries equal to gallery items
    q_valid = np.concatenate([q.valid[:25], g.valid[:5]])
    q_cats = np.arange(30) % len(PSNET_CATEGORIES)
    hits = index.search(q_feats, q_valid, q_cats, topk=k)
    assert_matches(hits, brute_force(g, q_feats, q_valid, q_cats, weights, k))
    assert all(len(h) == k for h in hits)


def test_renormalisation_lifts_a_garment_missing_a_region():
    """Eq. 1 renormalises lambda over the shared regions: a sleeveless garment matching the
    query on its three regions outranks a garment with all five regions and weaker sleeves,
    which a plain inner product with the query's weights would rank the other way."""
    rng = np.random.default_rng(0)
    base = normalise(rng.standard_normal((R, 16)))
    other = normalise(rng.standard_normal((R, 16)))
    full = base.copy()
    full[:2] = normalise(base[:2] + 1.2 * other[:2])  # sleeves changed
    feats = np.stack([full, base])
    valid = np.array([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]], bool)
    index = GalleryIndex.create(16, PSNET_CATEGORIES, None, 'fp')
    index.add([1, 2], feats, valid, [0, 0], ['a', 'b'], np.zeros((2, 4)))
    hits = index.search(base[None], np.ones((1, R), bool), [0], topk=2)[0]
    assert [h.id for h in hits] == [2, 1]
    assert hits[0].score == pytest.approx(1.0, abs=1e-6)
    plain = (feats * valid[..., None]).reshape(2, -1) @ (base.reshape(-1) / R)
    assert plain[0] > plain[1]


def test_ties_are_ordered_by_id():
    """Identical garments tie; they come back by ascending id, whatever the insertion order
    and K (faiss alone would return the last inserted first)."""
    g = make_gallery(30, 8, seed=3)
    feats = np.repeat(g.feats[:1], 30, 0)
    valid = np.ones((30, R), bool)
    index = build(g._replace(feats=feats, valid=valid))
    for k in (1, 5, 30):
        hits = index.search(feats[:1], valid[:1], [1], topk=k)[0]
        assert [h.id for h in hits] == sorted(g.ids.tolist())[:k]
    # a query sharing no weighted region scores 0 with every garment: smallest ids first
    none = index.search(feats[:1], np.zeros((1, R), bool), [1], topk=3)[0]
    assert [h.id for h in none] == sorted(g.ids.tolist())[:3] and none[0].score == 0.0


def test_batch_equals_single(gallery):
    index = build(gallery, make_weights(3))
    q = make_gallery(12, 8, seed=9)
    batch = index.search(q.feats, q.valid, q.cats, topk=9)
    for i in range(12):
        single = index.search(q.feats[i:i + 1], q.valid[i:i + 1], q.cats[i:i + 1], topk=9)[0]
        assert [(h.id, h.score) for h in single] == [(h.id, h.score) for h in batch[i]]


def test_hit_fields(gallery):
    index = build(gallery)
    row = 17
    hit = index.search(gallery.feats[row:row + 1], np.ones((1, R), bool), ['dress'])[0][0]
    assert hit.id == gallery.ids[row] and hit.path == gallery.paths[row]
    assert hit.box == tuple(gallery.boxes[row].tolist())
    assert hit.category == PSNET_CATEGORIES[gallery.cats[row]]
    cos = hit.region_cosines
    assert cos.shape == (R, )
    np.testing.assert_allclose(cos[gallery.valid[row]], 1.0, atol=1e-6)
    assert np.isnan(cos[~gallery.valid[row]]).all()
    d = hit.to_dict()
    assert d['id'] == hit.id and len(d['region_cosines']) == R
    assert [c is None for c in d['region_cosines']] == (~gallery.valid[row]).tolist()


def test_topk_larger_than_gallery_and_empty_gallery():
    g = make_gallery(5, 8)
    index = build(g)
    hits = index.search(g.feats, g.valid, g.cats, topk=50)
    assert [len(h) for h in hits] == [5] * 5
    assert sorted(h.id for h in hits[0]) == sorted(g.ids.tolist())
    empty = GalleryIndex.create(8, PSNET_CATEGORIES, None, 'fp')
    assert len(empty) == 0
    assert empty.search(g.feats[:3], g.valid[:3], g.cats[:3], topk=5) == [[], [], []]
    assert empty.search(g.feats[:0], g.valid[:0], g.cats[:0]) == []
    with pytest.raises(ValueError, match='topk must be >= 1'):
        index.search(g.feats[:1], g.valid[:1], g.cats[:1], topk=0)


def test_add_remove_readd(gallery):
    weights = make_weights(1)
    index = build(gallery, weights)
    gone = gallery.ids[::3]
    assert index.remove(gone) == len(gone)
    assert len(index) == len(gallery.ids) - len(gone) and gone[0] not in index
    keep = ~np.isin(gallery.ids, gone)
    rest = gallery._replace(ids=gallery.ids[keep], feats=gallery.feats[keep],
                            valid=gallery.valid[keep], cats=gallery.cats[keep],
                            paths=[p for p, k in zip(gallery.paths, keep) if k],
                            boxes=gallery.boxes[keep])
    q = gallery.feats[::3][:10]  # queries equal to removed garments
    qv, qc = gallery.valid[::3][:10], gallery.cats[::3][:10]
    hits = index.search(q, qv, qc, topk=len(gallery.ids))
    assert not {h.id for hs in hits for h in hs} & set(gone.tolist())
    assert_matches(index.search(q, qv, qc, topk=10), brute_force(rest, q, qv, qc, weights, 10))
    sel = slice(0, None, 3)
    index.add(gone, gallery.feats[sel], gallery.valid[sel], gallery.cats[sel],
              gallery.paths[sel], gallery.boxes[sel])
    assert_matches(index.search(q, qv, qc, topk=10), brute_force(gallery, q, qv, qc, weights, 10))
    assert index.search(q[:1], qv[:1], qc[:1], topk=1)[0][0].id == gone[0]


def test_add_and_remove_errors(gallery):
    index = build(gallery)
    g = make_gallery(3, 8, seed=7)
    with pytest.raises(ValueError, match=f'id {gallery.ids[5]} is already in the index'):
        index.add([gallery.ids[5], 1, 2], g.feats, g.valid, g.cats, g.paths, g.boxes)
    with pytest.raises(ValueError, match='duplicate id 4 '):
        index.add([4, 4, 5], g.feats, g.valid, g.cats, g.paths, g.boxes)
    with pytest.raises(ValueError, match="unknown category 'skirt'"):
        index.add([1, 2, 3], g.feats, g.valid, ['dress', 'skirt', 'dress'], g.paths, g.boxes)
    with pytest.raises(ValueError, match='ids must be integers'):
        index.add([1.5, 2, 3], g.feats, g.valid, g.cats, g.paths, g.boxes)
    assert len(index) == len(gallery.ids)
    with pytest.raises(KeyError, match='id 1 is not in the index .* nothing removed'):
        index.remove([gallery.ids[0], 1])
    assert gallery.ids[0] in index
    assert index.remove([gallery.ids[0], 1], missing_ok=True) == 1
    assert gallery.ids[0] not in index


def test_nan_and_zero_features_are_refused(gallery):
    index = build(gallery)
    g = make_gallery(4, 8, seed=8)
    g = g._replace(ids=g.ids + 10**6)
    bad = g.feats.copy()
    bad[2, 1, 3] = np.nan
    with pytest.raises(ValueError, match=f'gallery entry 2 \\(id {g.ids[2]}\\) has NaN or inf'):
        index.add(g.ids, bad, g.valid, g.cats, g.paths, g.boxes)
    inf = g.feats.copy()
    inf[1, 0, 0] = np.inf
    with pytest.raises(ValueError, match='query 1 has NaN or inf'):
        index.search(inf, g.valid, g.cats)
    zero = g.feats.copy()
    zero[3, 4] = 0
    with pytest.raises(ValueError, match="entry 3 .*region 'waist' is marked valid"):
        index.add(g.ids, zero, np.ones((4, R), bool), g.cats, g.paths, g.boxes)
    boxes = g.boxes.copy()
    boxes[0, 2] = np.nan
    with pytest.raises(ValueError, match='entry 0 .* NaN or inf box'):
        index.add(g.ids, g.feats, g.valid, g.cats, g.paths, boxes)
    assert len(index) == len(gallery.ids)  # nothing was added


def test_replacing_region_weights_changes_ranking_keeps_fingerprint():
    """Down-weighting the region a copy changed moves that copy up."""
    rng = np.random.default_rng(1)
    q = normalise(rng.standard_normal((R, 16)))
    copy = q.copy()
    copy[2] = normalise(rng.standard_normal(16))  # the collar changed
    near = normalise(q + 0.15 * rng.standard_normal((R, 16)))  # all regions a bit off
    index = GalleryIndex.create(16, PSNET_CATEGORIES, None, 'sha256:abc')
    index.add([1, 2], np.stack([copy, near]), np.ones((2, R), bool), [0, 0], ['c', 'n'],
              np.zeros((2, 4)))
    before = [h.id for h in index.search(q[None], np.ones((1, R), bool), [0], topk=2)[0]]
    w = index.region_weights
    w[0] = [0.24, 0.24, 0.04, 0.24, 0.24]
    index.set_region_weights(w)
    after = [h.id for h in index.search(q[None], np.ones((1, R), bool), [0], topk=2)[0]]
    assert before == [2, 1] and after == [1, 2]
    assert index.fingerprint == 'sha256:abc'
    np.testing.assert_allclose(index.region_weights, w)
    with pytest.raises(ValueError, match='region_weights must be'):
        index.set_region_weights(np.ones((3, R)))
    with pytest.raises(ValueError, match='finite and >= 0'):
        index.set_region_weights(-w)


def test_flat_layout_of_the_retriever(gallery):
    """Vectors in ``PSNetRegionHead.flatten``'s layout index and search as the split ones."""
    weights = make_weights(2)
    flat = PSNetRegionHead.flatten(torch.from_numpy(gallery.feats),
                                   torch.from_numpy(gallery.valid),
                                   torch.from_numpy(gallery.cats))
    feats, valid, cats = split_flat(flat)
    np.testing.assert_array_equal(feats, gallery.feats)
    np.testing.assert_array_equal(valid, gallery.valid)
    np.testing.assert_array_equal(cats, gallery.cats)
    index = GalleryIndex.create(8, PSNET_CATEGORIES, weights, 'fp')
    index.add_flat(gallery.ids, flat, gallery.paths, gallery.boxes)
    hits = index.search_flat(flat[:6], topk=5)
    assert_matches(hits, brute_force(gallery, gallery.feats[:6], gallery.valid[:6],
                                     gallery.cats[:6], weights, 5))
    with pytest.raises(ValueError, match='flat vectors must be'):
        split_flat(flat[:, :-2])
    assert REGIONS[0] == 'left_sleeve'
