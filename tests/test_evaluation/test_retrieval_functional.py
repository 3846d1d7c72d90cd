"""The ranking functions of ps_net.evaluation.functional, and the metrics that use them beside
mmpretrain's retrieval metrics."""
import numpy as np
import pytest
import torch
from mmpretrain.evaluation.metrics import RetrievalAveragePrecision, RetrievalRecall

from ps_net.evaluation.functional import (average_precision, check_ground_truth,
                                          gallery_positions, hit_rate_at_k, positive_ranks,
                                          recall_at_k, retrieved_at_k, tie_ranks)
from ps_net.evaluation.metrics import PSNetPlagiarismMetric


# ----------------------------------------------------------------------------- the tie rule
def test_tie_ranks_lower_gallery_index_first():
    assert tie_ranks(-np.array([0.5, 0.7, 0.5]), np.array([0, 2])).tolist() == [2, 3]
    assert tie_ranks(np.array([0.5, 0.7, 0.5]), np.array([1])).tolist() == [3]  # distances
    assert tie_ranks(np.zeros(3), np.array([], dtype=np.int64)).tolist() == []


def test_tie_ranks_direct_and_sorted_paths_agree():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, size=300).astype(float)  # many ties
    keep = rng.random(300) > 0.2
    for n in (3, 32, 33, 150):
        targets = np.sort(rng.choice(np.flatnonzero(keep), size=n, replace=False))
        order = np.flatnonzero(keep)[np.argsort(-scores[keep], kind='stable')]
        rank = {int(g): i + 1 for i, g in enumerate(order)}  # reference: full stable sort
        expected = sorted(rank[int(t)] for t in targets)
        assert tie_ranks(-scores, targets, keep).tolist() == expected


def test_positive_ranks_remove_ignored_before_ranking():
    scores = np.array([0.9, 0.5, 0.5, 0.8, 0.1])
    assert positive_ranks(scores, [2, 4]).tolist() == [4, 5]
    assert positive_ranks(scores, [2, 4], ignored=[0, 3]).tolist() == [2, 3]
    assert positive_ranks(scores, [1, 2], ignored=[]).tolist() == [3, 4]  # tie: index order


# ----------------------------------------------------------------------------- ground truth
def test_check_ground_truth_sorts_and_refuses_bad_positions():
    pos, ign = check_ground_truth(np.array([4, 1]), [], 5)
    assert pos.tolist() == [1, 4] and pos.dtype == np.int64 and ign.tolist() == []
    assert gallery_positions(None, 3, 'x').tolist() == []
    with pytest.raises(ValueError, match=r'positives must hold gallery positions in \[0, 5\), '
                                         r'got \[5\]'):
        check_ground_truth([5], [], 5)
    with pytest.raises(ValueError, match=r'ignored must hold .* got \[-1\]'):
        check_ground_truth([0], [-1], 5)
    with pytest.raises(ValueError, match='must not repeat'):
        check_ground_truth([1, 1], [], 5)
    with pytest.raises(ValueError, match='int gallery positions'):
        check_ground_truth([0.5], [], 5)
    with pytest.raises(ValueError, match=r'\[2\] are both positive \(p\) and ignored \(i\)'):
        check_ground_truth([1, 2], [2], 5, ('p', 'i'))


# ----------------------------------------------------------------------------- top-K counts
def test_retrieved_recall_and_hit_rate_at_k():
    ranks = np.array([2, 5, 9])
    assert retrieved_at_k(ranks, (1, 2, 5, 10)).tolist() == [0, 1, 2, 3]
    assert retrieved_at_k(np.zeros(0), (1, 3)).tolist() == [0, 0]
    np.testing.assert_allclose(recall_at_k(ranks, (1, 2, 5, 10)), [0, 1 / 3, 2 / 3, 1])
    assert hit_rate_at_k(ranks, (1, 2, 5)).tolist() == [0.0, 1.0, 1.0]
    for fn in (recall_at_k, hit_rate_at_k):
        with pytest.raises(ValueError, match='at least one positive'):
            fn(np.zeros(0, dtype=np.int64), (1, ))


def test_average_precision_full_and_truncated():
    ranks = np.array([1, 3, 6])
    assert average_precision(ranks) == pytest.approx((1 + 2 / 3 + 3 / 6) / 3)
    assert average_precision(ranks, k=3) == pytest.approx((1 + 2 / 3) / 2)  # N_r = 2
    assert average_precision(ranks, k=1) == 1.0
    assert average_precision(np.array([4]), k=3) == 0.0  # nothing retrieved
    assert average_precision(np.zeros(0, dtype=np.int64)) == 0.0


# ----------------------------------------------------------------------------- mmpretrain
@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_hit_rate_and_map_equal_mmpretrain_on_tie_free_rankings(seed):
    """HitRate@K is mmpretrain's RetrievalRecall@K and mAP its RetrievalAveragePrecision
    (``IR`` mode, K = the gallery) when no score ties and nothing is ignored."""
    rng = np.random.default_rng(seed)
    num_queries, num_gallery = 30, 40
    scores = rng.random((num_queries, num_gallery))
    assert all(np.unique(row).size == num_gallery for row in scores)  # tie-free
    positives = [np.sort(rng.choice(num_gallery, size=rng.integers(1, 6), replace=False))
                 for _ in range(num_queries)]
    topk = (1, 5, 10, 40)
    ours = PSNetPlagiarismMetric.calculate(scores, positives, [[]] * num_queries, topk=topk)
    assert ours['num_skipped'] == 0
    target = np.zeros((num_queries, num_gallery), dtype=np.int64)
    for q, pos in enumerate(positives):
        target[q, pos] = 1
    recall = RetrievalRecall.calculate(torch.as_tensor(scores), torch.as_tensor(target), topk)
    for k, theirs in zip(topk, recall):
        assert ours[f'HitRate@{k}'] == pytest.approx(float(theirs), rel=1e-6)
    theirs_map = RetrievalAveragePrecision.calculate(torch.as_tensor(scores),
                                                     torch.as_tensor(target), num_gallery)
    assert ours['mAP'] == pytest.approx(float(theirs_map), rel=1e-12)
    # the functions behind them, query by query
    for q, pos in enumerate(positives):
        ranks = positive_ranks(scores[q], pos)
        single = RetrievalAveragePrecision.calculate(torch.as_tensor(scores[q:q + 1]),
                                                     torch.as_tensor(target[q:q + 1]),
                                                     num_gallery)
        assert 100 * average_precision(ranks) == pytest.approx(float(single), rel=1e-12)
