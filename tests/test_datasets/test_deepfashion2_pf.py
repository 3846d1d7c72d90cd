"""DeepFashion2 -> Plagiarized Fashion: designs, relations, skips, errors, the CLI."""
import json
import os
from pathlib import Path

import pytest

from ps_net.structures import DF2_CATEGORIES
from ps_net.datasets.deepfashion2 import DF2FormatError
from ps_net.datasets.deepfashion2_pf import (DF2_PF_SKIP_REASONS, df2_design_id, df2_to_pf,
                                             write_df2_pf)
from ps_net.structures.df2_layout import DF2_NUM_SLOTS, df2_slot_range
from ps_net.datasets.pf_format import load_pf, pf_ground_truth, pf_split_entries, validate_pf
from tests.conftest import load_tool

tool = load_tool('tools/dataset_converters/deepfashion2_to_pf.py')
validate_tool = load_tool('tools/dataset_converters/validate_pf.py')


# ----------------------------------------------------------------------------- helpers
def _item(category_id, style=1, box=(5, 6, 35, 28), **over):
    start, stop = df2_slot_range(category_id)
    landmarks = []
    for i in range(stop - start):
        landmarks += [10 + i, 20 + i, [2, 1, 0][i % 3]]
    item = dict(category_id=category_id, category_name=DF2_CATEGORIES[category_id],
                style=style, bounding_box=list(box), landmarks=landmarks,
                segmentation=[[5, 6, 35, 6, 35, 28, 5, 28]], scale=1, occlusion=2, zoom_in=1,
                viewpoint=3)
    item.update(over)
    return item


def _write(anno_dir: Path, stem: str, source: str, pair_id: int, *items) -> None:
    anno_dir.mkdir(parents=True, exist_ok=True)
    raw = dict(source=source, pair_id=pair_id)
    raw.update({f'item{k}': it for k, it in enumerate(items, 1)})
    (anno_dir / f'{stem}.json').write_text(json.dumps(raw))


def _hand_made(root: Path) -> Path:
    """pair 7: one shop and two consumer photos of style 1 (a T-shirt), a style-2 consumer photo
    without shop photo; pair 8: a shop photo only. Plus every kind of skipped item."""
    anno = root / 'train' / 'annos'
    _write(anno, '000001', 'shop', 7, _item(1), _item(9, style=1))       # + skirt: not searched
    _write(anno, '000002', 'user', 7, _item(1, box=(0, 0, 20, 20)), _item(8, style=0))
    _write(anno, '000003', 'user', 7,
           _item(1, box=(0, 0, 10, 10)),                                # smaller: same_image
           _item(1, box=(0, 0, 40, 40)))                                # kept (largest box)
    _write(anno, '000004', 'user', 7, _item(2, style=2))                # design 7002, no shop
    _write(anno, '000005', 'user', 7, _item(4, style=0))                # style 0 only
    _write(anno, '000006', 'shop', 8, _item(11), _item(3, box=(3, 3, 3, 9)))  # empty box
    return anno


# ----------------------------------------------------------------------------- conversion
def test_hand_made_designs_relations_and_skips(tmp_path):
    anno = _hand_made(tmp_path)
    data, report = df2_to_pf(anno, 'train/image')
    assert validate_pf(data) == []
    entries = data['data_list']
    rows = [(e['img_path'], e['split'], e['design_id'], e['relation'], e['category'], e['item'])
            for e in entries]
    assert rows == [
        ('train/image/000001.jpg', 'query', 7001, 'original', 'short_sleeved_top', 1),
        ('train/image/000002.jpg', 'gallery', 7001, 'identical', 'short_sleeved_top', 1),
        ('train/image/000003.jpg', 'gallery', 7001, 'identical', 'short_sleeved_top', 2),
        ('train/image/000004.jpg', 'gallery', 7002, 'identical', 'long_sleeved_top', 1),
        ('train/image/000006.jpg', 'query', 8001, 'original', 'dress', 1),
    ]
    assert all(e['modified_regions'] == [] for e in entries)
    assert dict(report.skipped) == dict(style_0=2, not_searched=1, empty_bbox=1, same_image=1)
    assert tuple(report.skipped) == DF2_PF_SKIP_REASONS
    assert (report.files, report.items, report.entries) == (6, 10, 5)
    assert (report.designs, report.designs_without_original,
            report.designs_without_identical, report.designs_mixed_category) == (3, 1, 1, 0)
    assert data['metainfo'] == dict(
        dataset_name='DeepFashion2 train', format_version=1,
        categories=['short_sleeved_top', 'long_sleeved_top', 'outwear', 'dress'],
        regions=['left_sleeve', 'right_sleeve', 'collar', 'chest', 'waist'],
        landmark_layout='deepfashion2')

    # task identical: the shop photo's positives are the two consumer photos of its style
    queries, gallery = pf_split_entries(data)
    gt = pf_ground_truth(queries, gallery, 'identical')
    assert [p.tolist() for p in gt.positives] == [[0, 1], []]
    assert gt.num_skipped == 1  # design 8001 has no consumer photo
    # no plagiarized copies in DeepFashion2: task plagiarized skips every query
    assert pf_ground_truth(queries, gallery, 'plagiarized').num_skipped == 2


def test_hand_made_landmarks_box_and_extras(tmp_path):
    anno = _hand_made(tmp_path)
    data, _ = df2_to_pf(anno, 'train/image')
    entry = data['data_list'][4]  # long-sleeved dress, category 11
    assert entry['bbox'] == [5, 6, 35, 28]
    assert (entry['df2_category_id'], entry['pair_id'], entry['style'], entry['source']) == \
        (11, 8, 1, 'shop')
    points = entry['landmarks']
    assert len(points) == DF2_NUM_SLOTS
    start, stop = df2_slot_range(11)
    raw = _item(11)['landmarks']
    assert points[start:stop] == [raw[i:i + 3] for i in range(0, len(raw), 3)]
    assert all(p == [0, 0, 0] for p in points[:start] + points[stop:])
    assert all(isinstance(p[2], int) for p in points)


def test_float_visibility_becomes_int(tmp_path):
    anno = tmp_path / 'annos'
    item = _item(1)
    item['landmarks'] = [float(v) for v in item['landmarks']]
    _write(anno, '000001', 'shop', 1, item)
    data, _ = df2_to_pf(anno, '')
    assert data['data_list'][0]['img_path'] == '000001.jpg'
    assert validate_pf(data) == []
    assert data['data_list'][0]['landmarks'][0] == [10.0, 20.0, 2]


def test_design_id():
    assert df2_design_id(22, 2) == 22002
    for style in (0, 1000):
        with pytest.raises(ValueError, match='style'):
            df2_design_id(1, style)


def test_sample_from_shared_data(shared_data, tmp_path):
    """The real DeepFashion2 sample (COCO layout) written back as raw files: two styles of
    pair 22, i.e. two designs; 000264 taken as the shop photo, 000265 as a consumer photo."""
    path = shared_data / 'fashion-format-samples' / 'deepfashion2' / 'deepfasion2.json'
    if not path.is_file():
        pytest.skip(f'DeepFashion2 sample {path} is absent')
    coco = json.loads(path.read_text())
    anno = tmp_path / 'validation' / 'annos'
    sources = {264: 'shop', 265: 'user'}
    for img in coco['images']:
        items = []
        for ann in coco['annotations']:
            if ann['image_id'] != img['id']:
                continue
            start, stop = df2_slot_range(ann['category_id'])
            x, y, w, h = ann['bbox']
            items.append(dict(
                category_id=ann['category_id'],
                category_name=DF2_CATEGORIES[ann['category_id']], style=ann['style'],
                bounding_box=[x, y, x + w, y + h],
                landmarks=ann['keypoints'][3 * start:3 * stop],
                segmentation=ann['segmentation'], scale=2, occlusion=1, zoom_in=1,
                viewpoint=2))
        _write(anno, Path(img['file_name']).stem, sources[img['id']], 22, *items)

    out = tmp_path / 'annotations' / 'pf_val.json'
    assert tool.main(['--anno-dir', str(anno), '--out', str(out)]) == 0
    assert validate_tool.main([str(out)]) == 0
    data = load_pf(str(out))
    rows = [(e['img_path'], e['split'], e['design_id'], e['relation'], e['category'],
             e['bbox']) for e in data['data_list']]
    assert rows == [
        ('validation/image/000264.jpg', 'query', 22001, 'original', 'dress',
         [103, 80, 704, 749]),
        ('validation/image/000265.jpg', 'gallery', 22002, 'identical', 'dress',
         [178, 62, 599, 748]),
    ]
    for entry, ann in zip(data['data_list'], coco['annotations']):
        flat = [v for point in entry['landmarks'] for v in point]
        assert flat == ann['keypoints']
        assert sum(p[2] > 0 for p in entry['landmarks']) == ann['num_keypoints']

    # the project's dataset reads it; styles differ, so design 22001 has no positive
    from ps_net.datasets.plagiarized_fashion import PlagiarizedFashionDataset
    ds = PlagiarizedFashionDataset(str(out), split='query', task='identical',
                                   data_root=str(tmp_path))
    assert len(ds) == 1
    assert ds.get_data_info(0)['img_path'] == str(tmp_path / 'validation/image/000264.jpg')
    assert ds.get_data_info(0)['df2_category_id'] == 11
    assert ds.ground_truth().num_skipped == 1


def test_design_sampler_reads_the_output(tmp_path):
    from ps_net.datasets.plagiarized_fashion import PlagiarizedFashionDataset
    from ps_net.datasets.samplers import PSNetDesignSampler
    data, _ = df2_to_pf(_hand_made(tmp_path), 'train/image')
    out = tmp_path / 'pf_train.json'
    write_df2_pf(data, out)
    ds = PlagiarizedFashionDataset(str(out), with_retrieval_labels=False)
    sampler = PSNetDesignSampler(ds, num_designs=3, per_design=2, seed=0)
    batch = [ds.get_data_info(i)['design_id'] for i in sampler]
    assert len(batch) == 6 and sorted(set(batch)) == [7001, 7002, 8001]


# ----------------------------------------------------------------------------- errors
def test_malformed_file_raises_with_file_and_field(tmp_path):
    anno = _hand_made(tmp_path)
    _write(anno, '000007', 'shop', 9, _item(1, landmarks=[1, 2]))
    with pytest.raises(DF2FormatError, match=r'000007\.json: item1\.landmarks'):
        df2_to_pf(anno)
    data, report = df2_to_pf(anno, on_error='skip')
    assert len(report.problems) == 1 and '000007.json: item1.landmarks' in report.problems[0]
    assert report.entries == 5 and report.files == 6


def test_style_too_large_names_the_item(tmp_path):
    anno = tmp_path / 'annos'
    _write(anno, '000001', 'shop', 1, _item(1, style=1000))
    with pytest.raises(DF2FormatError, match=r'000001\.json: item1\.style'):
        df2_to_pf(anno)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='on_error'):
        df2_to_pf(tmp_path, on_error='ignore')
    with pytest.raises(NotADirectoryError):
        df2_to_pf(tmp_path / 'missing')


# ----------------------------------------------------------------------------- writing, CLI
def test_write_is_atomic_and_never_clobbers(tmp_path):
    data, _ = df2_to_pf(_hand_made(tmp_path), 'train/image')
    out = tmp_path / 'new' / 'pf_train.json'
    write_df2_pf(data, out)  # creates the folder
    text = out.read_text()
    rows = [line for line in text.splitlines() if line.startswith('    {"img_path"')]
    assert len(rows) == len(data['data_list'])  # one entry a line, 294 landmarks included
    with pytest.raises(FileExistsError):
        write_df2_pf(dict(data, data_list=data['data_list'][:1]), out)
    assert out.read_text() == text
    write_df2_pf(dict(data, data_list=data['data_list'][:1]), out, force=True)
    assert len(load_pf(str(out))['data_list']) == 1
    assert os.listdir(out.parent) == ['pf_train.json']  # no temporary file left


def test_cli(tmp_path, capsys):
    anno = _hand_made(tmp_path)
    out = tmp_path / 'annotations' / 'pf_train.json'
    assert tool.main(['--anno-dir', str(anno), '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    assert 'style_0 2, not_searched 1, empty_bbox 1, same_image 1' in printed
    assert load_pf(str(out))['data_list'][0]['img_path'] == 'train/image/000001.jpg'
    before = out.read_text()

    # no overwrite without --force
    assert tool.main(['--anno-dir', str(anno), '--out', str(out), '--img-prefix', 'x']) == 2
    assert 'exists' in capsys.readouterr().err and out.read_text() == before
    assert tool.main(['--anno-dir', str(anno), '--out', str(out), '--img-prefix', 'x',
                      '--force']) == 0
    assert load_pf(str(out))['data_list'][0]['img_path'] == 'x/000001.jpg'

    # a malformed file: listed and left out; with --strict nothing is written
    (anno / '000009.json').write_text('{"source": "shop", "pair_id": "7"}')
    strict_out = tmp_path / 'strict.json'
    assert tool.main(['--anno-dir', str(anno), '--out', str(strict_out), '--strict']) == 1
    assert not strict_out.exists()
    assert '000009.json: pair_id' in capsys.readouterr().out
    assert tool.main(['--anno-dir', str(anno), '--out', str(strict_out)]) == 0
    assert len(load_pf(str(strict_out))['data_list']) == 5

    # bad arguments
    assert tool.main(['--anno-dir', str(tmp_path / 'none'), '--out', str(out)]) == 2
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert tool.main(['--anno-dir', str(empty), '--out', str(tmp_path / 'e.json')]) == 2
    assert tool.main(['--out', str(out)]) == 2
