"""DeepFashion FLD through mmpose's DeepFashionDataset (+ load_fld_coco) and In-shop through
mmpretrain's InShop."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ps_net.datasets.fld import FLD_NUM_KEYPOINTS, FLDFormatError, load_fld_coco


def _fld_dir(shared_data: Path) -> Path:
    folder = shared_data / 'fashion-format-samples' / 'fld'
    if not (folder / 'test_fld.json').is_file():
        pytest.skip(f'FLD sample {folder}/test_fld.json is absent')
    return folder


# ----------------------------------------------------------------------------- FLD
def test_fld_sample_through_mmpose(shared_data):
    import mmpose.datasets  # noqa: F401  (registers DeepFashionDataset)
    from mmpose.registry import DATASETS

    folder = _fld_dir(shared_data)
    cfg = dict(type='DeepFashionDataset', subset='full', data_mode='topdown',
               data_root=str(folder), ann_file='test_fld.json', data_prefix=dict(img=''),
               test_mode=True, pipeline=[])
    ds = DATASETS.build(cfg)
    assert ds.metainfo['num_keypoints'] == FLD_NUM_KEYPOINTS == 8
    assert ds.metainfo['keypoint_id2name'][0] == 'left collar'
    assert ds.metainfo['keypoint_id2name'][7] == 'right hem'
    assert len(ds) == 2

    first, second = ds.get_data_info(0), ds.get_data_info(1)
    assert first['img_id'] == 128 and first['img_path'].endswith('img_00000128.jpg')
    assert first['keypoints'].shape == (1, 8, 2)
    np.testing.assert_array_equal(first['keypoints'][0, 0], [108.0, 33.0])
    np.testing.assert_array_equal(first['keypoints'][0, 7], [112.0, 143.0])
    np.testing.assert_array_equal(first['keypoints_visible'][0], np.ones(8))
    np.testing.assert_array_equal(first['bbox'][0], [88, 21, 136, 163])  # xywh -> xyxy
    assert first['num_keypoints'] == 8
    # image 132: the left hem is absent (0, 0, 0); 7 landmarks labelled
    assert second['num_keypoints'] == 7
    np.testing.assert_array_equal(second['keypoints_visible'][0], [1, 1, 1, 1, 1, 1, 0, 1])
    np.testing.assert_array_equal(second['keypoints'][0, 7], [172.0, 235.0])


def test_load_fld_coco_sample(shared_data):
    data = load_fld_coco(_fld_dir(shared_data) / 'test_fld.json')
    assert [a['id'] for a in data['annotations']] == [128, 132]
    assert data['annotations'][0]['keypoints'][:3] == [108.0, 33.0, 1.0]
    assert data['annotations'][1]['num_keypoints'] == 7


def _fld_dict() -> dict:
    kpts = [10.0, 20.0, 2.0] * FLD_NUM_KEYPOINTS
    return dict(images=[dict(id=1, file_name='a.jpg', width=20, height=30),
                        dict(id=2, file_name='b.jpg', width=20, height=30)],
                annotations=[dict(id=11, image_id=1, keypoints=list(kpts), bbox=[1, 2, 3, 4]),
                             dict(id=12, image_id=2, keypoints=list(kpts), bbox=[1, 2, 3, 4])],
                categories=[dict(id=1, name='fashion')])


def _set(field, value):
    def mutate(data):
        data['annotations'][1][field] = value
    return mutate


FLD_CASES = [
    ('23 numbers', _set('keypoints', [1.0] * 23), ['keypoints', '3*8=24', 'got 23']),
    ('no keypoints', lambda d: d['annotations'][1].pop('keypoints'), ['keypoints', 'None']),
    ('visibility 3', _set('keypoints', [1.0, 1.0, 3.0] * 8), ['landmark 1', 'got 3.0']),
    ('text value', _set('keypoints', ['1'] + [1.0] * 23), ['value 0', "'1'"]),
    ('bad bbox', _set('bbox', [1, 2, 3]), ['bbox', '[1, 2, 3]']),
    ('unknown image', _set('image_id', 9), ['image_id', '9']),
]


@pytest.mark.parametrize('case,mutate,words', FLD_CASES, ids=[c[0] for c in FLD_CASES])
def test_load_fld_coco_errors(tmp_path, case, mutate, words):
    data = _fld_dict()
    path = tmp_path / 'fld_bad.json'
    path.write_text(json.dumps(data))
    assert load_fld_coco(path) == data
    mutate(data)
    path.write_text(json.dumps(data))
    with pytest.raises(FLDFormatError) as info:
        load_fld_coco(path)
    message = str(info.value)
    assert 'fld_bad.json' in message and 'annotations[1] (id 12)' in message
    for word in words:
        assert word in message, (word, message)


def test_load_fld_coco_file_errors(tmp_path):
    path = tmp_path / 'broken.json'
    path.write_text('{"images": [')
    with pytest.raises(FLDFormatError, match=r'broken\.json: invalid JSON'):
        load_fld_coco(path)
    path.write_text(json.dumps({'images': []}))
    with pytest.raises(FLDFormatError, match=r'broken\.json: annotations: expected a list'):
        load_fld_coco(path)


# ----------------------------------------------------------------------------- In-shop
INSHOP_LINES = [
    ('img/WOMEN/Dresses/id_00000001/01_1_front.jpg', 'id_00000001', 'train'),
    ('img/WOMEN/Dresses/id_00000003/01_1_front.jpg', 'id_00000003', 'gallery'),
    ('img/WOMEN/Dresses/id_00000003/02_2_side.jpg', 'id_00000003', 'query'),
    ('img/MEN/Shirts_Polos/id_00000002/01_1_front.jpg', 'id_00000002', 'train'),
    ('img/WOMEN/Dresses/id_00000001/02_2_side.jpg', 'id_00000001', 'train'),
    ('img/MEN/Denim/id_00000004/01_1_front.jpg', 'id_00000004', 'gallery'),
    ('img/WOMEN/Dresses/id_00000003/03_4_full.jpg', 'id_00000003', 'gallery'),
    ('img/MEN/Denim/id_00000004/02_2_side.jpg', 'id_00000004', 'query'),
]


@pytest.fixture
def inshop_root(tmp_path) -> Path:
    """A tiny In-shop layout: Eval/list_eval_partition.txt and Img/img/... images."""
    root = tmp_path / 'inshop'
    (root / 'Eval').mkdir(parents=True)
    lines = [str(len(INSHOP_LINES)), 'image_name item_id evaluation_status']
    lines += [f'{name:<60} {item} {status}' for name, item, status in INSHOP_LINES]
    (root / 'Eval' / 'list_eval_partition.txt').write_text('\n'.join(lines) + '\n')
    for name, _, _ in INSHOP_LINES:
        path = root / 'Img' / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new('RGB', (8, 12)).save(path)
    return root


def _infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_inshop_splits(inshop_root):
    from mmpretrain.datasets import InShop

    train = InShop(data_root=str(inshop_root), split='train')
    infos = _infos(train)
    assert len(train) == 3
    assert [int(i['gt_label']) for i in infos] == [0, 1, 0]  # id_1 -> 0, id_2 -> 1
    assert infos[0]['img_path'] == os.path.join(str(inshop_root), 'Img',
                                                'img/WOMEN/Dresses/id_00000001/01_1_front.jpg')
    assert all(os.path.isfile(i['img_path']) for i in infos)

    gallery = InShop(data_root=str(inshop_root), split='gallery')
    g_infos = _infos(gallery)
    assert len(gallery) == 3
    assert [i['sample_idx'] for i in g_infos] == [0, 1, 2]
    assert [Path(i['img_path']).parent.name for i in g_infos] == [
        'id_00000003', 'id_00000004', 'id_00000003']

    query = InShop(data_root=str(inshop_root), split='query')
    q_infos = _infos(query)
    assert len(query) == 2
    # each query's label is the list of gallery positions of its item
    assert [list(i['gt_label']) for i in q_infos] == [[0, 2], [1]]
    assert q_infos[0]['img_path'].endswith('id_00000003/02_2_side.jpg')


def test_inshop_rejects_unknown_split(inshop_root):
    from mmpretrain.datasets import InShop

    with pytest.raises(AssertionError, match='val'):
        InShop(data_root=str(inshop_root), split='val')
