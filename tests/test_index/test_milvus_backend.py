"""The Milvus backend on milvus-lite (in process): the same eq. 1 top-K as faiss Flat on the
same features, through the same weighting and re-rank code; a saved index finds its
collections again. (A Milvus server uses the same calls; it cannot be run here.)"""
import os

import numpy as np
import pytest

from ps_net.index import DamagedIndexError, GalleryIndex, MilvusBackend
from ps_net.structures import PSNET_CATEGORIES

from .conftest import assert_matches, brute_force, make_gallery, make_weights, normalise


def _milvus_lite(folder) -> str:
    """A milvus-lite URI in ``folder``; skips (fails on CI) when milvus-lite cannot start."""
    uri = str(folder / 'milvus.db')
    try:
        from ps_net.index.backends.milvus_backend import milvus_client
        milvus_client(uri)
    except (ImportError, ConnectionError) as err:
        if os.environ.get('CI') == 'true':
            raise
        pytest.skip(f'milvus-lite cannot start here: {err}')
    return uri


@pytest.fixture(scope='module')
def uri(tmp_path_factory):
    return _milvus_lite(tmp_path_factory.mktemp('milvus'))


def _queries(g, n=30, seed=3):
    """Noisy copies of gallery garments with their own validity and categories."""
    rng = np.random.default_rng(seed)
    q = make_gallery(n, g.feats.shape[2], seed=seed)
    src = rng.choice(len(g.ids), n, replace=False)
    return normalise(g.feats[src] + 0.4 * q.feats), q.valid, q.cats


def _index(g, weights, backend):
    index = GalleryIndex.create(g.feats.shape[2], PSNET_CATEGORIES, weights, 'sha256:m',
                                backend=backend)
    index.add(g.ids, g.feats, g.valid, g.cats, g.paths, g.boxes)
    return index


def test_milvus_lite_top_k_equals_faiss_flat(uri):
    g = make_gallery(500, 8, seed=4, designs=60)
    weights = make_weights(2)
    flat = _index(g, weights, None)
    milvus = _index(g, weights, dict(type='milvus', uri=uri))
    assert milvus.backend_config['type'] == 'milvus' and milvus._template.exact
    qf, qv, qc = _queries(g)
    expected = flat.search(qf, qv, qc, topk=15)
    got = milvus.search(qf, qv, qc, topk=15)
    assert [[h.id for h in hs] for hs in got] == [[h.id for h in hs] for hs in expected]
    for a, b in zip(got, expected):
        np.testing.assert_allclose([h.score for h in a], [h.score for h in b], atol=1e-9)
        np.testing.assert_allclose(np.stack([h.region_cosines for h in a]),
                                   np.stack([h.region_cosines for h in b]), atol=1e-9)
    assert_matches(got, brute_force(g, qf, qv, qc, weights, 15))
    # every validity pattern is its own collection
    names = {sub.collection for sub in milvus._subs.values()}
    assert len(names) == len(np.unique(g.valid, axis=0))
    assert all(n.startswith('psnet_') for n in names)


def test_saved_milvus_index_reopens_its_collections(uri, tmp_path):
    g = make_gallery(300, 8, seed=5, designs=40)
    weights = make_weights(3)
    index = _index(g, weights, dict(type='milvus', uri=uri, collection_prefix='saved'))
    qf, qv, qc = _queries(g, seed=6)
    before = index.search(qf, qv, qc, topk=10)
    index.save(tmp_path / 'm.psidx')
    loaded = GalleryIndex.load(tmp_path / 'm.psidx')
    assert loaded.backend_config == index.backend_config
    assert loaded.backend_config['uri'] == os.path.abspath(uri)  # no token is stored
    assert {k: s.collection for k, s in loaded._subs.items()} == {
        k: s.collection for k, s in index._subs.items()}
    after = loaded.search(qf, qv, qc, topk=10)
    assert [[(h.id, h.score) for h in hs] for hs in after] == [
        [(h.id, h.score) for h in hs] for hs in before]

    # removing every garment of a pattern drops its collection on the server
    key = next(iter(index._subs))
    name = index._subs[key].collection
    client = index._subs[key]._client
    gone = g.ids[index._store.patterns == key]
    assert index.remove(gone) == len(gone)
    assert key not in index._subs and not client.has_collection(name)
    rest = np.isin(g.ids, gone, invert=True)
    kept = g._replace(ids=g.ids[rest], feats=g.feats[rest], valid=g.valid[rest],
                      cats=g.cats[rest], paths=[p for p, k in zip(g.paths, rest) if k],
                      boxes=g.boxes[rest])
    assert_matches(index.search(qf, qv, qc, topk=10), brute_force(kept, qf, qv, qc, weights, 10))
    # the saved file still names that collection: loading it is refused, naming the collection
    with pytest.raises(DamagedIndexError, match=f'no collection .{name}'):
        GalleryIndex.load(tmp_path / 'm.psidx')


def test_approximate_milvus_index_is_reranked_exactly(uri):
    """HNSW in milvus-lite returns a shortlist; the scores and the order are exact eq. 1."""
    g = make_gallery(800, 8, seed=7, designs=80)
    weights = make_weights(4)
    index = _index(g, weights, dict(type='milvus', uri=uri, index_type='HNSW',
                                    index_params=dict(M=16, efConstruction=128),
                                    search_params=dict(ef=256)))
    assert not index._template.exact
    qf, qv, qc = _queries(g, seed=8)
    assert_matches(index.search(qf, qv, qc, topk=10, shortlist=200),
                   brute_force(g, qf, qv, qc, weights, 10))


def test_bad_milvus_settings_are_named(uri):
    with pytest.raises(ValueError, match='must end in .db'):
        MilvusBackend(40, 'catalogue.sqlite')
    backend = MilvusBackend(40, uri)
    backend.add(np.arange(3), np.eye(3, 40, dtype=np.float32))
    with pytest.raises(ValueError, match='at most 16384 candidates'):
        backend.search(np.ones((1, 40), np.float32), 20000)
    scores, ids = backend.search(np.eye(1, 40, dtype=np.float32), 5)
    assert ids[0, 0] == 0 and set(ids[0, 1:3].tolist()) == {1, 2}
    assert ids[0, 3:].tolist() == [-1, -1]
    assert scores[0, 0] == pytest.approx(1.0) and np.isneginf(scores[0, 3:]).all()
    backend.release()
