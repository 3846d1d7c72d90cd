"""Verdicts on hits (identical / plagiarized / unrelated), their calibration on labelled pairs
and the per-label precision and recall, on hand-made scores with known values."""
import math

import numpy as np
import pytest

from ps_net.evaluation.functional import (VERDICT_LABELS, fit_verdict_thresholds,
                                          label_precision_recall, pair_labels, verdict,
                                          verdict_codes)

T = {'identical': 0.9, 'plagiarized': 0.6}


def test_verdict_bands_include_their_lower_threshold():
    assert [verdict(s, T) for s in (1.0, 0.9, 0.8999, 0.6, 0.5999, -1.0)] == [
        'identical', 'identical', 'plagiarized', 'plagiarized', 'unrelated', 'unrelated']
    codes = verdict_codes(np.array([[0.95, 0.7], [0.1, 0.9]]), T)
    assert codes.dtype == np.int8 and codes.tolist() == [[0, 1], [2, 0]]
    assert verdict(0.7, {'identical': 0.7, 'plagiarized': 0.7}) == 'identical'


@pytest.mark.parametrize('bad', [{'identical': 0.5, 'plagiarized': 0.6},
                                 {'identical': math.inf, 'plagiarized': 0.6},
                                 {'identical': 0.9}, {'identical': 0.9, 'plagiarized': 0.5,
                                                      'unrelated': 0.0}, [0.9, 0.6]])
def test_bad_thresholds_are_refused(bad):
    with pytest.raises(ValueError, match='thresholds'):
        verdict(0.5, bad)


def test_pair_labels_from_relations():
    labels = pair_labels([3, 5], [3, 3, 3, 3, 5, 9],
                         ['identical', 'plagiarized', 'irrelevant', 'original', 'identical',
                          'plagiarized'])
    assert labels.tolist() == [[0, 1, 2, 2, 2, 2], [2, 2, 2, 2, 0, 2]]
    with pytest.raises(ValueError, match='relations'):
        pair_labels([3], [3, 4], ['identical'])


def test_label_precision_recall_counts():
    scores = [0.95, 0.92, 0.85, 0.7, 0.65, 0.62, 0.3, 0.2]
    labels = ['identical', 'plagiarized', 'identical', 'plagiarized', 'plagiarized',
              'unrelated', 'plagiarized', 'unrelated']
    m = label_precision_recall(scores, labels, T)
    # predicted: id id | pl pl pl pl | un un
    assert m['identical'] == dict(precision=0.5, recall=0.5, f1=0.5, support=2, predicted=2)
    assert m['plagiarized']['precision'] == 0.5 and m['plagiarized']['recall'] == 0.5
    assert m['plagiarized']['support'] == 4 and m['plagiarized']['predicted'] == 4
    assert m['unrelated']['precision'] == 0.5 and m['unrelated']['recall'] == 0.5
    # codes give the same; a label never predicted has an undefined (NaN) precision
    codes = np.array([VERDICT_LABELS.index(x) for x in labels])
    assert label_precision_recall(scores, codes, T) == m
    m = label_precision_recall([0.1, 0.2], ['identical', 'unrelated'], T)
    assert math.isnan(m['identical']['precision']) and m['identical']['recall'] == 0.0
    assert m['identical']['f1'] == 0.0 and math.isnan(m['plagiarized']['recall'])
    with pytest.raises(ValueError, match='unknown label'):
        label_precision_recall([0.1], ['copy'], T)
    with pytest.raises(ValueError, match='shape'):
        label_precision_recall([0.1, 0.2], [0], T)


def test_fit_f1_separable_scores_put_thresholds_halfway():
    scores = np.array([0.99, 0.97, 0.80, 0.78, 0.40, 0.30, 0.20])
    labels = np.array([0, 0, 1, 1, 2, 2, 2])
    t = fit_verdict_thresholds(scores, labels)
    assert t['identical'] == pytest.approx(0.885) and t['plagiarized'] == pytest.approx(0.59)
    m = label_precision_recall(scores, labels, t)
    assert all(m[k]['precision'] == m[k]['recall'] == 1.0 for k in VERDICT_LABELS)


def test_fit_f1_on_overlapping_scores():
    scores = np.array([0.95, 0.90, 0.85, 0.80, 0.70, 0.60, 0.50, 0.40])
    labels = np.array([0, 1, 0, 1, 1, 2, 1, 2])
    t = fit_verdict_thresholds(scores, labels)
    # identical (2 pairs): the cuts keeping 1, 2, 3, 4 pairs have F1 = 2 tp / (kept + 2) =
    # 2/3, 2/4, 4/5, 4/6: the third wins, halfway between 0.85 and 0.80
    assert t['identical'] == pytest.approx(0.825)
    # plagiarized (4 pairs, the one at 0.9 above t_identical) among 0.8 0.7 0.6 0.5 0.4:
    # F1 = 2/5, 4/6, 4/7, 6/8, 6/9: the cut keeping 0.5 wins
    assert t['plagiarized'] == pytest.approx(0.45)
    m = label_precision_recall(scores, labels, t)
    assert m['identical']['f1'] == pytest.approx(0.8) and m['plagiarized']['f1'] == 0.75


def test_fit_precision_criterion():
    scores = np.array([0.95, 0.90, 0.85, 0.80, 0.70, 0.60, 0.50, 0.40])
    labels = np.array([0, 1, 0, 1, 1, 2, 1, 2])
    t = fit_verdict_thresholds(scores, labels, 'precision', target_precision=0.6)
    # identical: precision >= 0.6 at cuts 1 (1/1) and 3 (2/3): the larger recall, cut 3
    assert t['identical'] == pytest.approx(0.825)
    # plagiarized below 0.825 (0.8 0.7 0.6 0.5 0.4): precision 1, 1, 2/3, 3/4, 3/5 (>= 0.6):
    # the largest recall is 3 of 4 plagiarized, first reached at the cut keeping 0.5
    assert t['plagiarized'] == pytest.approx(0.45)
    # an unreachable precision takes the cut of the largest precision (the highest of ties)
    t = fit_verdict_thresholds([0.9, 0.8, 0.7, 0.6], [1, 0, 2, 1], 'precision', 1.0)
    assert t['identical'] == pytest.approx(0.75)  # 1 of 2 identical: precision 1/2
    assert t['plagiarized'] == pytest.approx(0.6)  # the last cut, at the lowest score


def test_fit_is_deterministic_and_order_free():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, 500)
    scores = np.where(labels == 0, 0.8, np.where(labels == 1, 0.6, 0.3)) + \
        0.15 * rng.standard_normal(500)
    t = fit_verdict_thresholds(scores, labels)
    perm = rng.permutation(500)
    assert fit_verdict_thresholds(scores[perm], labels[perm]) == t
    assert fit_verdict_thresholds(scores.reshape(20, 25), labels.reshape(20, 25)) == t
    assert 0.6 < t['identical'] < 0.8 and 0.3 < t['plagiarized'] < 0.6
    # the fitted cut beats every other cut of identical on F1
    f1 = label_precision_recall(scores, labels, t)['identical']['f1']
    for c in np.unique(scores):
        other = dict(identical=c, plagiarized=min(c, t['plagiarized']))
        assert label_precision_recall(scores, labels, other)['identical']['f1'] <= f1 + 1e-12


def test_fit_edge_cases():
    # every plagiarized pair scores above t_identical: nothing is called plagiarized
    t = fit_verdict_thresholds([0.9, 0.9, 0.8, 0.1], [0, 1, 2, 2])
    assert t['plagiarized'] == t['identical']
    with pytest.raises(ValueError, match='identical and plagiarized'):
        fit_verdict_thresholds([0.9, 0.1], [1, 2])
    with pytest.raises(ValueError, match='criterion'):
        fit_verdict_thresholds([0.9, 0.1], [0, 1], 'recall')
    with pytest.raises(ValueError, match='target_precision'):
        fit_verdict_thresholds([0.9, 0.1], [0, 1], 'precision', 1.5)
    with pytest.raises(ValueError, match='finite'):
        fit_verdict_thresholds([np.inf, 0.1], [0, 1])
