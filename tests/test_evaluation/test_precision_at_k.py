"""PSNetPrecisionAtK: the CBAM paper's P@K (eq. 5) and mAP (eq. 6/7) on hand-computed cases."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.registry import METRICS
from mmpretrain.structures import DataSample

from ps_net.datasets.pf_format import dump_pf
from ps_net.evaluation.metrics.precision_at_k import PSNetPrecisionAtK

calc = PSNetPrecisionAtK.calculate

# One query, 6 gallery images sorted by distance; relevant (label 'a') at ranks 1, 3, 4.
DIST = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]])
GALLERY = ['a', 'b', 'a', 'a', 'b', 'b']


def _sample(scores, design_id=None, category=None):
    meta = {}
    if design_id is not None:
        meta['design_id'] = design_id
    if category is not None:
        meta['category'] = category
    return DataSample(metainfo=meta).set_pred_score(torch.as_tensor(scores)).to_dict()


def test_literal_precision_values():
    out = calc(DIST, ['a'], GALLERY, topk=(1, 2, 3, 5), ranking='distance')
    # N_r = 1, 1, 2, 3 in the top 1, 2, 3, 5
    assert out['P@1'] == 100.0 and out['P@2'] == 50.0
    assert out['P@3'] == pytest.approx(200 / 3) and out['P@5'] == 60.0


def test_truncated_ap_and_literal_eq6():
    out = calc(DIST, ['a'], GALLERY, topk=(2, 5), ranking='distance')
    # K=2: relevant rank 1 -> AP@2 = 1; eq.6 = P_1 = 1
    assert out['mAP@2'] == 100.0 and out['eq6_mAP@2'] == 100.0
    # K=5: ranks 1, 3, 4 -> AP@5 = (1/1 + 2/3 + 3/4) / 3; eq.6 = (P_1 + P_2 + P_3) / 3
    #      = (1 + 1/2 + 2/3) / 3
    assert out['mAP@5'] == pytest.approx(100 * (1 + 2 / 3 + 3 / 4) / 3)
    assert out['eq6_mAP@5'] == pytest.approx(100 * (1 + 1 / 2 + 2 / 3) / 3)
    assert out['eq6_num_undefined@5'] == 0


def test_eq6_undefined_when_nothing_relevant_retrieved():
    dist = np.array([[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]])
    # q0 'a': relevant at rank 3 only; q1 'z': nothing relevant at all
    out = calc(dist, ['a', 'z'], ['b', 'b', 'a'], topk=(2, 3), ranking='distance')
    assert out['P@2'] == 0.0 and out['mAP@2'] == 0.0
    assert math.isnan(out['eq6_mAP@2']) and out['eq6_num_undefined@2'] == 2
    # K=3: q0 N_r = 1, P@3 = 1/3, AP@3 = 1/3, eq.6 = P_1 = 0; q1 counts 0 in P and AP
    assert out['P@3'] == pytest.approx(100 / 6) and out['mAP@3'] == pytest.approx(100 / 6)
    assert out['eq6_mAP@3'] == 0.0 and out['eq6_num_undefined@3'] == 1
    assert out['num_queries'] == 2 and out['num_without_relevant'] == 1


def test_k_larger_than_gallery_keeps_k_denominator():
    out = calc(np.array([[0.1, 0.2]]), ['a'], ['a', 'a'], topk=4, ranking='distance')
    assert out['P@4'] == 50.0 and out['mAP@4'] == 100.0


def test_similarity_is_reversed_distance_and_euclidean():
    sim = calc(-DIST, ['a'], GALLERY, topk=(1, 3, 5), ranking='similarity')
    dist = calc(DIST, ['a'], GALLERY, topk=(1, 3, 5), ranking='distance')
    assert sim == dist
    rng = np.random.default_rng(1)
    q, g = rng.normal(size=(3, 4)), rng.normal(size=(7, 4))
    d = PSNetPrecisionAtK.euclidean_distances(q, g)
    assert d.shape == (3, 7)
    assert d[1, 2] == pytest.approx(np.linalg.norm(q[1] - g[2]))


def test_tie_rule_gallery_order():
    flat = np.zeros((1, 3))
    assert calc(flat, ['a'], ['b', 'b', 'a'], topk=1, ranking='distance')['P@1'] == 0.0
    assert calc(flat, ['a'], ['a', 'b', 'b'], topk=1, ranking='similarity')['P@1'] == 100.0


def test_gallery_mask_and_category_labels():
    out = calc(DIST, ['a'], GALLERY, topk=1, ranking='distance',
               gallery_mask=np.array([False, True, True, True, True, True]))
    assert out['P@1'] == 0.0
    with pytest.raises(ValueError, match='gallery_mask'):
        calc(DIST, ['a'], GALLERY, topk=1, gallery_mask=[1, 0, 1, 1, 1, 1])


@pytest.fixture
def pf_file(tmp_path: Path) -> str:
    """Query of design 1 (dress); gallery g0 its 'irrelevant' hard negative, g1 its copy, g2 an
    outwear of design 2, g3 its identical image."""
    entry = dict(split='gallery', category='dress', modified_regions=[])
    data = dict(
        metainfo=dict(format_version=1, categories=['dress', 'outwear'], regions=['collar']),
        data_list=[
            dict(entry, img_path='q.jpg', split='query', design_id=1, relation='original'),
            dict(entry, img_path='g0.jpg', design_id=1, relation='irrelevant'),
            dict(entry, img_path='g1.jpg', design_id=1, relation='plagiarized',
                 modified_regions=['collar']),
            dict(entry, img_path='g2.jpg', design_id=2, relation='identical',
                 category='outwear'),
            dict(entry, img_path='g3.jpg', design_id=1, relation='identical'),
        ])
    path = tmp_path / 'pf.json'
    dump_pf(data, str(path))
    return str(path)


@pytest.mark.parametrize('kwargs, bad', [
    (dict(topk=0), '0'), (dict(topk=(5, 5)), '(5, 5)'), (dict(ranking='cosine'), "'cosine'"),
    (dict(relevance='item'), "'item'"), (dict(prefix=''), "''"), (dict(score_key=''), "''"),
    (dict(gallery_ann_file=3), '3'), (dict(gallery_ann_file=''), "''"),
])
def test_constructor_validates_and_echoes(pf_file, kwargs, bad):
    with pytest.raises(ValueError) as err:
        PSNetPrecisionAtK(**dict(dict(gallery_ann_file=pf_file), **kwargs))
    assert bad in str(err.value)


def test_gallery_file_without_gallery_refused(tmp_path: Path):
    data = dict(metainfo=dict(format_version=1, categories=['dress'], regions=['collar']),
                data_list=[dict(img_path='q.jpg', split='query', design_id=1,
                                relation='original', category='dress', modified_regions=[])])
    path = tmp_path / 'queries_only.json'
    dump_pf(data, str(path))
    with pytest.raises(ValueError, match="no 'gallery' entry"):
        PSNetPrecisionAtK(gallery_ann_file=str(path))


def test_calculate_bad_inputs():
    with pytest.raises(ValueError, match="'euclid'"):
        calc(DIST, ['a'], GALLERY, ranking='euclid')
    with pytest.raises(ValueError, match='one label per gallery entry'):
        calc(DIST, ['a'], GALLERY[:3])
    with pytest.raises(ValueError, match='one label per query'):
        calc(DIST, ['a', 'b'], GALLERY)
    with pytest.raises(ValueError, match='NaN'):
        calc(np.array([[np.nan, 0.1]]), ['a'], ['a', 'b'])


def test_registered_and_process_with_pf_file(pf_file):
    scores = [0.9, 0.8, 0.7, 0.1]  # similarities
    metric = METRICS.build(dict(type='PSNetPrecisionAtK', topk=(1, 2, 4),
                                gallery_ann_file=pf_file))
    assert metric.prefix == 'cbam'
    metric.process([], [_sample(scores, design_id=1, category='dress')])
    out = metric.evaluate(1)
    # design relevance: g0 is an 'irrelevant' hard negative of design 1, so relevant are g1, g3
    # at ranks 2 and 4: P@1 = 0, P@2 = 1/2, P@4 = 2/4; AP@4 = (1/2 + 2/4) / 2 = 1/2;
    # eq.6 @4 = (P_1 + P_2) / 2 = 1/4
    assert out['cbam/P@1'] == 0.0 and out['cbam/P@2'] == 50.0 and out['cbam/P@4'] == 50.0
    assert out['cbam/mAP@4'] == 50.0 and out['cbam/eq6_mAP@4'] == 25.0
    assert math.isnan(out['cbam/eq6_mAP@1']) and out['cbam/eq6_num_undefined@1'] == 1

    by_cat = PSNetPrecisionAtK(topk=(1, 2), relevance='category', gallery_ann_file=pf_file)
    by_cat.process([], [_sample(scores, design_id=1, category='dress')])
    out = by_cat.evaluate(1)
    assert out['cbam/P@1'] == 100.0 and out['cbam/P@2'] == 100.0  # g0, g1 are dresses

    evaluator = Evaluator(PSNetPrecisionAtK(gallery_ann_file=pf_file, topk=(1, 2, 4),
                                            prefix='val'))
    evaluator.process([DataSample(metainfo=dict(design_id=1)).set_pred_score(
        torch.tensor(scores))])
    assert evaluator.evaluate(1)['val/P@2'] == 50.0


def test_process_errors(pf_file):
    metric = PSNetPrecisionAtK(gallery_ann_file=pf_file, topk=1)
    with pytest.raises(ValueError, match="'design_id'.*meta_keys"):
        metric.process([], [_sample([0.1, 0.2, 0.3, 0.4], category='dress')])
    with pytest.raises(ValueError, match='design_id must be one int'):
        metric.process([], [_sample([0.1, 0.2, 0.3, 0.4], design_id=[1, 2])])
    with pytest.raises(ValueError, match='1 gallery scores but the gallery has 4'):
        metric.process([], [_sample([0.1], design_id=1)])
    by_cat = PSNetPrecisionAtK(gallery_ann_file=pf_file, topk=1, relevance='category')
    with pytest.raises(ValueError, match="'category'"):
        by_cat.process([], [_sample([0.1, 0.2, 0.3, 0.4], design_id=1)])
