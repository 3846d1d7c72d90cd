"""Clothing Co-Parsing: label list, label maps, boxes, COCO conversion, its CLI, error paths."""
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
import scipy.io

from ps_net.structures import DF2_CATEGORIES
from ps_net.datasets.category_map import CCP_IGNORED, CCP_TO_DF2
from ps_net.datasets.ccp import (CCP_SPLITS, CCPFormatError, ccp_boxes, ccp_to_coco,
                                 load_ccp_label_map, load_ccp_labels)
from ps_net.datasets.deepfashion2 import df2_coco_categories
from tests.conftest import load_tool

tool = load_tool('tools/dataset_converters/ccp_to_coco.py')

#: Boxes per DeepFashion2 category of the full conversion (photos 1-560 and 561-700).
EXPECTED_COUNTS = {
    'train': {1: 45, 2: 313, 4: 287, 5: 36, 7: 34, 8: 283, 9: 104, 10: 142},
    'val': {1: 16, 2: 76, 4: 66, 5: 6, 7: 10, 8: 63, 9: 23, 10: 40},
}

# Synthetic label names: 0-based, as CCP's.
NAMES = ['null', 'skin', 'skirt', 't-shirt', 'shirt', 'blouse', 'pants', 'shoes']


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture
def ccp_root(shared_data: Path) -> Path:
    root = shared_data / 'ccp'
    if not (root / 'label_list.mat').is_file():
        pytest.skip(f'CCP data {root} is absent')
    return root


@pytest.fixture
def ccp_names(ccp_root: Path) -> list:
    return load_ccp_labels(ccp_root / 'label_list.mat')


def _gt(ccp_root: Path, n: int) -> np.ndarray:
    return load_ccp_label_map(ccp_root / 'annotations' / 'pixel-level' / f'{n:04d}.mat')


def _reference_boxes(label_map: np.ndarray, names: list, frac: float = 0.005) -> dict:
    """The boxes computed independently: OpenCV 8-connected components, plain numpy."""
    size = label_map.size
    boxes = {}
    for cid in DF2_CATEGORIES:
        labels = [i for i, name in enumerate(names) if CCP_TO_DF2.get(name) == cid]
        mask = np.isin(label_map, labels)
        if mask.sum() == 0 or mask.sum() < frac * size:
            continue
        _, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        stats = stats[1:]
        stats = stats[stats[:, cv2.CC_STAT_AREA] >= 0.1 * frac * size]
        if len(stats) == 0:
            continue
        x1 = stats[:, cv2.CC_STAT_LEFT].min()
        y1 = stats[:, cv2.CC_STAT_TOP].min()
        x2 = (stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH]).max()
        y2 = (stats[:, cv2.CC_STAT_TOP] + stats[:, cv2.CC_STAT_HEIGHT]).max()
        boxes[cid] = [int(x1), int(y1), int(x2), int(y2)]
    return boxes


def _make_root(tmp_path: Path, ccp_root: Path, ids) -> Path:
    """A CCP folder in tmp: a copy of label_list.mat and symlinks to the given photos/maps."""
    root = tmp_path / 'ccp'
    (root / 'photos').mkdir(parents=True)
    (root / 'annotations' / 'pixel-level').mkdir(parents=True)
    shutil.copy(ccp_root / 'label_list.mat', root / 'label_list.mat')
    for n in ids:
        os.symlink(ccp_root / 'photos' / f'{n:04d}.jpg', root / 'photos' / f'{n:04d}.jpg')
        os.symlink(ccp_root / 'annotations' / 'pixel-level' / f'{n:04d}.mat',
                   root / 'annotations' / 'pixel-level' / f'{n:04d}.mat')
    return root


def _replace_map(root: Path, n: int, variables: dict = None, raw: bytes = None) -> Path:
    path = root / 'annotations' / 'pixel-level' / f'{n:04d}.mat'
    if path.is_symlink() or path.exists():
        path.unlink()
    if raw is not None:
        path.write_bytes(raw)
    else:
        scipy.io.savemat(path, variables)
    return path


# ----------------------------------------------------------------------------- the label list
def test_label_list_is_zero_based_and_fully_classified(ccp_names):
    assert len(ccp_names) == 59
    assert (ccp_names[0], ccp_names[4], ccp_names[14], ccp_names[19], ccp_names[41],
            ccp_names[42], ccp_names[51], ccp_names[55], ccp_names[58]) == (
        'null', 'blazer', 'dress', 'hair', 'skin', 'skirt', 't-shirt', 'vest', 'wedges')
    assert set(CCP_TO_DF2) | set(CCP_IGNORED) == set(ccp_names)
    assert not set(CCP_TO_DF2) & set(CCP_IGNORED)
    assert set(CCP_TO_DF2.values()) <= set(DF2_CATEGORIES)
    for name in ('null', 'skin', 'hair', 'shoes', 'bag', 'tights', 'stockings', 'socks'):
        assert name not in CCP_TO_DF2


def test_category_map_values():
    assert CCP_TO_DF2['t-shirt'] == 1
    assert {CCP_TO_DF2[n] for n in ('shirt', 'blouse', 'top', 'sweater', 'sweatshirt',
                                    'jumper', 'hoodie')} == {2}
    assert {CCP_TO_DF2[n] for n in ('blazer', 'coat', 'jacket', 'cardigan', 'suit')} == {4}
    assert (CCP_TO_DF2['vest'], CCP_TO_DF2['shorts'], CCP_TO_DF2['skirt'],
            CCP_TO_DF2['dress']) == (5, 7, 9, 10)
    assert {CCP_TO_DF2[n] for n in ('pants', 'jeans', 'leggings')} == {8}


def test_label_map_real(ccp_root):
    gt = _gt(ccp_root, 1)
    assert gt.shape == (832, 550) and gt.dtype == np.uint8
    assert np.unique(gt).tolist() == [0, 5, 19, 39, 41, 42, 45, 47, 55]


# ----------------------------------------------------------------------------- boxes
def test_boxes_photo_0001_exact(ccp_root, ccp_names):
    gt = _gt(ccp_root, 1)
    boxes = ccp_boxes(gt, ccp_names)
    # blouse (5) -> long_sleeved_shirt, vest (55) -> vest, skirt (42) -> skirt;
    # hair, shoes, skin, stockings, sunglasses are not garments.
    assert [b['category_id'] for b in boxes] == [2, 5, 9]
    assert [b['ccp_label'] for b in boxes] == [['blouse'], ['vest'], ['skirt']]
    for box, label in zip(boxes, (5, 55, 42)):
        ys, xs = np.nonzero(gt == label)  # no stray components in this photo
        assert box['bbox_xyxy'] == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        assert box['area_pixels'] == (gt == label).sum()
    assert [b['bbox_xyxy'] for b in boxes] == [
        [163, 140, 391, 361], [172, 134, 397, 564], [246, 329, 337, 475]]


def test_boxes_photo_0003_specks(ccp_root, ccp_names):
    gt = _gt(ccp_root, 3)  # 550 x 831: 0.5% = 2285.2 px, 0.05% = 228.5 px
    boxes = {b['category_id']: b for b in ccp_boxes(gt, ccp_names)}
    # blouse (1886 px = 0.41%) and dress (35 px) are under 0.5%: dropped
    assert (gt == ccp_names.index('blouse')).sum() == 1886
    assert sorted(boxes) == [4, 8]  # coat (+ a 4-px jacket speck), pants
    outwear = np.isin(gt, [ccp_names.index('coat'), ccp_names.index('jacket')])
    ys, xs = np.nonzero(outwear)
    assert [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] == [165, 106, 399, 457]
    # the jacket speck at y 106..107 is left out of the box and of ccp_label
    assert boxes[4]['bbox_xyxy'] == [165, 156, 399, 457]
    assert boxes[4]['ccp_label'] == ['coat']
    assert boxes[4]['area_pixels'] == len(ys) == 47954  # all the category's pixels
    assert _reference_boxes(gt, ccp_names)[4] == boxes[4]['bbox_xyxy']


def test_boxes_match_independent_reference(ccp_root, ccp_names):
    for n in range(1, 701, 7):
        gt = _gt(ccp_root, n)
        ours = {b['category_id']: b['bbox_xyxy'] for b in ccp_boxes(gt, ccp_names)}
        assert ours == _reference_boxes(gt, ccp_names), f'photo {n:04d}'


def test_boxes_synthetic_union_and_specks():
    m = np.zeros((100, 100), np.uint8)          # 10000 pixels: 0.5% = 50, 0.05% = 5
    m[10:20, 30:40] = NAMES.index('shirt')      # 100 px
    m[20:25, 30:40] = NAMES.index('blouse')     # 50 px, touching the shirt
    m[0:2, 0:2] = NAMES.index('blouse')         # 4-px speck far away: left out of the box
    m[60:70, 50:54] = NAMES.index('t-shirt')    # 40 px = 0.4% < 0.5%: dropped
    m[80:90, 10:15] = NAMES.index('pants')      # 50 px = exactly 0.5%: kept
    m[95:96, 90:95] = NAMES.index('pants')      # 5-px component = 0.05%: kept, stretches box
    m[40:50, 40:50] = NAMES.index('shoes')      # not a garment
    m[50:60, 40:50] = NAMES.index('skin')
    boxes = ccp_boxes(m, NAMES)
    assert boxes == [
        dict(category_id=2, bbox_xyxy=[30, 10, 40, 25], area_pixels=154,
             ccp_label=['shirt', 'blouse']),
        dict(category_id=8, bbox_xyxy=[10, 80, 95, 96], area_pixels=55, ccp_label=['pants']),
    ]
    # a speck that is the category's only blouse pixels does not name blouse
    m[20:25, 30:40] = 0
    m[0:2, 0:2] = NAMES.index('blouse')
    assert ccp_boxes(m, NAMES)[0] == dict(category_id=2, bbox_xyxy=[30, 10, 40, 20],
                                          area_pixels=104, ccp_label=['shirt'])
    # a lower threshold keeps the t-shirt; 0 keeps every pixel
    assert [b['category_id'] for b in ccp_boxes(m, NAMES, min_area_frac=0.004)] == [1, 2, 8]
    assert ccp_boxes(m, NAMES, min_area_frac=0)[1]['bbox_xyxy'] == [0, 0, 40, 20]


def test_boxes_fragmented_category_is_dropped():
    m = np.zeros((100, 100), np.uint8)
    m[::4, ::4] = NAMES.index('skirt')  # 625 px (6%), all single-pixel components
    assert ccp_boxes(m, NAMES) == []
    assert ccp_boxes(np.zeros((5, 5), np.int32), NAMES) == []


@pytest.mark.parametrize('label_map, frac, match', [
    (np.zeros((4, 4, 3), np.uint8), 0.005, r'2-D integer array, got uint8 array of shape'),
    (np.zeros((4, 4), np.float32), 0.005, r'got float32 array'),
    (np.zeros((0, 4), np.uint8), 0.005, r'non-empty'),
    ([[0, 1]], 0.005, r'got \[\[0, 1\]\]'),
    (np.full((4, 4), 8, np.uint8), 0.005, r'label 8, outside 0..7'),
    (np.full((4, 4), -1, np.int16), 0.005, r'label -1'),
    (np.zeros((4, 4), np.uint8), -0.1, r'min_area_frac .* got -0.1'),
    (np.zeros((4, 4), np.uint8), 1.5, r'got 1.5'),
    (np.zeros((4, 4), np.uint8), float('nan'), r'got nan'),
    (np.zeros((4, 4), np.uint8), '0.1', r"got '0.1'"),
])
def test_boxes_bad_arguments(label_map, frac, match):
    with pytest.raises(ValueError, match=match):
        ccp_boxes(label_map, NAMES, min_area_frac=frac)


# ----------------------------------------------------------------------------- malformed files
def test_load_label_map_errors(tmp_path):
    missing = tmp_path / '0003.mat'
    scipy.io.savemat(missing, dict(labels=np.zeros((4, 4), np.uint8)))
    with pytest.raises(CCPFormatError, match=r"0003\.mat: groundtruth: missing .*'labels'"):
        load_ccp_label_map(missing)

    cube = tmp_path / '0005.mat'
    scipy.io.savemat(cube, dict(groundtruth=np.zeros((4, 5, 3), np.uint8)))
    with pytest.raises(CCPFormatError) as info:
        load_ccp_label_map(cube)
    assert info.value.source == str(cube)
    assert str(info.value) == (f'{cube}: groundtruth: expected a non-empty 2-D integer array '
                               f'(H x W label map), got uint8 array of shape (4, 5, 3)')

    floats = tmp_path / '0006.mat'
    scipy.io.savemat(floats, dict(groundtruth=np.zeros((4, 5))))
    with pytest.raises(CCPFormatError, match=r'0006\.mat: groundtruth: .*got float64 array'):
        load_ccp_label_map(floats)

    junk = tmp_path / '0007.mat'
    junk.write_bytes(b'not a MATLAB file at all')
    with pytest.raises(CCPFormatError, match=r'0007\.mat: file: cannot read it'):
        load_ccp_label_map(junk)

    with pytest.raises(CCPFormatError, match=r'0008\.mat: file: not found'):
        load_ccp_label_map(tmp_path / '0008.mat')

    assert issubclass(CCPFormatError, ValueError)


def test_load_labels_errors(tmp_path):
    bad = tmp_path / 'label_list.mat'
    scipy.io.savemat(bad, dict(names=np.zeros(3)))
    with pytest.raises(CCPFormatError, match=r"label_list\.mat: label_list: missing"):
        load_ccp_labels(bad)
    scipy.io.savemat(bad, dict(label_list=np.zeros(3)))
    with pytest.raises(CCPFormatError, match=r'cell array of strings, got float64'):
        load_ccp_labels(bad)
    cells = np.empty((1, 3), dtype=object)
    cells[0, :] = ['null', 'skirt', 'shirt']
    scipy.io.savemat(bad, dict(label_list=cells))
    assert load_ccp_labels(bad) == ['null', 'skirt', 'shirt']


def test_convert_skips_bad_files(tmp_path, ccp_root):
    root = _make_root(tmp_path, ccp_root, range(1, 9))
    bad3 = _replace_map(root, 3, dict(labels=np.zeros((4, 4), np.uint8)))
    bad5 = _replace_map(root, 5, dict(groundtruth=np.zeros((4, 5, 3), np.uint8)))
    bad6 = _replace_map(root, 6, dict(groundtruth=np.full((831, 550), 59, np.uint8)))
    bad7 = _replace_map(root, 7, dict(groundtruth=_gt(ccp_root, 7)[:-1]))  # photo size differs
    (root / 'photos' / '0008.jpg').unlink()

    coco, problems = ccp_to_coco(root, range(1, 9), on_error='skip')
    assert [img['id'] for img in coco['images']] == [1, 2, 4]
    assert len(problems) == 5
    assert problems[0].startswith(f'{bad3}: groundtruth: missing')
    assert problems[1].startswith(f'{bad5}: groundtruth: expected a non-empty 2-D integer')
    assert problems[2] == (f'{bad6}: groundtruth: label 59 is outside the 59 labels of '
                           f'label_list.mat (0..58)')
    assert 'photos/0007.jpg: photo: size 550x' in problems[3] and bad7.name in problems[3]
    assert problems[4] == f'{root / "photos" / "0008.jpg"}: photo: not found'
    # the good files convert exactly as from the real folder
    real, _ = ccp_to_coco(ccp_root, [1, 2, 4])
    assert coco['annotations'] == real['annotations']

    with pytest.raises(CCPFormatError) as info:
        ccp_to_coco(root, range(1, 9), on_error='raise')
    assert info.value.source == str(bad3)


def test_convert_bad_arguments(tmp_path, ccp_root):
    with pytest.raises(ValueError, match=r"on_error must be 'raise' or 'skip', got 'ignore'"):
        ccp_to_coco(ccp_root, [1], on_error='ignore')
    with pytest.raises(ValueError, match=r'photo numbers 1-9999, got 0'):
        ccp_to_coco(ccp_root, [1, 0])
    with pytest.raises(ValueError, match=r"got '0001'"):
        ccp_to_coco(ccp_root, ['0001'])
    with pytest.raises(ValueError, match=r'repeats photo number 2'):
        ccp_to_coco(ccp_root, [2, 2])
    with pytest.raises(ValueError, match=r'min_area_frac .* got 2'):
        ccp_to_coco(ccp_root, [1], min_area_frac=2)
    with pytest.raises(NotADirectoryError, match='nowhere'):
        ccp_to_coco(tmp_path / 'nowhere', [1])
    with pytest.raises(CCPFormatError, match=r'label_list\.mat: file: not found'):
        ccp_to_coco(tmp_path, [1])


# ----------------------------------------------------------------------------- conversion
def test_convert_photo_entries(ccp_root):
    coco, problems = ccp_to_coco(ccp_root, [1, 3])
    assert problems == []
    assert coco['images'] == [
        dict(id=1, file_name='photos/0001.jpg', width=550, height=832),
        dict(id=3, file_name='photos/0003.jpg', width=550, height=831)]
    assert coco['categories'] == df2_coco_categories()
    first = coco['annotations'][0]
    assert first == dict(id=1, image_id=1, category_id=2, bbox=[163, 140, 228, 221],
                         area=228 * 221, iscrowd=0, ccp_label=['blouse'], pixel_area=15567)
    assert [(a['id'], a['image_id'], a['category_id']) for a in coco['annotations']] == [
        (1, 1, 2), (2, 1, 5), (3, 1, 9), (4, 3, 4), (5, 3, 8)]


def test_cli_all_splits_and_mmdet(tmp_path, ccp_root, capsys):
    assert (len(CCP_SPLITS['train']), len(CCP_SPLITS['val'])) == (560, 140)
    out = tmp_path / 'out'
    assert tool.main(['--ccp-root', str(ccp_root), '--out-dir', str(out)]) == 0
    printed = capsys.readouterr().out
    assert f'{out / "ccp_train.json"}: 560 images, 1244 boxes, 0 problem(s)' in printed
    assert f'{out / "ccp_val.json"}: 140 images, 300 boxes, 0 problem(s)' in printed
    assert f' 8 {"trousers":<22s} 283' in printed

    for split, size in (('train', 560), ('val', 140)):
        with open(out / f'ccp_{split}.json') as f:
            coco = json.load(f)
        ids = [img['id'] for img in coco['images']]
        assert ids == list(CCP_SPLITS[split]) and len(ids) == size
        counts = Counter(a['category_id'] for a in coco['annotations'])
        assert dict(counts) == EXPECTED_COUNTS[split]
        assert [a['id'] for a in coco['annotations']] == list(
            range(1, len(coco['annotations']) + 1))

    from mmdet.datasets import CocoDataset
    classes = tuple(DF2_CATEGORIES[c] for c in sorted(DF2_CATEGORIES))
    ds = CocoDataset(ann_file=str(out / 'ccp_val.json'), data_root=str(ccp_root),
                     metainfo=dict(classes=classes), data_prefix=dict(img=''), pipeline=[],
                     test_mode=True)
    assert len(ds) == 140
    info = ds[0]
    assert info['img_id'] == 561 and Path(info['img_path']) == ccp_root / 'photos' / '0561.jpg'
    assert Path(info['img_path']).is_file()
    gt = _gt(ccp_root, 561)
    expected = _reference_boxes(gt, load_ccp_labels(ccp_root / 'label_list.mat'))
    assert {inst['bbox_label'] + 1: [int(v) for v in inst['bbox']]
            for inst in info['instances']} == expected
    assert (info['width'], info['height']) == (gt.shape[1], gt.shape[0])


def test_cli_refuses_to_clobber(tmp_path, ccp_root, capsys):
    out = tmp_path / 'out'
    assert tool.main(['--ccp-root', str(ccp_root), '--out-dir', str(out), '--split', 'val']) == 0
    assert sorted(p.name for p in out.iterdir()) == ['ccp_val.json']
    val = out / 'ccp_val.json'
    val.write_text('old')
    capsys.readouterr()
    assert tool.main(['--ccp-root', str(ccp_root), '--out-dir', str(out), '--split', 'val']) == 2
    assert f'{val} exists; pass --force' in capsys.readouterr().err
    assert val.read_text() == 'old'
    # --split all refuses before converting anything: no train file appears
    assert tool.main(['--ccp-root', str(ccp_root), '--out-dir', str(out)]) == 2
    assert not (out / 'ccp_train.json').exists()
    assert tool.main(['--ccp-root', str(ccp_root), '--out-dir', str(out), '--split', 'val',
                      '--force']) == 0
    assert len(json.loads(val.read_text())['images']) == 140


def test_cli_bad_arguments(tmp_path, ccp_root, capsys):
    out = str(tmp_path / 'out')
    assert tool.main(['--ccp-root', str(tmp_path / 'nowhere'), '--out-dir', out]) == 2
    assert 'nowhere is not a folder' in capsys.readouterr().err
    assert tool.main(['--ccp-root', str(tmp_path), '--out-dir', out]) == 2
    assert 'has no label_list.mat' in capsys.readouterr().err
    assert tool.main(['--ccp-root', str(ccp_root), '--out-dir', out, '--split', 'test']) == 2
    assert "invalid choice: 'test'" in capsys.readouterr().err
    assert tool.main(['--ccp-root', str(ccp_root)]) == 2
    a_file = tmp_path / 'file'
    a_file.write_text('')
    assert tool.main(['--ccp-root', str(ccp_root), '--out-dir', str(a_file)]) == 2
    assert 'is not a folder' in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def test_cli_reports_problems(tmp_path, ccp_root, capsys):
    root = _make_root(tmp_path, ccp_root, range(561, 566))
    bad = _replace_map(root, 563, dict(groundtruth=np.zeros((4, 5, 3), np.uint8)))
    out = tmp_path / 'out'
    assert tool.main(['--ccp-root', str(root), '--out-dir', str(out), '--split', 'val']) == 0
    printed = capsys.readouterr().out
    assert f'problem (val): {bad}: groundtruth: expected a non-empty 2-D' in printed
    assert 'pixel-level/0566.mat: file: not found' in printed
    assert f'{out / "ccp_val.json"}: 4 images' in printed
    coco = json.loads((out / 'ccp_val.json').read_text())
    assert [img['id'] for img in coco['images']] == [561, 562, 564, 565]
