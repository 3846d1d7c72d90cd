"""DeepFashion2: raw reader, official-style COCO conversion, its CLI and the error paths."""
import json
import os
from pathlib import Path

import pytest
from PIL import Image

from ps_net.structures import DF2_CATEGORIES
from ps_net.datasets.deepfashion2 import (DF2FormatError, df2_coco_categories,
                                          df2_keypoints_294, df2_to_coco, read_df2_anno,
                                          write_coco_json)
from ps_net.structures.df2_layout import DF2_NUM_SLOTS, df2_slot_range
from tests.conftest import load_tool

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'dataset_converters' / 'deepfashion2_to_coco.py'
COMPARED = ('bbox', 'keypoints', 'num_keypoints', 'pair_id', 'style', 'category_id', 'area',
            'segmentation', 'image_id', 'iscrowd')


tool = load_tool('tools/dataset_converters/deepfashion2_to_coco.py')


# ----------------------------------------------------------------------------- helpers
def _load_sample(shared_data: Path) -> dict:
    path = shared_data / 'fashion-format-samples' / 'deepfashion2' / 'deepfasion2.json'
    if not path.is_file():
        pytest.skip(f'DeepFashion2 sample {path} is absent')
    with open(path) as f:
        return json.load(f)


def coco_to_raw(coco: dict) -> dict:
    """Invert the conversion: COCO dict -> {stem: raw DF2 per-image annotation}."""
    raws = {}
    for img in coco['images']:
        anns = [a for a in coco['annotations'] if a['image_id'] == img['id']]
        raw = dict(source='shop' if anns[0]['style'] == 1 else 'user',
                   pair_id=anns[0]['pair_id'])
        for k, ann in enumerate(anns, 1):
            start, stop = df2_slot_range(ann['category_id'])
            x, y, w, h = ann['bbox']
            raw[f'item{k}'] = dict(
                category_id=ann['category_id'], category_name=DF2_CATEGORIES[ann['category_id']],
                style=ann['style'], bounding_box=[x, y, x + w, y + h],
                landmarks=ann['keypoints'][3 * start:3 * stop],
                segmentation=ann['segmentation'], scale=2, occlusion=1, zoom_in=1, viewpoint=2)
        raws[Path(img['file_name']).stem] = (raw, img['width'], img['height'])
    return raws


def _write_raw(anno_dir: Path, image_dir: Path, stem: str, raw: dict, size=(40, 30)) -> None:
    anno_dir.mkdir(parents=True, exist_ok=True)
    image_dir.mkdir(parents=True, exist_ok=True)
    (anno_dir / f'{stem}.json').write_text(json.dumps(raw))
    Image.new('RGB', size).save(image_dir / f'{stem}.jpg')


def _item(category_id: int, style: int = 1, **over) -> dict:
    start, stop = df2_slot_range(category_id)
    landmarks = []
    for i in range(stop - start):
        landmarks += [10.0 + i, 20.0 + i, [2, 1, 0][i % 3]]
    item = dict(category_id=category_id, category_name=DF2_CATEGORIES[category_id],
                style=style, bounding_box=[5, 6, 35, 28], landmarks=landmarks,
                segmentation=[[5, 6, 35, 6, 35, 28, 5, 28]], scale=1, occlusion=2, zoom_in=1,
                viewpoint=3)
    item.update(over)
    return item


def _good_raw() -> dict:
    return dict(source='user', pair_id=7, item1=_item(3), item2=_item(7, style=0))


# ----------------------------------------------------------------------------- the sample
def test_sample_exact_values(shared_data):
    coco = _load_sample(shared_data)
    assert [(i['id'], i['file_name'], i['width'], i['height']) for i in coco['images']] == [
        (264, '000264.jpg', 750, 750), (265, '000265.jpg', 750, 750)]
    a429, a430 = coco['annotations']
    assert (a429['id'], a430['id']) == (429, 430)
    assert a429['category_id'] == a430['category_id'] == 11
    assert a429['pair_id'] == a430['pair_id'] == 22
    assert (a429['style'], a430['style']) == (1, 2)
    assert a429['bbox'] == [103, 80, 601, 669] and a429['area'] == 601 * 669
    assert a429['num_keypoints'] == 28 and a430['num_keypoints'] == 31
    assert len(a429['keypoints']) == 3 * DF2_NUM_SLOTS
    assert a429['keypoints'][3 * 220:3 * 221] == [307, 87, 2]
    # everything outside the long-sleeve-dress block (219-255) is absent
    start, stop = df2_slot_range(11)
    assert (start, stop) == (219, 256)
    assert not any(a429['keypoints'][:3 * start]) and not any(a429['keypoints'][3 * stop:])
    assert coco['categories'] == [df2_coco_categories()[10]]


def test_df2_coco_categories_and_keypoints_294():
    cats = df2_coco_categories()
    assert [c['id'] for c in cats] == list(range(1, 14))
    assert [c['name'] for c in cats] == [DF2_CATEGORIES[i] for i in range(1, 14)]
    assert {c['supercategory'] for c in cats} == {'clothes'}
    assert cats[0]['keypoints'] == [str(i) for i in range(1, 295)] and cats[12]['skeleton'] == []
    cats[0]['keypoints'].append('x')
    assert len(df2_coco_categories()[0]['keypoints']) == 294  # a fresh list every call

    landmarks = list(range(1, 3 * 19 + 1))  # sling dress: 19 keypoints, slots 275-293
    kpts = df2_keypoints_294(13, landmarks)
    assert len(kpts) == 882 and kpts[3 * 275:] == landmarks and not any(kpts[:3 * 275])
    with pytest.raises(ValueError, match=r"3\*19=57 .*'sling_dress' \(id 13\), got 56"):
        df2_keypoints_294(13, landmarks[:-1])
    with pytest.raises(ValueError, match='1-13'):
        df2_keypoints_294(14, landmarks)


def test_round_trip_through_raw_files(shared_data, tmp_path):
    sample = _load_sample(shared_data)
    anno_dir, image_dir = tmp_path / 'annos', tmp_path / 'image'
    for stem, (raw, width, height) in coco_to_raw(sample).items():
        _write_raw(anno_dir, image_dir, stem, raw, size=(width, height))

    coco, problems = df2_to_coco(anno_dir, image_dir)
    assert problems == []
    assert coco['images'] == sample['images']
    assert [a['id'] for a in coco['annotations']] == [1, 2]
    assert len(coco['annotations']) == len(sample['annotations']) == 2
    for got, want in zip(coco['annotations'], sample['annotations']):
        for key in COMPARED:
            assert got[key] == want[key], key
        assert (got['scale'], got['occlusion'], got['zoom_in'], got['viewpoint']) == (2, 1, 1, 2)
    assert coco['annotations'][0]['keypoints'][3 * 220:3 * 221] == [307, 87, 2]
    assert coco['annotations'][0]['source'] == 'shop'
    assert coco['annotations'][1]['source'] == 'user'
    assert coco['categories'] == df2_coco_categories()

    # the real sample images give the sizes too (header only)
    coco_real, _ = df2_to_coco(anno_dir, shared_data / 'fashion-format-samples' / 'deepfashion2')
    assert [(i['width'], i['height']) for i in coco_real['images']] == [(750, 750), (750, 750)]

    # and the CLI writes the same thing
    out = tmp_path / 'df2_coco.json'
    assert tool.main(['--anno-dir', str(anno_dir), '--image-dir', str(image_dir),
                      '--out', str(out)]) == 0
    written = json.loads(out.read_text())
    assert written == json.loads(json.dumps(coco))
    for got, want in zip(written['annotations'], sample['annotations']):
        assert {k: got[k] for k in COMPARED} == {k: want[k] for k in COMPARED}


# ----------------------------------------------------------------------------- the reader
def test_read_df2_anno_sorts_items(tmp_path):
    raw = dict(source='shop', pair_id=3, item10=_item(9), item2=_item(1), item1=_item(12))
    path = tmp_path / '000005.json'
    path.write_text(json.dumps(raw))
    anno = read_df2_anno(path)
    assert (anno['source'], anno['pair_id']) == ('shop', 3)
    assert [(it['item'], it['category_id']) for it in anno['items']] == [(1, 12), (2, 1), (10, 9)]
    assert anno['items'][2]['landmarks'] == _item(9)['landmarks']


def test_df2_to_coco_values(tmp_path):
    anno_dir, image_dir = tmp_path / 'annos', tmp_path / 'image'
    _write_raw(anno_dir, image_dir, '000002', _good_raw(), size=(64, 48))
    _write_raw(anno_dir, image_dir, '000001',
               dict(source='shop', pair_id=7, item1=_item(3, style=1)), size=(32, 16))
    coco, problems = df2_to_coco(anno_dir, image_dir)
    assert problems == []
    assert [(i['id'], i['file_name'], i['width'], i['height']) for i in coco['images']] == [
        (1, '000001.jpg', 32, 16), (2, '000002.jpg', 64, 48)]
    anns = coco['annotations']
    assert [(a['id'], a['image_id'], a['category_id']) for a in anns] == [
        (1, 1, 3), (2, 2, 3), (3, 2, 7)]
    a = anns[2]
    assert a['bbox'] == [5, 6, 30, 22] and a['area'] == 660
    # shorts: 10 keypoints, visibilities 2,1,0,2,1,0,... -> 7 with v > 0; slots 158-167
    assert a['num_keypoints'] == 7
    assert a['keypoints'][3 * 158:3 * 159] == [10.0, 20.0, 2]
    assert sum(1 for v in a['keypoints'][2::3] if v > 0) == 7
    assert (a['pair_id'], a['style'], a['source'], a['iscrowd']) == (7, 0, 'user', 0)
    assert (a['scale'], a['occlusion'], a['zoom_in'], a['viewpoint']) == (1, 2, 1, 3)


# ----------------------------------------------------------------------------- malformed files
def _delete_item_field(raw):
    del raw['item2']['segmentation']


def _set_item(field, value):
    def mutate(raw):
        raw['item1'][field] = value
    return mutate


def _set_top(field, value):
    def mutate(raw):
        raw[field] = value
    return mutate


def _short_landmarks(raw):
    raw['item1']['landmarks'] = raw['item1']['landmarks'][:-1]


# (case, mutation of a good raw file, words the message must hold besides the file name)
MALFORMED = [
    ('missing item field', _delete_item_field, ['item2.segmentation', 'missing']),
    ('wrong landmarks length', _short_landmarks,
     ['item1.landmarks', "3*31=93", "'short_sleeved_outwear' (id 3)", 'got 92']),
    ('category_id 14', _set_item('category_id', 14), ['item1.category_id', '14']),
    ('bbox x2 < x1', _set_item('bounding_box', [30, 6, 5, 28]), ['item1.bounding_box',
                                                                  '[30, 6, 5, 28]']),
    ('pair_id not int', _set_top('pair_id', '7'), ['pair_id', "'7'"]),
    ('bad visibility', _set_item('landmarks', [1.0, 2.0, 3] * 31), ['item1.landmarks',
                                                                     'visibility']),
    ('wrong category_name', _set_item('category_name', 'vest'), ['item1.category_name',
                                                                 'vest']),
    ('bad attribute', _set_item('occlusion', 0), ['item1.occlusion', '1, 2 or 3']),
    ('bad source', _set_top('source', 'web'), ['source', "'web'"]),
    ('bad polygon', _set_item('segmentation', [[1, 2, 3]]), ['item1.segmentation',
                                                             'polygon 0']),
]


def _make_set(tmp_path, mutate=None):
    """000001 good, 000002 mutated (or special), 000003 good."""
    anno_dir, image_dir = tmp_path / 'annos', tmp_path / 'image'
    for stem in ('000001', '000002', '000003'):
        raw = _good_raw()
        if stem == '000002' and mutate is not None:
            mutate(raw)
        _write_raw(anno_dir, image_dir, stem, raw)
    return anno_dir, image_dir


def _check_raise_and_skip(anno_dir, image_dir, words):
    with pytest.raises(DF2FormatError) as info:
        df2_to_coco(anno_dir, image_dir, on_error='raise')
    message = str(info.value)
    assert '000002.json' in message
    for word in words:
        assert word in message, (word, message)
    coco, problems = df2_to_coco(anno_dir, image_dir, on_error='skip')
    assert [i['id'] for i in coco['images']] == [1, 3]
    assert [a['id'] for a in coco['annotations']] == [1, 2, 3, 4]
    assert [a['image_id'] for a in coco['annotations']] == [1, 1, 3, 3]
    assert problems == [message]


@pytest.mark.parametrize('case,mutate,words', MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_file(tmp_path, case, mutate, words):
    anno_dir, image_dir = _make_set(tmp_path, mutate)
    _check_raise_and_skip(anno_dir, image_dir, words)
    with pytest.raises(DF2FormatError) as info:
        read_df2_anno(anno_dir / '000002.json')
    assert info.value.source.endswith('000002.json') and info.value.field in str(info.value)


def test_invalid_json(tmp_path):
    anno_dir, image_dir = _make_set(tmp_path)
    (anno_dir / '000002.json').write_text('{"source": "user", "pair_id": ')
    _check_raise_and_skip(anno_dir, image_dir, ['json', 'invalid JSON'])


def test_missing_and_unreadable_image(tmp_path):
    anno_dir, image_dir = _make_set(tmp_path)
    (image_dir / '000002.jpg').unlink()
    _check_raise_and_skip(anno_dir, image_dir, ['image', '000002.jpg', 'not found'])
    (image_dir / '000002.jpg').write_bytes(b'not a jpeg')
    _check_raise_and_skip(anno_dir, image_dir, ['image', 'cannot read image'])


def test_error_is_a_value_error_and_pickles():
    import pickle
    err = DF2FormatError('annos/000001.json', 'item2.landmarks', 'expected 75, got 74')
    assert isinstance(err, ValueError)
    assert str(err) == 'annos/000001.json: item2.landmarks: expected 75, got 74'
    assert str(pickle.loads(pickle.dumps(err))) == str(err)


def test_on_error_checked_early(tmp_path):
    with pytest.raises(ValueError, match="'ignore'"):
        df2_to_coco(tmp_path / 'nowhere', tmp_path / 'nowhere', on_error='ignore')
    with pytest.raises(NotADirectoryError, match='nowhere'):
        df2_to_coco(tmp_path / 'nowhere', tmp_path)


# ----------------------------------------------------------------------------- writing
def test_write_coco_json_no_clobber(tmp_path):
    out = tmp_path / 'out.json'
    write_coco_json({'images': [1]}, out)
    assert json.loads(out.read_text()) == {'images': [1]}
    with pytest.raises(FileExistsError, match=str(out)):
        write_coco_json({'images': [2]}, out)
    assert json.loads(out.read_text()) == {'images': [1]}
    write_coco_json({'images': [3]}, out, force=True)
    assert json.loads(out.read_text()) == {'images': [3]}
    assert sorted(os.listdir(tmp_path)) == ['out.json']  # no temporary file left behind


# ----------------------------------------------------------------------------- the CLI
def _cli(anno_dir, image_dir, out, *extra):
    return tool.main(['--anno-dir', str(anno_dir), '--image-dir', str(image_dir),
                      '--out', str(out), *extra])


def test_cli_problems_strict_and_force(tmp_path, capsys):
    anno_dir, image_dir = _make_set(tmp_path, _short_landmarks)
    out = tmp_path / 'coco.json'

    assert _cli(anno_dir, image_dir, out, '--strict') == 1
    assert not out.exists()
    assert '000002.json: item1.landmarks' in capsys.readouterr().out

    assert _cli(anno_dir, image_dir, out) == 0
    text = capsys.readouterr().out
    assert '2 images, 4 annotations' in text and '1 problem(s)' in text
    assert '000002.json: item1.landmarks' in text
    coco = json.loads(out.read_text())
    assert [i['file_name'] for i in coco['images']] == ['000001.jpg', '000003.jpg']

    before = out.read_text()
    assert _cli(anno_dir, image_dir, out) == 2  # exists, no --force
    assert out.read_text() == before
    assert 'exists' in capsys.readouterr().err

    (anno_dir / '000002.json').write_text(json.dumps(_good_raw()))
    assert _cli(anno_dir, image_dir, out, '--force', '--strict') == 0
    assert len(json.loads(out.read_text())['images']) == 3


def test_cli_bad_arguments(tmp_path, capsys):
    anno_dir, image_dir = _make_set(tmp_path)
    assert _cli(tmp_path / 'missing', image_dir, tmp_path / 'o.json') == 2
    assert 'missing' in capsys.readouterr().err
    assert _cli(anno_dir, tmp_path / 'noimg', tmp_path / 'o.json') == 2
    assert _cli(anno_dir, image_dir, tmp_path / 'no' / 'o.json') == 2
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert _cli(empty, image_dir, tmp_path / 'o.json') == 2
    assert tool.main(['--anno-dir', str(anno_dir)]) == 2  # argparse usage error
    assert not (tmp_path / 'o.json').exists()
