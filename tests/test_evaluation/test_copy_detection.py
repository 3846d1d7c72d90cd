"""DISC21 copy-detection metrics on hand-made scores with known values."""
import numpy as np
import pytest

from ps_net.evaluation.functional import (copy_detection_metrics, micro_average_precision,
                                          precision_recall_curve, recall_at_precision)


def test_micro_ap_ranks_all_pairs_together():
    # two queries; the copies sit at global ranks 1, 3 and 6 of the six pairs
    scores = np.array([[0.9, 0.2, 0.7], [0.8, 0.3, 0.1]])
    positive = np.array([[1, 0, 1], [0, 0, 0]], bool)
    positive[1, 2] = True
    # ranking: 0.9+ 0.8- 0.7+ 0.3- 0.2- 0.1+  ->  (1/1 + 2/3 + 3/6) / 3
    assert micro_average_precision(scores, positive) == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    # unlike a mean of per-query APs, micro-AP depends on how the queries' scores compare
    shifted = scores.copy()
    shifted[1] -= 0.75  # query 1's distractor no longer outranks query 0's second copy
    assert micro_average_precision(shifted, positive) == pytest.approx((1 + 1 + 3 / 6) / 3)


def test_ties_rank_negatives_first():
    assert micro_average_precision([0.5, 0.5, 0.5], [1, 0, 0]) == pytest.approx(1 / 3)
    assert micro_average_precision([0.5, 0.5], [0, 1]) == 0.5
    p, r, t = precision_recall_curve([0.5, 0.5, 0.9], [1, 0, 0])
    assert t.tolist() == [0.9, 0.5, 0.5] and p.tolist() == [0.0, 0.0, 1 / 3]


def test_unscored_positives_lower_the_recall():
    assert micro_average_precision([0.9, 0.1], [1, 0], num_positives=2) == 0.5
    assert recall_at_precision([0.9, 0.1], [1, 0], 0.9, num_positives=4) == (0.25, 0.9)
    with pytest.raises(ValueError, match='num_positives'):
        precision_recall_curve([0.9, 0.8], [1, 1], num_positives=1)


def test_recall_at_90_percent_precision():
    # 10 pairs: precision stays >= 0.9 down to the 9th copy of 10, then a run of negatives
    scores = np.linspace(1.0, 0.0, 20)
    positive = np.zeros(20, bool)
    positive[[0, 1, 2, 3, 4, 5, 6, 7, 9, 10]] = True  # one negative at rank 9
    recall, threshold = recall_at_precision(scores, positive, 0.9)
    # cut after rank 11: 10 copies in 11 pairs, precision 0.909, recall 1.0
    assert recall == 1.0 and threshold == pytest.approx(scores[10])
    recall, threshold = recall_at_precision(scores, positive, 0.95)
    assert recall == 0.8 and threshold == pytest.approx(scores[7])  # 8 of 8 before the miss
    assert recall_at_precision([0.9, 0.8], [0, 1], 0.9) == (0.0, None)


def test_copy_detection_metrics_on_a_gallery_of_distractors():
    rng = np.random.default_rng(0)
    scores = rng.uniform(0.0, 0.5, (50, 400))
    positive = np.zeros_like(scores, bool)
    positive[:5, :2] = True  # 5 of 50 queries have two copies each
    scores[positive] = 0.9
    scores[0, 0] = 0.45  # one copy is missed among the distractors
    m = copy_detection_metrics(scores, positive)
    assert m['pairs'] == 20000 and m['positives'] == 10
    assert m['queries'] == 50 and m['queries_with_copy'] == 5
    rank = int((scores > 0.45).sum()) + 1  # the missed copy's global rank (no tie)
    assert m['micro_ap'] == pytest.approx((9 + 10 / rank) / 10)
    assert m['recall_at_p90'] == 0.9 and m['threshold_at_p90'] == 0.9
    with pytest.raises(ValueError, match='scores and positive'):
        copy_detection_metrics(scores[0], positive[0])


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match='finite'):
        micro_average_precision([np.nan, 0.2], [1, 0])
    with pytest.raises(ValueError, match='2 scores but 3'):
        micro_average_precision([0.1, 0.2], [1, 0, 0])
    with pytest.raises(ValueError, match='boolean'):
        micro_average_precision([0.1, 0.2], [2, 0])
    with pytest.raises(ValueError, match='precision'):
        recall_at_precision([0.1], [1], 0.0)
    assert micro_average_precision([0.3, 0.2], [0, 0]) == 0.0
