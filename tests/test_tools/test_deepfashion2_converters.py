"""The DeepFashion2 converters on files in the raw DeepFashion2 layout, and their exit status.

The raw files (``annos/NNNNNN.json``) name categories ``'short sleeve top'``, ...; their keys
come in any order (``item2`` before ``item1``, ``source`` in between), and landmarks are ints.
"""
import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from ps_net.structures import DF2_SEARCHED
from ps_net.structures.df2_layout import df2_slot_range
from tests.conftest import load_tool

REPO = Path(__file__).resolve().parents[2]
coco_tool = load_tool('tools/dataset_converters/deepfashion2_to_coco.py')
pf_tool = load_tool('tools/dataset_converters/deepfashion2_to_pf.py')

#: ``category_name`` as the raw DeepFashion2 files spell it (from the DeepFashion2 README).
RAW_NAMES = {1: 'short sleeve top', 2: 'long sleeve top', 3: 'short sleeve outwear',
             4: 'long sleeve outwear', 5: 'vest', 6: 'sling', 7: 'shorts', 8: 'trousers',
             9: 'skirt', 10: 'short sleeve dress', 11: 'long sleeve dress', 12: 'vest dress',
             13: 'sling dress'}


def raw_item(category_id: int, style: int = 1, name: str = None) -> dict:
    """An item with the keys in the order of a real DeepFashion2 file."""
    start, stop = df2_slot_range(category_id)
    landmarks = []
    for i in range(stop - start):
        landmarks += [5 + i, 6 + i, 2 if i % 4 else 1]
    return {'segmentation': [[4, 4, 36, 4, 36, 26, 4, 26]], 'scale': 2, 'viewpoint': 2,
            'zoom_in': 1, 'landmarks': landmarks, 'style': style,
            'bounding_box': [4, 4, 36, 26], 'category_id': category_id, 'occlusion': 1,
            'category_name': RAW_NAMES[category_id] if name is None else name}


def write_raw(root: Path, stem: str, text: str) -> None:
    (root / 'annos').mkdir(parents=True, exist_ok=True)
    (root / 'image').mkdir(parents=True, exist_ok=True)
    (root / 'annos' / f'{stem}.json').write_text(text)
    Image.new('RGB', (40, 30), (90, 40, 20)).save(root / 'image' / f'{stem}.jpg')


def raw_set(root: Path) -> Path:
    """A shop and a consumer photo of every category (pair_id = category id, style 1); the
    first consumer photo also holds style-0 trousers written *before* its item1."""
    for cid in range(1, 14):
        shop = dict(source='shop', pair_id=cid, item1=raw_item(cid))
        write_raw(root, f'{2 * cid - 1:06d}', json.dumps(shop))
        user = (dict(item2=raw_item(8, style=0), source='user', pair_id=cid,
                     item1=raw_item(cid)) if cid == 1 else
                dict(source='user', pair_id=cid, item1=raw_item(cid)))
        write_raw(root, f'{2 * cid:06d}', json.dumps(user))
    return root


def run_tool(tool: str, *args):
    return subprocess.run([sys.executable, f'tools/dataset_converters/{tool}', *map(str, args)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)


# ----------------------------------------------------------------------------- raw names
def test_coco_converter_keeps_every_raw_file(tmp_path, capsys):
    root = raw_set(tmp_path / 'validation')
    out = tmp_path / 'coco.json'
    assert coco_tool.main(['--anno-dir', str(root / 'annos'), '--image-dir',
                           str(root / 'image'), '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    assert 'problem' not in printed.replace('0 problem(s)', '')
    coco = json.loads(out.read_text())
    assert [i['id'] for i in coco['images']] == list(range(1, 27))
    cats = sorted(a['category_id'] for a in coco['annotations'])
    assert cats == sorted(list(range(1, 14)) * 2 + [8])
    # the keypoints land in the block of the category_id (the name is not used for placing)
    for ann in coco['annotations']:
        start, stop = df2_slot_range(ann['category_id'])
        assert ann['keypoints'][3 * start:3 * start + 3] == [5, 6, 1]
        assert not any(ann['keypoints'][:3 * start]) and not any(ann['keypoints'][3 * stop:])


def test_pf_converter_keeps_every_raw_file(tmp_path, capsys):
    root = raw_set(tmp_path / 'train')
    out = tmp_path / 'pf.json'
    assert pf_tool.main(['--anno-dir', str(root / 'annos'), '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    assert '26 files, 27 items -> 20 entries' in printed
    assert 'style_0 1, not_searched 6' in printed and '0 problem file(s)' in printed
    data = json.loads(out.read_text())
    got = sorted((e['df2_category_id'], e['relation']) for e in data['data_list'])
    assert got == sorted((c, r) for c in DF2_SEARCHED for r in ('original', 'identical'))
    assert data['data_list'][0]['img_path'] == 'train/image/000001.jpg'


def test_coco_style_names_still_accepted_and_a_wrong_name_refused(tmp_path, capsys):
    root = tmp_path / 'set'
    write_raw(root, '000001', json.dumps(dict(source='shop', pair_id=1, item1=raw_item(
        1, name='short_sleeved_shirt'))))
    write_raw(root, '000002', json.dumps(dict(source='user', pair_id=1, item1=raw_item(
        12, name='vest_dress'))))
    write_raw(root, '000003', json.dumps(dict(source='user', pair_id=1, item1=raw_item(
        3, name='vest'))))
    out = tmp_path / 'coco.json'
    assert coco_tool.main(['--anno-dir', str(root / 'annos'), '--image-dir',
                           str(root / 'image'), '--out', str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert ("000003.json: item1.category_name: expected 'short sleeve outwear' or "
            "'short_sleeved_outwear' for category_id 3, got 'vest'") in lines[0]
    assert [a['category_id'] for a in json.loads(out.read_text())['annotations']] == [1, 12]


def test_annotation_ids_follow_item_numbers_not_key_order(tmp_path):
    """Documented difference (docs/deepfashion2.md): the official converter numbers a file's
    items in key order, so there ``item2`` (written first) gets the lower id."""
    root = tmp_path / 'set'
    text = json.dumps(dict(item2=raw_item(8, style=0), source='user', pair_id=1,
                           item1=raw_item(1)))
    write_raw(root, '000001', text)
    write_raw(root, '000002', json.dumps(dict(source='shop', pair_id=1, item1=raw_item(1))))
    out = tmp_path / 'coco.json'
    assert coco_tool.main(['--anno-dir', str(root / 'annos'), '--image-dir',
                           str(root / 'image'), '--out', str(out)]) == 0
    anns = json.loads(out.read_text())['annotations']
    assert [(a['id'], a['image_id'], a['category_id']) for a in anns] == [
        (1, 1, 1), (2, 1, 8), (3, 2, 1)]
    official_order = [k for k in json.loads(text) if k not in ('source', 'pair_id')]
    assert official_order == ['item2', 'item1']  # official ids: item2 -> 1, item1 -> 2


# ----------------------------------------------------------------------------- exit status
def _bad_visibility(root: Path, stem: str) -> None:
    item = raw_item(1)
    item['landmarks'][2] = 3
    write_raw(root, stem, json.dumps(dict(source='shop', pair_id=1, item1=item)))


def test_coco_converter_fails_when_every_file_is_rejected(tmp_path):
    root = tmp_path / 'set'
    for stem in ('000001', '000002'):
        _bad_visibility(root, stem)
    out = tmp_path / 'coco.json'
    proc = run_tool('deepfashion2_to_coco.py', '--anno-dir', root / 'annos', '--image-dir',
                    root / 'image', '--out', out)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.count('problem: ') == 2
    assert ('error: nothing converted: all 2 annotation files were rejected (see the problem '
            f'lines above); {out} not written') in proc.stderr
    assert not out.exists()


def test_coco_converter_reports_dropped_files_on_its_last_line(tmp_path):
    root = tmp_path / 'set'
    write_raw(root, '000001', json.dumps(dict(source='shop', pair_id=1, item1=raw_item(1))))
    _bad_visibility(root, '000002')
    out = tmp_path / 'coco.json'
    proc = run_tool('deepfashion2_to_coco.py', '--anno-dir', root / 'annos', '--image-dir',
                    root / 'image', '--out', out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == (
        'dropped 1 of 2 annotation files (see the problem lines above)')
    assert len(json.loads(out.read_text())['images']) == 1


def test_pf_converter_fails_when_nothing_converts(tmp_path, capsys):
    root = tmp_path / 'set'
    for stem in ('000001', '000002'):
        _bad_visibility(root, stem)
    out = tmp_path / 'pf.json'
    assert pf_tool.main(['--anno-dir', str(root / 'annos'), '--out', str(out)]) == 1
    captured = capsys.readouterr()
    assert 'all 2 annotation files were rejected' in captured.err and not out.exists()

    # files that read fine but hold no searchable item (style 0, bottoms) give no entry either
    root = tmp_path / 'bottoms'
    write_raw(root, '000001', json.dumps(dict(source='shop', pair_id=1, item1=raw_item(7),
                                              item2=raw_item(1, style=0))))
    assert pf_tool.main(['--anno-dir', str(root / 'annos'), '--out', str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: nothing converted: 1 files, 2 items -> 0 entries')
    assert 'style_0 1, not_searched 1' in err and not out.exists()


def test_pf_converter_reports_dropped_files_on_its_last_line(tmp_path, capsys):
    root = tmp_path / 'set'
    write_raw(root, '000001', json.dumps(dict(source='shop', pair_id=1, item1=raw_item(1))))
    write_raw(root, '000002', json.dumps(dict(source='user', pair_id=1, item1=raw_item(1))))
    _bad_visibility(root, '000003')
    out = tmp_path / 'pf.json'
    assert pf_tool.main(['--anno-dir', str(root / 'annos'), '--out', str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == 'dropped 1 of 3 annotation files (see the problem lines above)'
    assert len(json.loads(out.read_text())['data_list']) == 2
