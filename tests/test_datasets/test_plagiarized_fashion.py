"""PlagiarizedFashionDataset: loading, splits, fields, ground truth and pipelines."""
import json
import os

import numpy as np
import pytest
from mmpretrain.registry import DATASETS

from ps_net.structures import REGIONS
from ps_net.datasets.pf_format import PFFormatError
from ps_net.datasets.plagiarized_fashion import PlagiarizedFashionDataset
from tests.test_datasets.test_pf_format import make_pf


@pytest.fixture
def pf_file(tmp_path):
    path = tmp_path / 'annotations' / 'test.json'
    path.parent.mkdir()
    path.write_text(json.dumps(make_pf()))
    return path


def _build(pf_file, **kwargs):
    return PlagiarizedFashionDataset(ann_file=str(pf_file), **kwargs)


def test_whole_file_loads_with_exact_fields(pf_file):
    ds = _build(pf_file, data_root='/data/pf', data_prefix='img')
    assert len(ds) == 10
    assert ds.query_indices.tolist() == [0, 3, 7]
    assert ds.gallery_indices.tolist() == [1, 2, 4, 5, 6, 8, 9]
    q0 = ds.get_data_info(0)
    assert q0['img_path'] == '/data/pf/img/images/q0.jpg'
    assert (q0['split'], q0['design_id'], q0['relation'], q0['category']) == \
        ('query', 1, 'original', 'dress')
    assert q0['category_label'] == 3 and q0['modified_regions'] == []
    assert q0['bbox'].dtype == np.float32 and q0['bbox'].tolist() == [12, 30, 380, 510]
    assert q0['landmarks'] is None and q0['region_boxes'] is None
    assert (q0['pf_index'], q0['split_index']) == (0, 0)
    assert q0['gt_label'].tolist() == [0, 1] and q0['gt_ignored'].tolist() == [2]

    g0 = ds.get_data_info(1)
    assert 'gt_label' not in g0 and 'gt_ignored' not in g0
    assert g0['landmarks'].shape == (3, 3) and g0['landmarks'].dtype == np.float32
    np.testing.assert_allclose(g0['landmarks'], [[101.5, 40.0, 2], [250.0, 41.5, 1], [0, 0, 0]])
    assert g0['modified_region_mask'].tolist() == [False, False, True, False, False]
    assert g0['bbox'] is None

    g1 = ds.get_data_info(2)
    assert g1['modified_regions'] == ['left_sleeve', 'right_sleeve', 'chest']
    assert g1['modified_region_mask'].tolist() == [True, True, False, True, False]
    assert sorted(g1['region_boxes']) == ['chest', 'collar']
    assert g1['region_boxes']['chest'].tolist() == [5.5, 30, 60, 80]

    g6 = ds.get_data_info(9)
    assert g6['img_path'] == '/abs/images/g6.jpg'  # absolute paths are kept
    assert (g6['pf_index'], g6['split_index'], g6['category_label']) == (9, 6, 1)


def test_metainfo_comes_from_the_file(pf_file):
    ds = _build(pf_file)
    assert ds.categories == ('short_sleeved_top', 'long_sleeved_top', 'outwear', 'dress')
    assert ds.regions == REGIONS
    assert ds.CLASSES == ds.categories
    assert ds.metainfo['dataset_name'] == 'hand-made'
    assert ds.metainfo['format_version'] == 1


def test_file_with_its_own_categories(tmp_path):
    data = make_pf()
    data['metainfo']['categories'] = ['dress', 'outwear', 'short_sleeved_top',
                                      'long_sleeved_top', 'hat']
    path = tmp_path / 'own.json'
    path.write_text(json.dumps(data))
    ds = _build(path)
    assert ds.categories[-1] == 'hat'
    assert [ds.get_data_info(i)['category_label'] for i in range(len(ds))] == \
        [0, 0, 0, 1, 0, 0, 1, 2, 2, 3]
    assert ds.get_cat_ids(3) == [1]


def test_relative_paths_without_root(pf_file):
    ds = _build(pf_file)
    assert ds.get_data_info(0)['img_path'] == 'images/q0.jpg'


def test_query_split(pf_file):
    ds = _build(pf_file, split='query')
    assert len(ds) == 3
    assert [ds.get_data_info(i)['design_id'] for i in range(3)] == [1, 2, 3]
    assert ds.query_indices.tolist() == [0, 1, 2] and ds.gallery_indices.tolist() == []
    assert [ds.get_data_info(i)['gt_label'].tolist() for i in range(3)] == [[0, 1], [4], []]
    assert [ds.get_data_info(i)['gt_ignored'].tolist() for i in range(3)] == [[2], [], [5]]
    assert ds.num_gallery == 7


def test_gallery_split_order_is_gallery_position(pf_file):
    ds = _build(pf_file, split='gallery')
    assert len(ds) == 7
    assert [ds.get_data_info(i)['split_index'] for i in range(7)] == list(range(7))
    assert [ds.get_data_info(i)['relation'] for i in range(7)] == [
        'plagiarized', 'plagiarized', 'identical', 'irrelevant', 'plagiarized', 'identical',
        'original']
    # the gallery dataset answers for the file's queries
    assert [p.tolist() for p in ds.ground_truth().positives] == [[0, 1], [4], []]


def test_identical_task_sets_query_labels(pf_file):
    ds = _build(pf_file, split='query', task='identical')
    assert [ds.get_data_info(i)['gt_label'].tolist() for i in range(3)] == [[2], [], [5]]
    assert [ds.get_data_info(i)['gt_ignored'].tolist() for i in range(3)] == [[0, 1], [4], []]


@pytest.mark.parametrize('split', [None, 'query', 'gallery'])
def test_ground_truth_for_both_tasks(pf_file, split):
    ds = _build(pf_file, split=split)
    plag = ds.ground_truth()
    assert plag.task == 'plagiarized'
    assert [p.tolist() for p in plag.positives] == [[0, 1], [4], []]
    assert [i.tolist() for i in plag.ignored] == [[2], [], [5]]
    assert plag.skipped.tolist() == [False, False, True]
    ident = ds.ground_truth('identical')
    assert [p.tolist() for p in ident.positives] == [[2], [], [5]]
    assert [i.tolist() for i in ident.ignored] == [[0, 1], [4], []]
    assert ident.skipped.tolist() == [False, True, False]


def test_query_subset_keeps_gallery_positions(pf_file):
    ds = _build(pf_file, split='query', indices=[2, 0])
    assert [ds.get_data_info(i)['design_id'] for i in range(2)] == [3, 1]
    gt = ds.ground_truth()
    assert [p.tolist() for p in gt.positives] == [[], [0, 1]]
    assert gt.num_gallery == 7


@pytest.mark.parametrize('kwargs,words', [
    (dict(split='train'), "got 'train'"),
    (dict(task='copies'), "got 'copies'"),
    (dict(split='gallery', indices=3), "got split='gallery'"),
    (dict(indices=[0, 1]), 'got split=None'),
])
def test_bad_arguments_are_echoed(pf_file, kwargs, words):
    with pytest.raises(ValueError, match=words):
        _build(pf_file, **kwargs)


def test_metainfo_argument_must_agree_with_the_file(pf_file):
    with pytest.raises(ValueError, match="metainfo\\['regions'\\]"):
        _build(pf_file, metainfo=dict(regions=['collar']))
    ds = _build(pf_file, metainfo=dict(regions=list(REGIONS), dataset_name='renamed'))
    assert ds.metainfo['dataset_name'] == 'renamed'


@pytest.mark.parametrize('index,field,value', [
    (1, 'relation', 'copy'),
    (6, 'modified_regions', ['hood']),
    (3, 'relation', 'identical'),
    (8, 'design_id', '3'),
])
def test_malformed_file_is_refused_naming_file_entry_and_field(tmp_path, index, field, value):
    data = make_pf()
    data['data_list'][index][field] = value
    path = tmp_path / 'broken.json'
    path.write_text(json.dumps(data))
    with pytest.raises(PFFormatError) as err:
        _build(path, split='gallery')
    assert f"{path}: data_list[{index}] field '{field}'" in str(err.value)


def test_built_from_the_registry(pf_file):
    ds = DATASETS.build(dict(type='PlagiarizedFashionDataset', ann_file=str(pf_file),
                             split='gallery'))
    assert isinstance(ds, PlagiarizedFashionDataset) and len(ds) == 7


def test_lazy_init_loads_on_first_use(pf_file):
    ds = _build(pf_file, split='query', lazy_init=True)
    assert ds.ground_truth().num_queries == 3
    assert len(ds) == 3


def test_pipeline_on_real_photos(shared_data, tmp_path):
    photos = sorted((shared_data / 'clothing-small' / 'train' / 'dress').glob('*.jpg'))[:2]
    if len(photos) < 2:
        pytest.skip('clothing-small/train/dress has fewer than two photos')
    data = make_pf()
    data['data_list'] = [
        dict(img_path=os.path.relpath(photos[0], shared_data), split='query', design_id=5,
             relation='original', category='dress', modified_regions=[]),
        dict(img_path=str(photos[1]), split='gallery', design_id=5, relation='plagiarized',
             category='dress', modified_regions=['waist']),
    ]
    path = tmp_path / 'photos.json'
    path.write_text(json.dumps(data))
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    query = _build(path, split='query', data_root=str(shared_data), pipeline=pipeline)
    sample = query[0]
    assert sample['inputs'].ndim == 3 and sample['inputs'].shape[0] == 3
    assert sample['data_samples'].gt_label.tolist() == [0]
    gallery = _build(path, split='gallery', data_root=str(shared_data), pipeline=pipeline)
    assert gallery[0]['data_samples'].img_path == str(photos[1])


def test_training_sets_can_leave_out_retrieval_labels(tmp_path):
    path = tmp_path / 'pf.json'
    path.write_text(json.dumps(make_pf()))
    ds = PlagiarizedFashionDataset(ann_file=str(path), with_retrieval_labels=False)
    assert all('gt_label' not in ds.get_data_info(i) and 'gt_ignored' not in ds.get_data_info(i)
               for i in range(len(ds)))
    with_labels = PlagiarizedFashionDataset(ann_file=str(path))
    assert 'gt_label' in with_labels.get_data_info(0)
