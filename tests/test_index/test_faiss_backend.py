"""FaissBackend: factory strings, ids, exactness flag, removal, search padding, GPU wiring."""
import faiss
import numpy as np
import pytest

from ps_net.index import BackendCannotRemove, FaissBackend
from ps_net.index.backends import build_backend


def vectors(n=300, d=12, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize('factory,exact,trains', [('Flat', True, False),
                                                  ('IDMap,Flat', True, False),
                                                  ('HNSW8', False, False),
                                                  ('IVF4,Flat', False, True)])
def test_factory_ids_and_exactness(factory, exact, trains):
    x, ids = vectors(), np.arange(300, dtype=np.int64) * 11 + 5
    backend = FaissBackend(12, factory, 'nprobe=4' if 'IVF' in factory else '')
    assert backend.exact is exact and backend.needs_training is trains
    if trains:
        backend.train(x)
    backend.add(ids, x)
    scores, found = backend.search(x[:3], 1)
    assert found[:, 0].tolist() == ids[:3].tolist()  # every vector is its own best match
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)
    assert len(backend) == 300 and backend.config()['factory'] == factory


def test_search_pads_and_empty():
    backend = FaissBackend(4)
    scores, ids = backend.search(np.ones((2, 4), np.float32), 3)
    assert ids.tolist() == [[-1] * 3] * 2 and np.isneginf(scores).all()
    backend.add(np.array([7]), np.eye(4, dtype=np.float32)[:1])
    scores, ids = backend.search(np.eye(4, dtype=np.float32)[:1], 3)
    assert ids.tolist() == [[7, -1, -1]] and np.isneginf(scores[0, 1:]).all()


def test_remove_and_hnsw_refusal():
    x, ids = vectors(50), np.arange(50, dtype=np.int64)
    flat = FaissBackend(12)
    flat.add(ids, x)
    flat.remove(ids[:10])
    assert len(flat) == 40 and flat.search(x[:1], 1)[1][0, 0] != 0
    hnsw = FaissBackend(12, 'HNSW8')
    hnsw.add(ids, x)
    with pytest.raises(BackendCannotRemove, match="'HNSW8' cannot remove"):
        hnsw.remove(ids[:2])
    assert len(hnsw) == 50


def test_bad_factory_and_backend_type():
    with pytest.raises(ValueError, match="faiss cannot build index 'Nonsense12'"):
        FaissBackend(12, 'Nonsense12')
    with pytest.raises(ValueError, match="unknown vector backend 'annoy'; known: "
                       r"\['faiss', 'milvus'\]"):
        build_backend(12, dict(type='annoy'))
    with pytest.raises(ValueError, match="bad milvus backend config .*'uri'"):
        build_backend(12, dict(type='milvus'))


def test_gpu_copy_is_used_and_refreshed(monkeypatch):
    """Where faiss sees a GPU, searches go to a GPU copy made by index_cpu_to_all_gpus and
    remade after a change (here a CPU clone stands in for the GPU copy)."""
    copies = []

    def to_gpus(index):
        copies.append(faiss.clone_index(index))
        return copies[-1]

    monkeypatch.setattr(faiss, 'get_num_gpus', lambda: 1)
    monkeypatch.setattr(faiss, 'index_cpu_to_all_gpus', to_gpus)
    x = vectors(20)
    backend = FaissBackend(12)
    assert backend.gpu
    backend.add(np.arange(10), x[:10])
    backend.search(x[:2], 3)
    backend.search(x[:2], 3)
    assert len(copies) == 1 and copies[0].ntotal == 10
    backend.add(np.arange(10, 20), x[10:])
    assert backend.search(x[15:16], 1)[1][0, 0] == 15
    assert len(copies) == 2 and copies[1].ntotal == 20
    assert not FaissBackend(12, gpu=False).gpu
