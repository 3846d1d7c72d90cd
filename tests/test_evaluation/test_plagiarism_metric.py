"""PSNetPlagiarismMetric: Recall@K, HitRate@K and mAP on hand-computed rankings."""
import math
from pathlib import Path
from typing import List, Optional

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.registry import METRICS
from mmpretrain.structures import DataSample

from ps_net.datasets.pf_format import dump_pf, pf_ground_truth_arrays
from ps_net.datasets.plagiarized_fashion import PlagiarizedFashionDataset
from ps_net.evaluation.metrics.plagiarism import PSNetPlagiarismMetric

calc = PSNetPlagiarismMetric.calculate


def _entry(path, split, design_id, relation, category='dress'):
    return dict(img_path=path, split=split, design_id=design_id, relation=relation,
                category=category,
                modified_regions=['collar'] if relation == 'plagiarized' else [])


# Queries: design 1 (dress), design 2 (outwear), design 3 (dress, no plagiarized copy: skipped).
# Gallery positions 0..6.
GALLERY = [(1, 'identical'), (1, 'plagiarized'), (2, 'plagiarized'), (1, 'irrelevant'),
           (2, 'plagiarized'), (3, 'identical'), (9, 'original')]
QUERIES = [(1, 'dress'), (2, 'outwear'), (3, 'dress')]


def make_pf() -> dict:
    entries = [_entry(f'q{i}.jpg', 'query', d, 'original', c) for i, (d, c) in enumerate(QUERIES)]
    entries += [_entry(f'g{i}.jpg', 'gallery', d, r) for i, (d, r) in enumerate(GALLERY)]
    return dict(metainfo=dict(format_version=1, categories=['dress', 'outwear'],
                              regions=['collar', 'chest']),
                data_list=entries)


@pytest.fixture
def pf_file(tmp_path: Path) -> str:
    path = tmp_path / 'pf_test.json'
    dump_pf(make_pf(), str(path))
    return str(path)


# Similarities of the three queries to the 7 gallery entries.
SCORES = np.array([
    # q0 (design 1): ignored 0 first, then 3 (irrelevant), 1 (positive): rank 2 after removal
    [0.99, 0.70, 0.10, 0.80, 0.20, 0.30, 0.40],
    # q1 (design 2): ranking 2, 6, 3, 1, 5, 0, 4: positives 2 and 4 at ranks 1 and 7
    [0.10, 0.50, 0.90, 0.60, 0.05, 0.40, 0.70],
    # q2 (design 3): no positive
    [0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70],
])


# Their ground truth (task plagiarized): positives and ignored gallery positions per query.
POSITIVES, IGNORED = [[1], [2, 4], []], [[0], [], [5]]


def _sample(scores, positives, ignored, category: Optional[str] = 'dress', as_dict=True):
    """A query data sample as the test loop hands it to the metric."""
    sample = DataSample(metainfo=dict(sample_idx=0) if category is None else
                        dict(sample_idx=0, category=category))
    sample.set_pred_score(torch.as_tensor(scores)).set_gt_label(positives)
    sample.set_field(np.asarray(ignored, dtype=np.int64), 'gt_ignored')
    return sample.to_dict() if as_dict else sample


def _samples(as_dict=True) -> List[dict]:
    return [_sample(s, p, i, c, as_dict)
            for s, p, i, (_, c) in zip(SCORES, POSITIVES, IGNORED, QUERIES)]


# ----------------------------------------------------------------------------- calculate
def test_ignored_first_is_neither_hit_nor_miss():
    scores = np.array([[0.9, 0.8, 0.1]])
    with_ignore = calc(scores, [[1]], [[0]], topk=1)
    assert with_ignore['Recall@1'] == 100.0 and with_ignore['HitRate@1'] == 100.0
    assert with_ignore['mAP'] == 100.0
    as_negative = calc(scores, [[1]], [[]], topk=1)  # the same entry as a plain negative
    assert as_negative['Recall@1'] == 0.0 and as_negative['mAP'] == 50.0


def test_skipped_query_counted_not_averaged():
    scores = np.array([[0.9, 0.1], [0.9, 0.1]])
    out = calc(scores, [[0], []], [[], [1]], topk=1)
    assert out['num_queries'] == 2 and out['num_skipped'] == 1 and out['num_evaluated'] == 1
    assert out['Recall@1'] == out['HitRate@1'] == out['mAP'] == 100.0  # not 50


def test_all_skipped_gives_nan_not_zero():
    out = calc(np.array([[0.3, 0.2]]), [[]], [[]], topk=1)
    assert math.isnan(out['Recall@1']) and math.isnan(out['HitRate@1'])
    assert math.isnan(out['mAP'])
    assert out['num_skipped'] == 1 and out['num_evaluated'] == 0


def test_recall_and_hitrate_differ_with_two_positives():
    # positives at ranks 1 and 3
    out = calc(np.array([[0.9, 0.8, 0.7, 0.6]]), [[0, 2]], [[]], topk=(1, 2, 3))
    assert out['HitRate@1'] == out['HitRate@2'] == 100.0
    assert out['Recall@1'] == out['Recall@2'] == 50.0
    assert out['Recall@3'] == out['HitRate@3'] == 100.0


def test_map_hand_computed():
    # q0: positives at ranks 2 and 4 -> AP = (1/2 + 2/4) / 2 = 1/2
    # q1: one positive at rank 3 -> AP = 1/3;  mAP = (1/2 + 1/3) / 2 = 5/12
    scores = np.array([[0.9, 0.8, 0.7, 0.6], [0.1, 0.2, 0.3, 0.4]])
    out = calc(scores, [[1, 3], [1]], [[], []], topk=1)
    assert out['mAP'] == pytest.approx(100 * 5 / 12)
    # an ignored entry ranked above q0's positives moves both up: ranks 1 and 3
    out = calc(scores, [[1, 3], [1]], [[0], []], topk=1)
    assert out['mAP'] == pytest.approx(100 * ((1 + 2 / 3) / 2 + 1 / 3) / 2)


def test_per_category_keys():
    scores = np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.4]])
    out = calc(scores, [[0], [0], []], [[], [], []], topk=1,
               categories=['dress', 'outwear', 'dress'])
    assert out['dress/Recall@1'] == 100.0 and out['outwear/Recall@1'] == 0.0
    assert out['dress/num_queries'] == 2 and out['dress/num_skipped'] == 1
    assert out['outwear/mAP'] == 50.0 and out['mAP'] == 75.0
    assert {'dress/HitRate@1', 'outwear/HitRate@1', 'dress/mAP'} <= set(out)


def test_tie_rule_lower_gallery_index_first():
    flat = np.array([[0.5, 0.5, 0.5]])
    assert calc(flat, [[2]], [[]], topk=(1, 2, 3))['Recall@2'] == 0.0  # rank 3
    assert calc(flat, [[2]], [[]], topk=(1, 2, 3))['Recall@3'] == 100.0
    assert calc(flat, [[0]], [[]], topk=1)['Recall@1'] == 100.0
    # the ignored tied entry is removed: positive 2 moves to rank 2
    assert calc(flat, [[2]], [[0]], topk=2)['Recall@2'] == 100.0


def test_calculate_matches_pf_ground_truth():
    gt = pf_ground_truth_arrays([d for d, _ in QUERIES], [d for d, _ in GALLERY],
                                [r for _, r in GALLERY])
    assert [p.tolist() for p in gt.positives] == POSITIVES
    assert [i.tolist() for i in gt.ignored] == IGNORED
    out = calc(SCORES, gt.positives, gt.ignored, topk=(1, 2, 5))
    # q0: ranking without ignored 0 is 3, 1, ...: positive 1 at rank 2 (AP 1/2);
    # q1: positives at ranks 1 and 7 (AP (1 + 2/7) / 2); q2 skipped
    assert out['num_skipped'] == 1 and out['num_evaluated'] == 2
    assert out['Recall@1'] == pytest.approx((0 + 0.5) / 2 * 100)
    assert out['HitRate@1'] == 50.0 and out['HitRate@2'] == 100.0
    assert out['Recall@5'] == pytest.approx((1 + 0.5) / 2 * 100)
    assert out['mAP'] == pytest.approx(100 * (1 / 2 + (1 + 2 / 7) / 2) / 2)


@pytest.mark.parametrize('kwargs, match', [
    (dict(topk=0), 'topk'), (dict(topk=(5, -1)), 'topk'), (dict(topk='10'), 'topk'),
    (dict(topk=()), 'topk'), (dict(topk=True), 'topk'), (dict(topk=(5, 5)), 'repeat'),
    (dict(topk=2.5), 'topk'),
])
def test_calculate_bad_topk(kwargs, match):
    with pytest.raises(ValueError, match=match) as err:
        calc(np.zeros((1, 2)), [[0]], [[]], **kwargs)
    assert repr(kwargs['topk']) in str(err.value)


def test_calculate_bad_inputs():
    with pytest.raises(ValueError, match=r'\[0, 2\), got \[2\]'):
        calc(np.zeros((1, 2)), [[2]], [[]], topk=1)
    with pytest.raises(ValueError, match=r'\[1\] are both positive .* and ignored'):
        calc(np.zeros((1, 2)), [[1]], [[1]], topk=1)
    with pytest.raises(ValueError, match='NaN'):
        calc(np.array([[0.1, np.nan]]), [[0]], [[]], topk=1)
    with pytest.raises(ValueError, match='one item per query'):
        calc(np.zeros((2, 2)), [[0]], [[], []], topk=1)
    with pytest.raises(ValueError, match='2 dimension'):
        calc(np.zeros(3), [[0]], [[]], topk=1)
    with pytest.raises(ValueError, match='repeat'):
        calc(np.zeros((1, 3)), [[0, 0]], [[]], topk=1)
    with pytest.raises(ValueError, match='int gallery positions'):
        calc(np.zeros((1, 3)), [[0.5]], [[]], topk=1)


# ----------------------------------------------------------------------------- the metric
def test_constructor_validates_and_echoes():
    with pytest.raises(ValueError, match="got 'copy'"):
        PSNetPlagiarismMetric(task='copy')
    with pytest.raises(ValueError, match='got 0'):
        PSNetPlagiarismMetric(topk=0)
    with pytest.raises(ValueError, match="got ''"):
        PSNetPlagiarismMetric(prefix='')
    with pytest.raises(ValueError, match="score_key .* got ''"):
        PSNetPlagiarismMetric(score_key='')
    with pytest.raises(ValueError, match="got 'yes'"):
        PSNetPlagiarismMetric(per_category='yes')


def test_registered_and_default_prefixes():
    metric = METRICS.build(dict(type='PSNetPlagiarismMetric'))
    assert isinstance(metric, PSNetPlagiarismMetric)
    assert metric.prefix == 'plagiarism' and metric.topk == (10, 20, 30)
    assert PSNetPlagiarismMetric(task='identical').prefix == 'identical'
    assert PSNetPlagiarismMetric(task='identical', prefix='val').prefix == 'val'


def test_process_compute_from_samples():
    metric = PSNetPlagiarismMetric(topk=(1, 2, 5))
    metric.process([], _samples())
    out = metric.evaluate(len(QUERIES))
    expected = calc(SCORES, POSITIVES, IGNORED, topk=(1, 2, 5),
                    categories=[c for _, c in QUERIES])
    assert out == {f'plagiarism/{k}': v for k, v in expected.items()}
    assert out['plagiarism/num_queries'] == 3 and out['plagiarism/num_skipped'] == 1
    assert out['plagiarism/dress/Recall@1'] == 0.0  # q0, the only evaluated dress query
    assert out['plagiarism/dress/num_skipped'] == 1
    assert out['plagiarism/outwear/Recall@2'] == 50.0
    assert out['plagiarism/outwear/HitRate@2'] == 100.0
    assert out['plagiarism/mAP'] == pytest.approx(100 * (1 / 2 + (1 + 2 / 7) / 2) / 2)
    for key in ('Recall@1', 'HitRate@1', 'mAP', 'num_queries', 'num_skipped'):
        assert f'plagiarism/{key}' in out and f'plagiarism/outwear/{key}' in out


def test_evaluator_with_data_elements():
    evaluator = Evaluator(PSNetPlagiarismMetric(topk=10))
    samples = _samples(as_dict=False)
    evaluator.process(samples)
    out = evaluator.evaluate(len(samples))
    assert out['plagiarism/Recall@10'] == 100.0 and out['plagiarism/num_skipped'] == 1
    assert out['plagiarism/dress/Recall@10'] == 100.0


def test_per_category_off_and_missing_fields():
    metric = PSNetPlagiarismMetric(topk=1, per_category=False)
    metric.process([], [_sample([0.9, 0.1], [0], [], category=None)])
    out = metric.evaluate(1)
    assert out == {'plagiarism/Recall@1': 100.0, 'plagiarism/HitRate@1': 100.0,
                   'plagiarism/mAP': 100.0, 'plagiarism/num_queries': 1,
                   'plagiarism/num_skipped': 0, 'plagiarism/num_evaluated': 1}
    strict = PSNetPlagiarismMetric(topk=1)
    with pytest.raises(ValueError, match="'category'.*meta_keys"):
        strict.process([], [_sample([0.9, 0.1], [0], [], category=None)])
    no_score = _sample([0.9, 0.1], [0], [])
    del no_score['pred_score']
    with pytest.raises(ValueError, match="needs 'pred_score'"):
        strict.process([], [no_score])
    no_gt = DataSample(metainfo=dict(category='dress')).set_pred_score(
        torch.tensor([0.9, 0.1])).to_dict()
    with pytest.raises(ValueError, match="'gt_label'"):
        strict.process([], [no_gt])


def test_sample_positions_checked():
    metric = PSNetPlagiarismMetric(topk=1)
    with pytest.raises(ValueError, match=r'gt_label must hold gallery positions in \[0, 2\), '
                                         r'got \[2\]'):
        metric.process([], [_sample([0.9, 0.1], [2], [])])
    with pytest.raises(ValueError, match='gt_ignored must hold gallery positions'):
        metric.process([], [_sample([0.9, 0.1], [0], [-1])])


# ----------------------------------------------------------------------------- sample ground truth
def _packed_queries(pf_file: str, task: str = 'plagiarized', algorithm_keys=('gt_ignored', )):
    """Query data samples as the real pipeline packs them (no image needed for PackInputs)."""
    dataset = PlagiarizedFashionDataset(
        ann_file=pf_file, split='query', task=task,
        pipeline=[dict(type='PackInputs', meta_keys=('sample_idx', 'design_id', 'category'),
                       algorithm_keys=algorithm_keys)])
    samples = [dataset[i]['data_samples'] for i in range(len(dataset))]
    return [s.set_pred_score(torch.as_tensor(row)) for s, row in zip(samples, SCORES)]


@pytest.mark.parametrize('task', ['plagiarized', 'identical'])
def test_real_pipeline_equals_ground_truth_of_the_file(pf_file, task):
    evaluator = Evaluator(PSNetPlagiarismMetric(topk=(1, 2, 5), task=task))
    evaluator.process(_packed_queries(pf_file, task))
    out = evaluator.evaluate(3)
    gt = PlagiarizedFashionDataset(ann_file=pf_file, split='query', task=task).ground_truth()
    expected = calc(SCORES, gt.positives, gt.ignored, topk=(1, 2, 5),
                    categories=[c for _, c in QUERIES])
    prefix = PSNetPlagiarismMetric(task=task).prefix
    assert out.keys() == {f'{prefix}/{k}' for k in expected}
    assert all(out[f'{prefix}/{k}'] == v or (math.isnan(v) and math.isnan(out[f'{prefix}/{k}']))
               for k, v in expected.items())
    assert out[f'{prefix}/num_skipped'] == 1
    if task == 'identical':  # the only outwear query has no identical copy: NaN, not 0
        assert math.isnan(out['identical/outwear/Recall@1'])
        assert out['identical/outwear/num_skipped'] == 1


def test_task_identical_swaps_roles(pf_file):
    metric = PSNetPlagiarismMetric(topk=1, task='identical')
    metric.process([], _packed_queries(pf_file, 'identical'))
    out = metric.evaluate(3)
    # q0: positive 0 (identical) ranked first; q1: no identical -> skipped; q2: positive 5
    # ranked 2nd (6 first; nothing ignored for design 3)
    assert out['identical/num_skipped'] == 1 and out['identical/num_evaluated'] == 2
    assert out['identical/Recall@1'] == 50.0
    assert out['identical/mAP'] == pytest.approx(100 * (1 + 1 / 2) / 2)


def test_sample_ground_truth_needs_gt_ignored(pf_file):
    metric = PSNetPlagiarismMetric(topk=1)
    samples = [s.to_dict() for s in _packed_queries(pf_file, algorithm_keys=())]
    with pytest.raises(ValueError, match="no 'gt_ignored'"):
        metric.process([], samples)


def test_sample_ground_truth_task_checked(pf_file):
    metric = PSNetPlagiarismMetric(topk=1, task='identical')
    metric.dataset_meta = dict(task='plagiarized')
    with pytest.raises(ValueError, match="dataset's task 'plagiarized'"):
        metric.process([], [s.to_dict() for s in _packed_queries(pf_file)])


def test_sample_ground_truth_hand_case():
    metric = PSNetPlagiarismMetric(topk=(1, 3))
    metric.process([], [_sample([0.9, 0.8, 0.7, 0.6, 0.5], [1, 3], [0])])
    out = metric.evaluate(1)
    assert out['plagiarism/Recall@1'] == 50.0 and out['plagiarism/HitRate@1'] == 100.0
    assert out['plagiarism/mAP'] == pytest.approx(100 * 5 / 6)
    with pytest.raises(ValueError, match=r'\[1\] are both positive \(gt_label\) and ignored '
                                         r'\(gt_ignored\)'):
        metric.process([], [_sample([0.9, 0.8], [1], [1])])
