"""Approximate faiss indexes (IVF-PQ, HNSW): a shortlist per validity pattern re-ranked by the
exact vectors gives the brute-force eq. 1 top-K, scores exact."""
import numpy as np
import pytest

from ps_net.index import GalleryIndex
from ps_net.structures import PSNET_CATEGORIES

from .conftest import assert_matches, brute_force, make_gallery, make_weights, normalise

#: ``np``: no polysemous training (faiss's default for IVF-PQ, slow and unused by the search).
APPROXIMATE = [('IVF16,PQ20x4np', 'nprobe=16', 400), ('HNSW16', 'efSearch=256', 256)]


@pytest.fixture(scope='module')
def catalogue():
    """3,000 garments in 300 designs (clusters), D = 16, five validity patterns."""
    return make_gallery(3000, 16, seed=11, designs=300)


def queries(g, n=40, seed=12):
    """Noisy copies of gallery garments (their design is findable) with their own validity."""
    rng = np.random.default_rng(seed)
    src = rng.choice(len(g.ids), n, replace=False)
    q = make_gallery(n, 16, seed=seed)
    return normalise(g.feats[src] + 0.3 * q.feats), q.valid, q.cats


def build(g, factory, params, weights):
    index = GalleryIndex.create(16, PSNET_CATEGORIES, weights, 'fp', factory,
                                search_params=params)
    if index.needs_training:
        with pytest.raises(RuntimeError, match='needs training'):
            index.add(g.ids[:2], g.feats[:2], g.valid[:2], g.cats[:2], g.paths[:2], g.boxes[:2])
        index.train(g.feats, g.valid)
    index.add(g.ids, g.feats, g.valid, g.cats, g.paths, g.boxes)
    return index


@pytest.mark.parametrize('factory,params,shortlist', APPROXIMATE)
def test_shortlist_rerank_equals_brute_force(catalogue, factory, params, shortlist):
    weights = make_weights(5)
    index = build(catalogue, factory, params, weights)
    assert not index._template.exact
    qf, qv, qc = queries(catalogue)
    hits = index.search(qf, qv, qc, topk=10, shortlist=shortlist)
    assert_matches(hits, brute_force(catalogue, qf, qv, qc, weights, 10))
    # batch = single on an approximate backend too
    single = index.search(qf[3:4], qv[3:4], qc[3:4], topk=10, shortlist=shortlist)[0]
    assert [(h.id, h.score) for h in single] == [(h.id, h.score) for h in hits[3]]
    with pytest.raises(ValueError, match='train the index before adding'):
        index.train(catalogue.feats, catalogue.valid)


@pytest.mark.parametrize('factory,params,shortlist', APPROXIMATE)
def test_remove_from_approximate_index(catalogue, factory, params, shortlist):
    """IVF-PQ removes natively; HNSW cannot, so the pattern's graph is rebuilt: either way
    removed garments never come back and the rest is still the brute-force top-K."""
    g = make_gallery(1200, 16, seed=13, designs=120)
    weights = make_weights(6)
    index = build(g, factory, params, weights)
    gone = g.ids[:400]
    index.remove(gone)
    keep = slice(400, None)
    rest = g._replace(ids=g.ids[keep], feats=g.feats[keep], valid=g.valid[keep],
                      cats=g.cats[keep], paths=g.paths[keep], boxes=g.boxes[keep])
    qf, qv, qc = g.feats[:20], g.valid[:20], g.cats[:20]  # the removed garments themselves
    hits = index.search(qf, qv, qc, topk=10, shortlist=shortlist)
    assert not {h.id for hs in hits for h in hs} & set(gone.tolist())
    assert_matches(hits, brute_force(rest, qf, qv, qc, weights, 10))
    index.add(gone, g.feats[:400], g.valid[:400], g.cats[:400], g.paths[:400], g.boxes[:400])
    assert_matches(index.search(qf, qv, qc, topk=10, shortlist=shortlist),
                   brute_force(g, qf, qv, qc, weights, 10))


def test_float16_exact_vectors(catalogue):
    """Exact vectors kept as float16: the same best hits, scores within float16 rounding."""
    weights = make_weights(7)
    index = GalleryIndex.create(16, PSNET_CATEGORIES, weights, 'fp', 'HNSW16',
                                search_params='efSearch=128', exact_dtype='float16')
    index.add(catalogue.ids, catalogue.feats, catalogue.valid, catalogue.cats, catalogue.paths,
              catalogue.boxes)
    assert index._store.feats.dtype == np.float16
    qf, qv, qc = queries(catalogue)
    hits = index.search(qf, qv, qc, topk=3, shortlist=100)
    expected = brute_force(catalogue, qf, qv, qc, weights, 3)
    assert [h[0].id for h in hits] == [ids[0] for ids, _ in expected]
    np.testing.assert_allclose([h[0].score for h in hits], [s[0] for _, s in expected],
                               atol=2e-3)
