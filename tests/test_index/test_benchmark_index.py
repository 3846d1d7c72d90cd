"""tools/analysis_tools/benchmark_index.py at a tiny size (photo features faked): the synthetic
gallery's layout, the streamed brute force equal to eq. 1, and both benchmarks' rows (no
timing is asserted)."""
import json

import numpy as np
import pytest
import torch

from ps_net.structures import region_similarity
from tests.conftest import load_tool

bench = load_tool('tools/analysis_tools/benchmark_index.py')


def fake_photos(n=60, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    feats = rng.standard_normal((n, 5, dim))
    feats /= np.linalg.norm(feats, axis=2, keepdims=True)
    scale = np.stack([np.eye(dim) * 0.3] * 5)
    return dict(feats=feats.astype(np.float32), scale=scale.astype(np.float32),
                labels=np.zeros(n, np.int16))


@pytest.fixture
def small(monkeypatch, tmp_path):
    monkeypatch.setattr(bench, 'photo_region_features', lambda photos, dim, cache: fake_photos())
    monkeypatch.setattr(bench, 'CHUNK', 700)
    return ['--work-dir', str(tmp_path), '--dim', '8', '--queries', '12', '--single', '3',
            '--batch', '5', '--out', str(tmp_path / 'rows.jsonl')]


def test_synthetic_garments_are_normalised_with_missing_regions_zero():
    feats, valid, cats = bench.synth_chunk(fake_photos(), 500, 0.5, 0.6,
                                           np.random.default_rng(1))
    assert feats.shape == (500, 5, 8) and valid.shape == (500, 5) and cats.shape == (500, )
    norms = np.linalg.norm(feats, axis=2)
    np.testing.assert_allclose(norms[valid], 1, atol=1e-5)
    assert (norms[~valid] == 0).all()
    assert {tuple(v) for v in valid.tolist()} <= {tuple(p) for p in bench.PATTERNS.tolist()}
    again = bench.synth_chunk(fake_photos(), 500, 0.5, 0.6, np.random.default_rng(1))[0]
    np.testing.assert_array_equal(feats, again)  # a chunk depends on its seed only


def test_a_larger_gallery_extends_a_smaller_one_and_the_brute_force_is_eq1(small):
    args = bench.parse_args(['ann', '--size', '900', '--factory', 'Flat'] + small)
    first = bench.Gallery(args, 900)
    head = np.array(first.feats[:900])
    bigger = bench.Gallery(args, 2000)
    assert len(bigger.feats) == 2100  # whole chunks of 700
    np.testing.assert_array_equal(np.array(bigger.feats[:900]), head)
    rows = bigger.rows(np.arange(2000))  # float16 features normalised again
    np.testing.assert_allclose(np.linalg.norm(rows, axis=2)[np.array(bigger.valid[:2000])], 1,
                               atol=1e-6)
    bigger.size = 2000
    q = bench.make_queries(bigger, args)
    assert q[0].shape == (12, 5, 8)
    lam = bench.region_weights()
    truth = bench.exact_top_k(bigger, q, lam, bench._stem(args))
    sims = region_similarity(torch.from_numpy(q[0]).double(), torch.from_numpy(q[1]),
                             torch.from_numpy(bigger.rows(np.arange(2000))).double(),
                             torch.from_numpy(np.array(bigger.valid[:2000])),
                             torch.from_numpy(lam[q[2]])).numpy()
    np.testing.assert_array_equal(truth, np.argsort(-sims, 1, kind='stable')[:, :bench.TOPK])


def test_search_and_ann_rows(small, tmp_path):
    assert bench.main(['search', '--sizes', '1000', '2000'] + small) == 0
    assert bench.main(['ann', '--size', '2000', '--factory', 'IVF8,PQ8x4np', '--params',
                       'nprobe=2', 'nprobe=8', '--shortlists', '50', '2000', '--train-size',
                       '1500'] + small) == 0
    rows = [json.loads(line) for line in (tmp_path / 'rows.jsonl').read_text().splitlines()]
    search = [r for r in rows if r['bench'] == 'search']
    assert [(r['size'], r['mode']) for r in search] == [
        (1000, 'single'), (1000, 'batch'), (2000, 'single'), (2000, 'batch')]
    assert all(r['flat_recall_at_20'] == 1.0 for r in search)  # Flat is exact
    assert all(r['ratio_to_faiss_flat_cpu'] > 0 and r['threads'] == 1 for r in search)
    ann = [r for r in rows if r['bench'] == 'ann']
    assert [(r['params'], r['shortlist']) for r in ann] == [
        ('nprobe=2', 50), ('nprobe=2', 2000), ('nprobe=8', 50), ('nprobe=8', 2000)]
    assert all(r['code_bytes'] == 4 and r['id_bytes'] == 8 for r in ann)  # PQ8x4: 4 bytes
    assert all(r['exact_float16_bytes'] == 5 * 8 * 2 for r in ann)
    assert all(0 <= r['recall_at_20'] <= 1 for r in ann)
    # every list probed and every garment short-listed: the exact re-rank is the brute force
    assert ann[3]['recall_at_20'] == 1.0
