"""Copy-detection metrics of the DISC21 protocol (Douze et al., "The 2021 Image Similarity
Dataset and Challenge", 2021): every query-gallery pair is one prediction, all pairs are ranked
together by score, and a pair is positive when the gallery item is a copy of the query.

* micro-AP (the challenge's muAP): ``sum_i (R_i - R_{i-1}) P_i`` over the global ranking, with
  ``P_i`` and ``R_i`` the precision and recall of the top ``i`` pairs;
* recall at 90 % precision: the largest ``R_i`` whose ``P_i >= 0.9``, and its score threshold.

Tied scores are ranked negatives first (the challenge's rule: the worst possible order, so a
constant score cannot earn a good AP).
"""
from typing import Dict, Optional, Tuple

import numpy as np


def _pairs(scores, positive) -> Tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    positive = np.asarray(positive).reshape(-1)
    if positive.dtype != bool and not np.isin(positive, (0, 1)).all():
        raise ValueError('positive must be boolean (or 0 / 1)')
    if scores.shape != positive.shape:
        raise ValueError(f'{scores.size} scores but {positive.size} labels')
    if not np.isfinite(scores).all():
        raise ValueError('scores must be finite')
    return scores, positive.astype(bool)


def precision_recall_curve(scores, positive,
                           num_positives: Optional[int] = None
                           ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall after each pair of the global ranking.

    Args:
        scores: Scores of the pairs, any shape (a ``(Q, G)`` matrix is flattened).
        positive: Same shape, True where the gallery item is a copy of the query.
        num_positives: Positives in the ground truth (default: ``positive.sum()``, every pair
            being scored); pairs left unscored lower the recall.

    Returns:
        ``(precision, recall, thresholds)``, one entry per pair in ranked order (decreasing
        score, ties negatives first); ``thresholds[i]`` is the score of pair ``i``.

    Example:
        >>> p, r, t = precision_recall_curve([0.2, 0.9, 0.5], [0, 1, 1])
        >>> p.tolist(), r.tolist(), t.tolist()
        ([1.0, 1.0, 0.6666666666666666], [0.5, 1.0, 1.0], [0.9, 0.5, 0.2])
    """
    scores, positive = _pairs(scores, positive)
    num_positives = int(positive.sum()) if num_positives is None else int(num_positives)
    if num_positives < positive.sum():
        raise ValueError(f'num_positives {num_positives} is below the {int(positive.sum())} '
                         f'positive pairs given')
    order = np.lexsort((positive, -scores))  # decreasing score, negatives first among ties
    tp = np.cumsum(positive[order])
    precision = tp / np.arange(1, len(order) + 1)
    recall = tp / num_positives if num_positives else np.zeros(len(order))
    return precision, recall, scores[order]


def micro_average_precision(scores, positive, num_positives: Optional[int] = None) -> float:
    """DISC21's micro-AP: ``sum_i (R_i - R_{i-1}) P_i`` over all pairs ranked together.

    Arguments as :func:`precision_recall_curve`. 0 when there is no positive.

    Examples:
        >>> micro_average_precision([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0])  # (1 + 2/3) / 2
        0.8333333333333333
        >>> micro_average_precision([0.5, 0.5], [1, 0])  # a tie: the negative first
        0.5
    """
    precision, recall, _ = precision_recall_curve(scores, positive, num_positives)
    if not len(recall):
        return 0.0
    return float((np.diff(recall, prepend=0.0) * precision).sum())


def recall_at_precision(scores, positive, precision: float = 0.9,
                        num_positives: Optional[int] = None) -> Tuple[float, Optional[float]]:
    """The largest recall of the global ranking at a precision of at least ``precision``.

    Returns:
        ``(recall, threshold)``: the recall and the score of the last pair counted (a pair is
        then called a copy when its score is ``>= threshold``); ``(0.0, None)`` when no cut of
        the ranking reaches that precision (DISC21 reports "does not reach P90").

    Example:
        >>> recall_at_precision([0.9, 0.8, 0.7, 0.6, 0.5], [1, 1, 0, 1, 0], 0.75)
        (1.0, 0.6)
        >>> recall_at_precision([0.9, 0.8], [0, 1], 0.9)
        (0.0, None)
    """
    if not 0 < precision <= 1:
        raise ValueError(f'precision must be in (0, 1], got {precision}')
    p, r, t = precision_recall_curve(scores, positive, num_positives)
    ok = np.flatnonzero(p >= precision)
    if not len(ok) or r[ok].max() <= 0:
        return 0.0, None
    best = ok[np.argmax(r[ok])]  # the first (highest-score) cut of the largest recall
    return float(r[best]), float(t[best])


def copy_detection_metrics(scores, positive, precision: float = 0.9) -> Dict[str, object]:
    """micro-AP and recall at ``precision`` of all query-gallery pairs (DISC21's figures).

    Args:
        scores: ``(Q, G)`` scores of every query against every gallery item.
        positive: ``(Q, G)`` bool, True where the gallery item is a copy of the query.
        precision: The precision of the recall figure (DISC21: 0.9).

    Returns:
        ``micro_ap``, ``recall_at_p{100 * precision}``, ``threshold_at_p{...}`` (None when that
        precision is never reached), and the counts ``pairs``, ``positives``, ``queries``,
        ``queries_with_copy``.

    Example:
        >>> m = copy_detection_metrics([[0.9, 0.1], [0.3, 0.2]], [[1, 0], [0, 0]])
        >>> m['micro_ap'], m['recall_at_p90'], m['threshold_at_p90'], m['queries_with_copy']
        (1.0, 1.0, 0.9, 1)
    """
    positive = np.asarray(positive).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape != positive.shape:
        raise ValueError(f'scores and positive must be (Q, G) of one shape, got {scores.shape} '
                         f'and {positive.shape}')
    recall, threshold = recall_at_precision(scores, positive, precision)
    name = f'{100 * precision:g}'.replace('.', '_')
    return {
        'micro_ap': micro_average_precision(scores, positive),
        f'recall_at_p{name}': recall,
        f'threshold_at_p{name}': threshold,
        'pairs': int(scores.size),
        'positives': int(positive.sum()),
        'queries': int(scores.shape[0]),
        'queries_with_copy': int(positive.any(1).sum()),
    }


__all__ = ['precision_recall_curve', 'micro_average_precision', 'recall_at_precision',
           'copy_detection_metrics']
