"""The missing-item rule of the retrieval metrics (docs/bad_inputs.md): a gallery entry whose
image could not be used never ranks, and as a positive it is a positive never found; a query
whose image could not be used is counted, never averaged in."""
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.structures import DataSample

from ps_net.evaluation import PSNetPlagiarismMetric, PSNetPrecisionAtK
from ps_net.evaluation.functional import (average_precision, hit_rate_at_k, positive_ranks,
                                          recall_at_k)
from .conftest import write_pf

calc = PSNetPlagiarismMetric.calculate


def test_functional_pieces():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    # positives 1 and 3, entry 0 missing: 1 ranks first, 3 third
    assert positive_ranks(scores, [1, 3], missing=[0]).tolist() == [1, 3]
    # positive 1 missing: only 3 ranks, after entries 0 and 2
    assert positive_ranks(scores, [1, 3], missing=[1]).tolist() == [3]
    assert recall_at_k(np.array([3]), (1, 3), num_positives=2).tolist() == [0.0, 0.5]
    assert hit_rate_at_k(np.array([], np.int64), (1, 3), num_positives=2).tolist() == [0, 0]
    assert average_precision(np.array([3]), num_relevant=2) == pytest.approx(1 / 3 / 2)
    assert average_precision(np.array([], np.int64), num_relevant=2) == 0.0
    with pytest.raises(ValueError, match='num_positives=1 is below the 2 ranks'):
        recall_at_k(np.array([1, 2]), (1, ), num_positives=1)
    with pytest.raises(ValueError, match='needs the rank of at least one positive'):
        hit_rate_at_k(np.array([], np.int64), (1, ))


SCORES = np.array([[0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
                   [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
                   [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]])
POSITIVES = [[1, 3], [0], [2, 4]]
IGNORED = [[0], [], []]


def test_missing_gallery_entries_never_rank_and_missing_positives_are_never_found():
    out = calc(SCORES, POSITIVES, IGNORED, topk=(1, 6), missing_gallery=[1, 5])
    # q0: 0 ignored, 1 missing: ranking 2, 3, 4 -> positive 3 at rank 2 of n = 2
    # q1: 5 and 1 missing: ranking 4, 3, 2, 0 -> positive 0 at rank 4 of n = 1
    # q2: ties by gallery index: ranking 0, 2, 3, 4 -> positives at 2 and 4
    assert out['Recall@1'] == pytest.approx(100 * (0 + 0 + 0) / 3)
    assert out['Recall@6'] == pytest.approx(100 * (0.5 + 1 + 1) / 3)
    assert out['HitRate@6'] == 100.0
    ap = [(1 / 2) / 2, 1 / 4, (1 / 2 + 2 / 4) / 2]
    assert out['mAP'] == pytest.approx(100 * np.mean(ap))
    assert out['num_gallery_unreadable'] == 2 and out['num_skipped_unreadable'] == 0
    # every positive of q0 missing: it still counts, as 0 (the run is not flattered)
    out = calc(SCORES, POSITIVES, IGNORED, topk=(6, ), missing_gallery=[1, 3])
    assert out['Recall@6'] == pytest.approx(100 * (0 + 1 + 1) / 3)
    assert out['num_evaluated'] == 3


def test_unreadable_queries_are_counted_not_averaged():
    out = calc(SCORES, POSITIVES, IGNORED, topk=(6, ), categories=['a', 'b', 'b'],
               unreadable_queries=[1])
    clean = calc(SCORES[[0, 2]], [POSITIVES[0], POSITIVES[2]], [IGNORED[0], IGNORED[2]],
                 topk=(6, ), categories=['a', 'b'])
    assert out['mAP'] == clean['mAP'] and out['b/mAP'] == clean['b/mAP']
    assert (out['num_queries'], out['num_evaluated'], out['num_skipped_unreadable']) == (3, 2, 1)
    assert (out['b/num_queries'], out['b/num_skipped_unreadable']) == (2, 1)
    alone = calc(SCORES[[1]], [POSITIVES[1]], [IGNORED[1]], topk=(6, ), unreadable_queries=[0])
    assert math.isnan(alone['mAP']) and alone['num_evaluated'] == 0
    assert 'num_skipped_unreadable' not in calc(SCORES, POSITIVES, IGNORED, topk=(6, ))


def _sample(q, bad=None):
    sample = DataSample(metainfo=dict(category='dress')).set_pred_score(
        torch.as_tensor(SCORES[q])).set_gt_label(POSITIVES[q])
    sample.set_field(torch.as_tensor(IGNORED[q], dtype=torch.long), 'gt_ignored')
    if bad is not None:
        sample.set_metainfo(dict(bad_input=bad))
    return sample


def _record(split, index, action, reason='file not found'):
    return dict(split=split, split_index=index, pf_index=10 + index, img_path=f'{split}{index}',
                reason=reason, action=action)


def test_the_metric_reads_the_marks_of_the_run():
    gallery_bad = [_record('gallery', 1, 'skipped'), _record('gallery', 4, 'flagged', 'bbox')]
    evaluator = Evaluator(PSNetPlagiarismMetric(topk=(1, 6)))
    evaluator.dataset_meta = dict(gallery_bad_inputs=gallery_bad)
    evaluator.process([_sample(0), _sample(1, _record('query', 1, 'skipped')),
                       _sample(2, _record('query', 2, 'flagged', 'bbox'))])
    out = evaluator.evaluate(3)
    expected = calc(SCORES, POSITIVES, IGNORED, topk=(1, 6), categories=['dress'] * 3,
                    missing_gallery=[1], unreadable_queries=[1])
    assert out == {f'plagiarism/{k}': v for k, v in expected.items()}
    assert evaluator.metrics[0].bad_inputs == gallery_bad + [
        _record('query', 1, 'skipped'), _record('query', 2, 'flagged', 'bbox')]


def test_precision_at_k_applies_the_same_rule(tmp_path):
    meta = dict(format_version=1, categories=['dress'], regions=['collar'])
    entry = lambda split, d, rel: dict(img_path=f'{split}{d}{rel}.jpg', split=split,  # noqa
                                       design_id=d, relation=rel, category='dress',
                                       modified_regions=['collar'] if rel == 'plagiarized'
                                       else [])
    ann = write_pf(tmp_path / 'pf.json', meta, [
        entry('query', 1, 'original'), entry('gallery', 1, 'plagiarized'),
        entry('gallery', 2, 'original'), entry('gallery', 1, 'identical')])
    metric = PSNetPrecisionAtK(str(ann), topk=(1, 2))
    metric.dataset_meta = dict(gallery_bad_inputs=[_record('gallery', 0, 'skipped')])
    q = DataSample(metainfo=dict(design_id=1)).set_pred_score(torch.tensor([0.9, 0.5, 0.1]))
    bad = DataSample(metainfo=dict(design_id=1, bad_input=_record('query', 1, 'skipped')))
    metric.process([], [q.to_dict(), bad.to_dict()])
    out = metric.evaluate(2)
    # entry 0 (relevant, best score) never ranks: ranking 1, 2 -> the identical copy at 2
    assert out['cbam/P@1'] == 0.0 and out['cbam/P@2'] == 50.0
    assert out['cbam/mAP@2'] == 50.0
    assert out['cbam/num_queries'] == 2 and out['cbam/num_skipped_unreadable'] == 1
