"""The committed hand-placed landmark validation set of clothing-small photos.

``annotations/clothing-small_landmarks_val.json`` holds the 8 DeepFashion FLD landmarks (mmpose's
``deepfashion_full`` order) of 48 photos of ``clothing-small/train``; the protocol is in
``annotations/README.md`` and ``docs/landmark_val.md``.
"""
from collections import Counter

import pytest
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from ps_net.datasets.fld import FLD_NUM_KEYPOINTS, load_fld_coco
from tests.conftest import REPO_ROOT, load_tool

ANN_FILE = REPO_ROOT / 'annotations' / 'clothing-small_landmarks_val.json'
CLASSES = ('t-shirt', 'longsleeve', 'outwear', 'dress')
PSNET_CATEGORY = {'t-shirt': 'short_sleeved_top', 'longsleeve': 'long_sleeved_top',
                  'outwear': 'outwear', 'dress': 'dress'}
#: Pixels a point may lie outside its garment box (the box is placed by hand too).
BOX_TOLERANCE = 3.0
#: (wearer's left, wearer's right) landmark indices: collar, sleeve, waistline, hem.
LEFT_RIGHT_PAIRS = ((0, 1), (2, 3), (4, 5), (6, 7))


@pytest.fixture(scope='module')
def coco():
    return load_fld_coco(ANN_FILE)


def _points(ann):
    k = ann['keypoints']
    return [(k[3 * i], k[3 * i + 1], k[3 * i + 2]) for i in range(FLD_NUM_KEYPOINTS)]


def _class_of(image):
    return image['file_name'].split('/', 1)[0]


def test_counts_and_classes(coco):
    images = coco['images']
    assert len(images) >= 40
    assert len(coco['annotations']) == len(images)  # one garment per photo
    per_class = Counter(_class_of(img) for img in images)
    assert set(per_class) == set(CLASSES)
    assert all(n >= 10 for n in per_class.values()), per_class
    assert len({img['id'] for img in images}) == len(images)
    assert len({img['file_name'] for img in images}) == len(images)
    assert sorted(a['image_id'] for a in coco['annotations']) == sorted(i['id'] for i in images)


def test_keypoint_names_are_mmpose_deepfashion_full(coco):
    meta = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/deepfashion_full.py'))
    names = [meta['keypoint_id2name'][i] for i in range(meta['num_keypoints'])]
    assert coco['categories'][0]['keypoints'] == names
    assert {a['category_id'] for a in coco['annotations']} == {coco['categories'][0]['id']}


def test_points_inside_image_and_box(coco):
    images = {img['id']: img for img in coco['images']}
    for ann in coco['annotations']:
        img = images[ann['image_id']]
        x, y, w, h = ann['bbox']
        assert w > 0 and h > 0 and x >= 0 and y >= 0, ann['id']
        assert x + w <= img['width'] and y + h <= img['height'], ann['id']
        assert ann['area'] == pytest.approx(w * h)
        assert ann['iscrowd'] == 0
        points = _points(ann)
        assert ann['num_keypoints'] == sum(v > 0 for _, _, v in points)
        for i, (px, py, v) in enumerate(points):
            if v == 0:
                assert (px, py) == (0, 0), (ann['id'], i)
                continue
            assert 0 <= px < img['width'] and 0 <= py < img['height'], (ann['id'], i)
            assert x - BOX_TOLERANCE <= px <= x + w + BOX_TOLERANCE, (ann['id'], i)
            assert y - BOX_TOLERANCE <= py <= y + h + BOX_TOLERANCE, (ann['id'], i)


def test_wearer_left_is_image_right(coco):
    """Front views: the wearer's left landmark lies right of the wearer's right one."""
    for left, right in LEFT_RIGHT_PAIRS:
        both = [(p[left], p[right]) for p in map(_points, coco['annotations'])
                if p[left][2] > 0 and p[right][2] > 0]
        assert len(both) >= 10
        ok = sum(lp[0] > rp[0] for lp, rp in both)
        assert ok >= 0.9 * len(both), (left, right, ok, len(both))


def test_layout_per_class(coco):
    images = {img['id']: img for img in coco['images']}
    for ann in coco['annotations']:
        cls = _class_of(images[ann['image_id']])
        assert ann['psnet_category'] == PSNET_CATEGORY[cls]
        points = _points(ann)
        vis = [v > 0 for _, _, v in points]
        assert vis[0] and vis[1] and vis[6] and vis[7], ann['id']  # collars and hem always
        if cls in ('t-shirt', 'longsleeve'):
            assert vis[2] and vis[3], ann['id']
        if cls != 'dress':  # tops and outwear: no waistline in the FLD upper-body layout
            assert not vis[4] and not vis[5], ann['id']
        collar_y = max(points[0][1], points[1][1])
        hem_y = min(points[6][1], points[7][1])
        assert collar_y < hem_y, ann['id']
        if cls == 'dress':
            for i in (4, 5):
                assert collar_y < points[i][1] < hem_y, (ann['id'], i)


def test_loads_as_mmpose_deepfashion_full(tmp_path):
    from mmpose.datasets import DeepFashionDataset
    ds = DeepFashionDataset(ann_file=str(ANN_FILE), subset='full', data_root=str(tmp_path),
                            data_prefix=dict(img=''), test_mode=True, pipeline=[])
    coco = load_fld_coco(ANN_FILE)
    assert len(ds) == len(coco['annotations'])
    labelled = sum(a['num_keypoints'] for a in coco['annotations'])
    assert sum(int(ds[i]['keypoints_visible'].sum()) for i in range(len(ds))) == labelled
    assert ds.metainfo['flip_pairs'][:2] == [(1, 0), (0, 1)]


def test_photos_exist_in_clothing_small(coco, shared_data):
    from PIL import Image
    root = shared_data / 'clothing-small' / 'train'
    if not root.is_dir():
        pytest.skip(f'{root} is absent')
    for img in coco['images']:
        path = root / img['file_name']
        assert path.is_file(), path
        with Image.open(path) as im:
            assert im.size == (img['width'], img['height']), path


def test_draw_tool_marks_the_landmarks(tmp_path):
    """The sheet tool draws each labelled point in its colour at its scaled position."""
    from PIL import Image
    tool = load_tool('tools/visualization/draw_landmark_annotations.py')
    coco = load_fld_coco(ANN_FILE)
    pairs = tool.select(coco, per_class=1, num=None)
    assert [img['file_name'].split('/')[0] for img, _ in pairs] == list(CLASSES)
    out = tmp_path / 'sheet.png'
    args = [str(ANN_FILE), '--img-root', str(tmp_path / 'photos'), '--per-class', '1',
            '--cols', '2', '--tile-size', '100', '--out', str(out)]
    assert tool.main(args) == 1 and not out.exists()  # no photo readable: nothing written
    for img, _ in pairs:  # plain grey stand-ins of the right size
        path = tmp_path / 'photos' / img['file_name']
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new('RGB', (img['width'], img['height']), (128, 128, 128)).save(path)
    assert tool.main(args) == 0
    sheet = Image.open(out).convert('RGB')
    assert sheet.width == 2 * 102
    checked = 0
    for n, (img, ann) in enumerate(pairs):
        scale = 100 / max(img['width'], img['height'])
        ox, oy = (n % 2) * 102, (n // 2) * (114 + 2)
        points = [(i, px * scale, py * scale, v) for i, (px, py, v) in enumerate(_points(ann))]
        for i, x, y, v in points:
            crowded = any(abs(x - x2) < 16 and abs(y - y2) < 16
                          for j, x2, y2, v2 in points if j != i and v2)
            if v == 2 and not crowded:  # a neighbour's number may cover a crowded point
                pixel = sheet.getpixel((ox + round(x), oy + round(y)))
                assert pixel == tool.COLORS[i], (ann['id'], i, pixel)
                checked += 1
    assert checked >= 12


def test_draw_tool_reads_other_layouts_and_names_bad_fields(tmp_path):
    import json

    from ps_net.datasets.fld import FLDFormatError
    tool = load_tool('tools/visualization/draw_landmark_annotations.py')
    good = {'images': [{'id': 1, 'file_name': 'a.jpg', 'width': 10, 'height': 10}],
            'annotations': [{'id': 1, 'image_id': 1, 'bbox': [0, 0, 5, 5],
                             'keypoints': [1, 1, 2, 0, 0, 0]}]}
    path = tmp_path / 'two_points.json'
    path.write_text(json.dumps(good))
    assert tool.load_keypoint_coco(str(path))['annotations'][0]['keypoints'][2] == 2
    good['annotations'][0]['image_id'] = 7
    path.write_text(json.dumps(good))
    with pytest.raises(FLDFormatError, match=r'two_points\.json: annotations\[0\]'):
        tool.load_keypoint_coco(str(path))
