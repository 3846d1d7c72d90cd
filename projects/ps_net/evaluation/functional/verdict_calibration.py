"""Verdicts on search hits: identical, plagiarized or unrelated, by two thresholds on the eq. 1
score, and their calibration on a labelled split.

A hit of score ``s`` is

* ``identical`` when ``s >= t_identical``,
* ``plagiarized`` when ``t_plagiarized <= s < t_identical``,
* ``unrelated`` otherwise,

with thresholds ``{'identical': t_identical, 'plagiarized': t_plagiarized}``,
``t_identical >= t_plagiarized`` (:func:`verdict`, :func:`verdict_codes`). The true label of a
query-gallery pair of a Plagiarized Fashion file (:func:`pair_labels`) is the gallery entry's
relation to the query's design: ``identical``, ``plagiarized``, and everything else
(other designs, same-design ``irrelevant`` or ``original``) ``unrelated``.
:func:`fit_verdict_thresholds` chooses the thresholds on such pairs, and
:func:`label_precision_recall` measures each label's precision and recall on another split.
"""
import math
from typing import Dict, Mapping, Sequence, Tuple

import numpy as np

#: The verdicts, in the order of their codes (0, 1, 2).
VERDICT_LABELS = ('identical', 'plagiarized', 'unrelated')
IDENTICAL, PLAGIARIZED, UNRELATED = 0, 1, 2

#: Criteria of :func:`fit_verdict_thresholds`.
CRITERIA = ('f1', 'precision')


def check_thresholds(thresholds: Mapping[str, float]) -> Tuple[float, float]:
    """``(t_identical, t_plagiarized)`` of a threshold mapping; raises ``ValueError`` unless it
    holds exactly those two finite numbers with ``t_identical >= t_plagiarized``."""
    if not isinstance(thresholds, Mapping) or set(thresholds) != {'identical', 'plagiarized'}:
        raise ValueError(f"thresholds must be {{'identical': t, 'plagiarized': t}}, got "
                         f'{thresholds!r}')
    t_id, t_pl = (float(thresholds[k]) for k in ('identical', 'plagiarized'))
    if not (math.isfinite(t_id) and math.isfinite(t_pl)) or t_id < t_pl:
        raise ValueError(f'thresholds must be finite with identical >= plagiarized, got '
                         f'{dict(thresholds)!r}')
    return t_id, t_pl


def verdict(score: float, thresholds: Mapping[str, float]) -> str:
    """The verdict on one hit: ``'identical'``, ``'plagiarized'`` or ``'unrelated'``.

    Example:
        >>> t = {'identical': 0.9, 'plagiarized': 0.6}
        >>> [verdict(s, t) for s in (0.95, 0.9, 0.7, 0.6, 0.2)]
        ['identical', 'identical', 'plagiarized', 'plagiarized', 'unrelated']
    """
    return VERDICT_LABELS[int(verdict_codes(np.array([score]), thresholds)[0])]


def verdict_codes(scores, thresholds: Mapping[str, float]) -> np.ndarray:
    """The verdicts of an array of scores as int8 codes (indexes of :data:`VERDICT_LABELS`)."""
    t_id, t_pl = check_thresholds(thresholds)
    scores = np.asarray(scores, dtype=np.float64)
    if np.isnan(scores).any():
        raise ValueError('scores must not be NaN')
    codes = np.full(scores.shape, UNRELATED, np.int8)
    codes[scores >= t_pl] = PLAGIARIZED
    codes[scores >= t_id] = IDENTICAL
    return codes


def pair_labels(query_design_ids: Sequence[int], gallery_design_ids: Sequence[int],
                gallery_relations: Sequence[str]) -> np.ndarray:
    """``(Q, G)`` int8 true labels (codes of :data:`VERDICT_LABELS`) of every query-gallery
    pair of a Plagiarized Fashion split: a gallery entry of the query's design is
    ``identical`` or ``plagiarized`` when that is its relation; every other pair is
    ``unrelated``.

    Example:
        >>> pair_labels([7, 8], [7, 7, 7, 8], ['identical', 'plagiarized', 'irrelevant',
        ...                                    'plagiarized']).tolist()
        [[0, 1, 2, 2], [2, 2, 2, 1]]
    """
    q = np.asarray(query_design_ids, np.int64).reshape(-1, 1)
    g = np.asarray(gallery_design_ids, np.int64).reshape(1, -1)
    rel = np.asarray(gallery_relations, dtype=object).reshape(-1)
    if rel.size != g.size:
        raise ValueError(f'{g.size} gallery design ids but {rel.size} relations')
    labels = np.full((q.size, g.size), UNRELATED, np.int8)
    same = q == g
    labels[same & (rel == 'identical')[None]] = IDENTICAL
    labels[same & (rel == 'plagiarized')[None]] = PLAGIARIZED
    return labels


def _as_codes(labels) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.dtype.kind in 'UO':
        bad = ~np.isin(labels, VERDICT_LABELS)
        if bad.any():
            raise ValueError(f'unknown label {labels[bad].reshape(-1)[0]!r} (one of '
                             f'{VERDICT_LABELS})')
        lookup = {name: code for code, name in enumerate(VERDICT_LABELS)}
        return np.vectorize(lookup.__getitem__, otypes=[np.int8])(labels)
    if labels.size and not np.isin(labels, (IDENTICAL, PLAGIARIZED, UNRELATED)).all():
        raise ValueError(f'label codes must be 0, 1 or 2 ({VERDICT_LABELS})')
    return labels.astype(np.int8)


def _scores_and_codes(scores, labels) -> Tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    codes = _as_codes(labels)
    if scores.shape != codes.shape:
        raise ValueError(f'scores {scores.shape} and labels {codes.shape} differ in shape')
    if not np.isfinite(scores).all():
        raise ValueError('scores must be finite')
    return scores.reshape(-1), codes.reshape(-1)


def label_precision_recall(scores, labels, thresholds: Mapping[str, float]
                           ) -> Dict[str, Dict[str, float]]:
    """Precision, recall and F1 of each verdict label on labelled pairs.

    Args:
        scores: Scores of the pairs (any shape).
        labels: Their true labels, as names or codes of :data:`VERDICT_LABELS`.
        thresholds: As :func:`verdict`.

    Returns:
        label -> ``precision`` (true among the pairs given the label; NaN if none is),
        ``recall`` (found among the pairs of that label; NaN if there is none), ``f1``
        (0 when precision or recall is 0 or undefined), ``support`` (pairs of that label)
        and ``predicted`` (pairs given that label), for the three labels and for ``copy``
        (identical or plagiarized, against unrelated: is the hit a copy at all).

    Example:
        >>> t = {'identical': 0.9, 'plagiarized': 0.5}
        >>> m = label_precision_recall([0.95, 0.7, 0.6, 0.3],
        ...                            ['identical', 'plagiarized', 'unrelated', 'unrelated'], t)
        >>> m['plagiarized']['precision'], m['plagiarized']['recall'], m['unrelated']['recall']
        (0.5, 1.0, 0.5)
        >>> m['copy']['precision'], m['copy']['recall']
        (0.6666666666666666, 1.0)
    """
    scores, codes = _scores_and_codes(scores, labels)
    predicted = verdict_codes(scores, thresholds)
    out = {}
    for name, members in [(n, (c, )) for c, n in enumerate(VERDICT_LABELS)] + [
            ('copy', (IDENTICAL, PLAGIARIZED))]:
        is_pred, is_true = np.isin(predicted, members), np.isin(codes, members)
        tp = int((is_pred & is_true).sum())
        n_pred, support = int(is_pred.sum()), int(is_true.sum())
        precision = tp / n_pred if n_pred else math.nan
        recall = tp / support if support else math.nan
        f1 = 2 * tp / (n_pred + support) if tp else 0.0
        out[name] = dict(precision=precision, recall=recall, f1=f1, support=support,
                         predicted=n_pred)
    return out


def _cut(scores: np.ndarray, positive: np.ndarray, total: int, criterion: str,
         target: float) -> Tuple[float, float]:
    """The best cut ``score >= t`` of a ranking for one label: ``(t, value)``.

    Candidate cuts lie between distinct scores; a cut is placed halfway between the lowest
    score it keeps and the next lower score (at the lowest score for the last cut). ``f1``:
    the cut of the largest F1 against the ``total`` pairs of the label. ``precision``: the
    cut of the largest recall whose precision is >= ``target``, or, if none reaches it, the
    cut of the largest precision. Equal values: the highest cut.
    """
    order = np.argsort(-scores, kind='stable')
    s, p = scores[order], positive[order]
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])  # last pair of each distinct score
    tp = np.cumsum(p)[ends].astype(np.float64)
    kept = (ends + 1).astype(np.float64)
    if criterion == 'f1':
        value = 2 * tp / (kept + total)
    else:
        precision = tp / kept
        reached = precision >= target
        value = np.where(reached, tp / total, -1.0) if reached.any() else precision
    best = int(np.argmax(value))  # the first maximum: the highest cut
    low = s[ends[best]]
    if best + 1 == len(ends):
        return float(low), float(value[best])
    nxt = s[ends[best + 1]]
    mid = nxt + (low - nxt) / 2
    return float(mid if nxt < mid <= low else low), float(value[best])


def fit_verdict_thresholds(scores, labels, criterion: str = 'f1',
                           target_precision: float = 0.9) -> Dict[str, float]:
    """Thresholds of :func:`verdict` fitted on labelled pairs.

    ``t_identical`` is the best cut for the label ``identical`` (pairs scoring at least
    ``t_identical`` against all the others); then ``t_plagiarized`` is the best cut for
    ``plagiarized`` among the pairs scoring below ``t_identical`` (the pairs it labels are
    the band ``[t_plagiarized, t_identical)``; recall counts every plagiarized pair, those
    above ``t_identical`` included). "Best" is, by ``criterion``:

    * ``'f1'``: the largest F1 of that label;
    * ``'precision'``: the largest recall at a precision of at least ``target_precision``
      (if no cut reaches it, the cut of the largest precision).

    A cut lies halfway between the lowest score it keeps and the next lower score; among
    equally good cuts the highest wins, so the result depends only on the scores and labels.
    When no cut below ``t_identical`` finds a plagiarized pair, ``t_plagiarized =
    t_identical`` (nothing is called plagiarized).

    Args:
        scores: Scores of labelled pairs (any shape, e.g. ``(Q, G)``).
        labels: Their true labels (names or codes of :data:`VERDICT_LABELS`), e.g. from
            :func:`pair_labels`.
        criterion: ``'f1'`` or ``'precision'``.
        target_precision: The precision of the ``'precision'`` criterion.

    Returns:
        ``{'identical': t_identical, 'plagiarized': t_plagiarized}``.

    Raises:
        ValueError: no identical or no plagiarized pair, a bad criterion or target.

    Example:
        >>> s = [0.98, 0.95, 0.80, 0.75, 0.70, 0.40, 0.30]
        >>> y = ['identical', 'identical', 'plagiarized', 'plagiarized', 'unrelated',
        ...      'unrelated', 'plagiarized']
        >>> {k: round(v, 3) for k, v in fit_verdict_thresholds(s, y).items()}
        {'identical': 0.875, 'plagiarized': 0.725}
    """
    if criterion not in CRITERIA:
        raise ValueError(f'criterion must be one of {CRITERIA}, got {criterion!r}')
    if not 0 < target_precision <= 1:
        raise ValueError(f'target_precision must be in (0, 1], got {target_precision}')
    scores, codes = _scores_and_codes(scores, labels)
    counts = [int((codes == c).sum()) for c in (IDENTICAL, PLAGIARIZED)]
    if not all(counts):
        raise ValueError(f'calibration needs identical and plagiarized pairs, got {counts[0]} '
                         f'and {counts[1]}')
    t_id, _ = _cut(scores, codes == IDENTICAL, counts[0], criterion, target_precision)
    below = scores < t_id
    t_pl = t_id
    if ((codes == PLAGIARIZED) & below).any():
        cut, value = _cut(scores[below], codes[below] == PLAGIARIZED, counts[1], criterion,
                          target_precision)
        t_pl = cut if value > 0 else t_id
    return {'identical': t_id, 'plagiarized': t_pl}


__all__ = ['VERDICT_LABELS', 'IDENTICAL', 'PLAGIARIZED', 'UNRELATED', 'CRITERIA',
           'check_thresholds', 'verdict', 'verdict_codes', 'pair_labels',
           'label_precision_recall', 'fit_verdict_thresholds']
