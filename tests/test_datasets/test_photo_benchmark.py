"""The real-photo plagiarism benchmark (``ps_net.datasets.photo_benchmark`` and
``tools/make_plagiarism_benchmark.py``), on a folder of drawn garment photos and, when the
shared data is there, on clothing-small."""
import hashlib
import json
import os
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest

from ps_net.datasets.pf_format import load_pf, validate_pf
from ps_net.datasets.photo_benchmark import (BenchmarkConfig, NothingUsable, OPERATORS,
                                             ReshootConfig, apply_operator, build_benchmark,
                                             estimate_silhouette, load_photo, operators_for,
                                             region_layout, reshoot)
from ps_net.datasets.photo_benchmark.edit_ops import KIND_REGIONS
from ps_net.datasets.photo_benchmark.edit_plan import make_copy
from ps_net.datasets.photo_benchmark.pixel_ops import FEATHER
from ps_net.datasets.photo_benchmark.reshoot import map_box
from ps_net.structures import REGIONS
from tests.conftest import load_tool

W, H = 200, 260

#: Garment outlines on a 200 x 260 canvas (image left first).
OUTLINES = {
    't-shirt': [(80, 30), (120, 30), (150, 40), (188, 85), (162, 108), (146, 92), (146, 238),
                (54, 238), (54, 92), (38, 108), (12, 85), (50, 40)],
    'longsleeve': [(80, 30), (120, 30), (150, 40), (192, 205), (172, 210), (146, 100),
                   (146, 238), (54, 238), (54, 100), (28, 210), (8, 205), (50, 40)],
    'shirt': [(82, 28), (118, 28), (152, 40), (190, 200), (170, 206), (146, 104), (146, 240),
              (54, 240), (54, 104), (30, 206), (10, 200), (48, 40)],
    'outwear': [(78, 24), (122, 24), (156, 38), (194, 215), (172, 220), (150, 104),
                (150, 244), (50, 244), (50, 104), (28, 220), (6, 215), (44, 38)],
    'dress': [(84, 22), (116, 22), (136, 32), (152, 58), (138, 70), (132, 96), (172, 246),
              (28, 246), (68, 96), (62, 70), (48, 58), (64, 32)],
    'pants': [(60, 20), (140, 20), (158, 240), (118, 240), (100, 90), (82, 240), (42, 240)],
    'skirt': [(70, 40), (130, 40), (170, 220), (30, 220)],
}


def draw_photo(cls: str, seed: int) -> np.ndarray:
    """A flat-lay photo: one garment of class ``cls`` on a plain, slightly noisy background
    (BGR), with a printed panel on the chest of the tops."""
    rng = np.random.default_rng([seed, len(cls)])
    bg = rng.uniform(170, 235, size=3)
    img = np.empty((H, W, 3), np.float32)
    img[:] = bg
    color = rng.uniform(20, 140, size=3)
    if cls in ('hat', 'shoes'):
        centres = [(100, 130)] if cls == 'hat' else [(65, 140), (135, 140)]
        for c in centres:
            cv2.ellipse(img, c, (45 if cls == 'hat' else 30, 40), 0, 0, 360, color.tolist(), -1)
    else:
        outline = OUTLINES.get(cls, OUTLINES['skirt'])
        cv2.fillPoly(img, [np.array(outline, np.int32)], color.tolist())
    if cls in ('t-shirt', 'longsleeve', 'shirt', 'outwear'):
        stripe = color * 0.6
        for y in range(60, 230, 18):  # woven stripes: a texture the edits must keep or change
            cv2.line(img, (56, y), (144, y), stripe.tolist(), 2)
        ink = (255 - color).tolist()
        cv2.rectangle(img, (76, 90), (124, 130), ink, -1)
        cv2.putText(img, 'AB', (80, 122), cv2.FONT_HERSHEY_DUPLEX, 1.0, color.tolist(), 2)
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope='module')
def photo_dir(tmp_path_factory) -> Path:
    """``<dir>/<class>/*.jpg``: 5 photos of each design class, 2 of each distractor class."""
    root = tmp_path_factory.mktemp('photos')
    counts = dict(zip(('t-shirt', 'shirt', 'longsleeve', 'outwear', 'dress'), [5] * 5))
    counts.update({c: 2 for c in ('pants', 'shorts', 'skirt', 'hat', 'shoes')})
    for cls, n in counts.items():
        (root / cls).mkdir()
        for i in range(n):
            cv2.imwrite(str(root / cls / f'{cls}_{i}.jpg'), draw_photo(cls, i),
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
    (root / 'notes').mkdir()  # a folder of another name is not read
    (root / 'notes' / 'a.jpg').write_bytes(b'not read')
    return root


CONFIG = BenchmarkConfig(split_fractions=(0.4, 0.2, 0.4), holdout_family='recolour',
                         sheet_per_category=1)


@pytest.fixture(scope='module')
def bench(photo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp('bench') / 'b'
    report = build_benchmark(str(photo_dir), str(out), seed=0, config=CONFIG)
    return out, report


def _entries(out: Path):
    files = {}
    for name in sorted(os.listdir(out / 'annotations')):
        files[name] = load_pf(str(out / 'annotations' / name))['data_list']
    return files


def _tree_hashes(folder: Path):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob('*')) if p.is_file()}


def test_output_validates_and_holds_every_picture(bench):
    out, report = bench
    files = _entries(out)
    assert sorted(files) == ['pf_test.json', 'pf_test_seen.json', 'pf_test_unseen.json',
                             'pf_train.json', 'pf_val.json']
    for name in files:
        assert validate_pf(json.loads((out / 'annotations' / name).read_text())) == []
    designs = 0
    for split in ('train', 'val', 'test'):
        entries = files[f'pf_{split}.json']
        by_design = defaultdict(list)
        for e in entries:
            assert (out / e['img_path']).is_file()
            assert e['img_path'].startswith(f'images/{split}/')
            by_design[e['design_id']].append(e)
        for did, group in by_design.items():
            relations = sorted(e['relation'] for e in group)
            if group[0]['role'] == 'distractor':
                assert relations == ['original'] and group[0]['split'] == 'gallery'
                continue
            designs += 1
            assert relations.count('original') == 1 and relations.count('identical') == 1
            assert 2 <= relations.count('plagiarized') <= 3
            assert [e['split'] for e in group if e['relation'] == 'original'] == ['query']
            for e in group:
                if e['relation'] == 'plagiarized':
                    assert 1 <= len({x['kind'] for x in e['edit_ops']}) <= 2
                    assert set(e['modified_regions']) == {r for x in e['edit_ops']
                                                         for r in x['regions']}
    assert designs == 25 == sum(v['queries'] for v in report['splits'].values())
    assert report['photos'] == dict(found=35, excluded=0, skipped=0, usable=35, used=35,
                                    unused=0, skipped_by_reason={})
    locality = report['edit_locality']
    assert locality['copies'] == sum(v['copies'] for v in report['splits'].values())
    assert locality['changed_outside_zones'] == 0 == locality['changed_in_other_regions']
    assert locality['own_box_share_pixel']['p5'] >= 0.8
    for sheet in ('contact_sheet.png', 'operators.png'):  # one test design per category
        assert cv2.imread(str(out / sheet)).shape[0] > 4 * 200


def test_no_design_or_photo_crosses_splits(bench):
    out, _ = bench
    files = _entries(out)
    seen_ids, seen_photos = {}, {}
    for split in ('train', 'val', 'test'):
        for e in files[f'pf_{split}.json']:
            assert seen_ids.setdefault(e['design_id'], split) == split
            assert seen_photos.setdefault(e['source_photo'], split) == split
    listed = (out / 'test_photos.txt').read_text().splitlines()
    assert [p for p in listed if not p.startswith('#')] == sorted(
        p for p, s in seen_photos.items() if s == 'test')


def test_holdout_family_only_in_test(bench):
    out, report = bench
    files = _entries(out)

    def families(e):
        return {x['family'] for x in e.get('edit_ops', ())}

    for split in ('train', 'val'):
        copies = [e for e in files[f'pf_{split}.json'] if e['relation'] == 'plagiarized']
        assert copies and not any('recolour' in families(e) for e in copies)
    test_copies = [e for e in files['pf_test.json'] if e['relation'] == 'plagiarized']
    held = [e for e in test_copies if 'recolour' in families(e)]
    assert held and len(held) < len(test_copies)
    assert report['splits']['test']['copies_with_holdout'] == len(held)
    seen = [e for e in files['pf_test_seen.json'] if e['relation'] == 'plagiarized']
    unseen = [e for e in files['pf_test_unseen.json'] if e['relation'] == 'plagiarized']
    assert len(seen) + len(unseen) == len(test_copies) and len(unseen) == len(held)
    assert all('recolour' in families(e) for e in unseen)
    assert not any('recolour' in families(e) for e in seen)
    others = [e for e in files['pf_test.json'] if e['relation'] != 'plagiarized']
    for name in ('pf_test_seen.json', 'pf_test_unseen.json'):
        assert [e for e in files[name] if e['relation'] != 'plagiarized'] == others


def test_deterministic_for_a_seed(photo_dir, bench, tmp_path):
    out, _ = bench
    again = tmp_path / 'again'  # in two processes, elsewhere: the same bytes
    build_benchmark(str(photo_dir), str(again), seed=0, config=CONFIG, workers=2)
    assert _tree_hashes(again) == _tree_hashes(out)
    other = tmp_path / 'other'
    build_benchmark(str(photo_dir), str(other), seed=1, config=CONFIG)
    assert (other / 'annotations' / 'pf_test.json').read_bytes() != \
        (out / 'annotations' / 'pf_test.json').read_bytes()


def _photo(cls='t-shirt', seed=0):
    rgb = cv2.cvtColor(draw_photo(cls, seed), cv2.COLOR_BGR2RGB)
    sil = estimate_silhouette(rgb)
    category = {'t-shirt': 'short_sleeved_top', 'longsleeve': 'long_sleeved_top',
                'outwear': 'outwear', 'dress': 'dress'}[cls]
    return rgb, sil, region_layout(sil.mask, sil.bbox, category), category


def test_silhouette_and_layout_of_a_drawn_garment():
    rgb, sil, layout, _ = _photo('t-shirt')
    assert sil.fallback is None
    x1, y1, x2, y2 = sil.bbox
    assert abs(x1 - 12) <= 4 and abs(x2 - 188) <= 4 and abs(y1 - 30) <= 4 and abs(y2 - 238) <= 4
    assert list(layout.boxes) == list(REGIONS)
    boxes = list(layout.boxes.values())
    for i, a in enumerate(boxes):  # the regions do not overlap
        for b in boxes[i + 1:]:
            assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1])
    assert layout.boxes['right_sleeve'][0] < layout.boxes['chest'][0]  # image left
    # a sleeveless dress drawn without sleeves has no sleeve regions
    mask = np.zeros((H, W), np.uint8)
    cv2.fillPoly(mask, [np.array([(80, 20), (120, 20), (170, 246), (30, 246)], np.int32)], 1)
    layout = region_layout(mask, (30, 20, 171, 247), 'dress')
    assert not layout.has_sleeves and set(layout.boxes) == {'collar', 'chest', 'waist'}


def test_silhouette_falls_back_on_a_blank_photo():
    blank = np.full((H, W, 3), 128, np.uint8)
    sil = estimate_silhouette(blank)
    assert sil.fallback is not None
    assert sil.mask.mean() > 0.6 and sil.bbox[0] > 0


@pytest.mark.parametrize('cls', ['t-shirt', 'longsleeve', 'outwear', 'dress'])
def test_every_operator_changes_only_its_regions(cls):
    rgb, sil, layout, category = _photo(cls)
    donor = cv2.cvtColor(draw_photo('t-shirt', 3), cv2.COLOR_BGR2RGB)
    donors = {'print': lambda: donor[90:131, 76:125], 'fabric': lambda: donor[150:200, 70:130]}
    pad = int(np.ceil(2 * FEATHER))
    applied = 0
    for kind, names in KIND_REGIONS.items():
        names = [n for n in names if n in layout.boxes]
        for op in operators_for(kind, category):
            result = None
            for seed in range(4):  # an operator may not apply to one draw (no room, no print)
                result = apply_operator(op, rgb, sil.mask, layout, names, np.random.default_rng(
                    seed), donors)
                if result is not None:
                    break
            if result is None:  # the drawn dress: no print, cap sleeves too small to reshape
                assert cls == 'dress' and op in ('print_removal', 'sleeve_length',
                                                 'sleeve_width'), (cls, op)
                continue
            applied += 1
            out, zones, _ = result
            assert set(zones) == set(names) or (kind == 'sleeves' and set(zones) <= set(names))
            changed = np.abs(out.astype(int) - rgb.astype(int)).max(-1) > 0
            allowed = np.zeros_like(changed)
            for x1, y1, x2, y2 in zones.values():
                allowed[y1:y2, x1:x2] = True
            assert changed.any() and not (changed & ~allowed).any(), (cls, op)
            # the other regions are untouched, but for the feather at a shared edge
            for other, (x1, y1, x2, y2) in layout.boxes.items():
                if other in zones:
                    continue
                inner = changed[y1 + pad:y2 - pad, x1 + pad:x2 - pad]
                assert not inner.any(), (cls, op, other)
            # and most of a pixel edit's change (by magnitude) lies inside the named regions' boxes
            own = np.zeros_like(changed)
            for name in zones:
                x1, y1, x2, y2 = layout.boxes[name]
                own[y1:y2, x1:x2] = True
            size = np.abs(out.astype(int) - rgb.astype(int)).sum(-1)
            if not OPERATORS[op].shape:
                assert size[own].sum() >= 0.8 * size.sum(), (cls, op, size[own].sum() / size.sum())
    assert applied >= 6


def test_copy_edits_stay_in_their_zones_and_respect_the_holdout():
    rgb, sil, layout, category = _photo('outwear', 2)
    donors = {'print': lambda: None, 'fabric': lambda: None}
    for seed in range(12):
        copy = make_copy(rgb, sil.mask, layout, category, np.random.default_rng(seed), donors,
                         two_region_prob=0.5, holdout='reshape', allow_holdout=False)
        assert copy is not None
        assert all(e['family'] != 'reshape' for e in copy.edits)
        assert copy.modified_regions == sorted(copy.zones, key=REGIONS.index)
        changed = np.abs(copy.image.astype(int) - rgb.astype(int)).max(-1) > 0
        allowed = np.zeros_like(changed)
        for x1, y1, x2, y2 in copy.zones.values():
            allowed[y1:y2, x1:x2] = True
        assert changed.any() and not (changed & ~allowed).any()


def test_reshoot_carries_boxes_and_is_seeded():
    img = np.zeros((H, W, 3), np.uint8)
    box = (60, 80, 140, 200)
    img[80:200, 60:140] = 255
    still = ReshootConfig(gain=(1, 1), gradient=0, cast=(1, 1), gamma=(1, 1), blur_prob=0,
                          noise_prob=0, jpeg_quality=(95, 95))
    shot = reshoot(img, np.random.default_rng(3), still)
    out = cv2.imdecode(np.frombuffer(shot.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    ys, xs = np.nonzero(out > 128)
    found = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    mapped = map_box(box, shot.homography, shot.size)
    assert np.abs(np.array(found) - np.array(mapped)).max() <= 2
    assert not np.allclose(shot.homography, np.eye(3))
    assert reshoot(img, np.random.default_rng(3)).jpeg == reshoot(
        img, np.random.default_rng(3)).jpeg


def test_exclusion_lists_are_respected(photo_dir, tmp_path):
    text = tmp_path / 'list.txt'
    text.write_text('# photos kept out\nt-shirt/t-shirt_0.jpg\n\ndress/dress_1.jpg\n')
    coco = tmp_path / 'val.json'
    coco.write_text(json.dumps({'images': [{'id': 1, 'file_name': 'shirt/shirt_2.jpg'}]}))
    tool = load_tool('tools/make_plagiarism_benchmark.py')
    out = tmp_path / 'b'
    code = tool.main(['--images', str(photo_dir), '--out', str(out), '--per-category', '3',
                      '--exclude', str(text), '--exclude', str(coco), '--no-default-exclude'])
    assert code == 0
    used = {e['source_photo'] for name, entries in _entries(out).items() for e in entries}
    assert not used & {'t-shirt/t-shirt_0.jpg', 'dress/dress_1.jpg', 'shirt/shirt_2.jpg'}
    report = json.loads((out / 'report.json').read_text())
    assert report['photos']['excluded'] == 3 and report['exclusion']['unmatched'] == []


def test_bad_photos_are_skipped_and_counted(photo_dir, tmp_path, capsys):
    folder = tmp_path / 'photos'
    for cls in ('t-shirt', 'dress'):
        (folder / cls).mkdir(parents=True)
        for src in sorted((photo_dir / cls).iterdir())[:3]:
            (folder / cls / src.name).write_bytes(src.read_bytes())
    good = (photo_dir / 't-shirt' / 't-shirt_0.jpg').read_bytes()
    (folder / 't-shirt' / 'text.jpg').write_text('this is not a photo')
    (folder / 't-shirt' / 'empty.jpg').write_bytes(b'')
    (folder / 'dress' / 'truncated.jpg').write_bytes(good[:len(good) // 3])
    cv2.imwrite(str(folder / 'dress' / 'tiny.jpg'), np.zeros((40, 40, 3), np.uint8))
    tool = load_tool('tools/make_plagiarism_benchmark.py')
    out = tmp_path / 'b'
    assert tool.main(['--images', str(folder), '--out', str(out), '--no-default-exclude']) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert 'skipped 4 of 10 photos' in last
    report = json.loads((out / 'report.json').read_text())
    assert report['photos']['skipped_by_reason'] == {'corrupt': 1, 'not an image': 2,
                                                     'too small': 1}
    assert {e['path'].rsplit('/', 1)[1] for e in report['skipped_photos']} == {
        'text.jpg', 'empty.jpg', 'truncated.jpg', 'tiny.jpg'}
    for entries in _entries(out).values():
        assert not any(e['source_photo'].endswith(('text.jpg', 'empty.jpg', 'truncated.jpg',
                                                   'tiny.jpg')) for e in entries)


def test_nothing_usable_exits_non_zero_and_writes_nothing(tmp_path, capsys):
    folder = tmp_path / 'photos' / 't-shirt'
    folder.mkdir(parents=True)
    (folder / 'a.jpg').write_text('not an image')
    tool = load_tool('tools/make_plagiarism_benchmark.py')
    out = tmp_path / 'b'
    assert tool.main(['--images', str(folder.parent), '--out', str(out),
                      '--no-default-exclude']) == 1
    assert 'no usable photo' in capsys.readouterr().err
    assert not out.exists() and os.listdir(tmp_path) == ['photos']
    with pytest.raises(NothingUsable):
        build_benchmark(str(folder.parent), str(out))


def test_out_is_never_overwritten_without_force(photo_dir, tmp_path, capsys):
    tool = load_tool('tools/make_plagiarism_benchmark.py')
    out = tmp_path / 'b'
    args = ['--images', str(photo_dir), '--out', str(out), '--per-category', '1',
            '--max-distractors', '1', '--no-default-exclude']
    assert tool.main(args) == 0
    before = _tree_hashes(out)
    assert tool.main(args + ['--seed', '1']) == 2
    assert 'pass --force' in capsys.readouterr().err
    assert _tree_hashes(out) == before
    assert tool.main(args + ['--seed', '1', '--force']) == 0
    after = _tree_hashes(out)
    assert after != before and json.loads((out / 'report.json').read_text())['seed'] == 1
    assert sorted(os.listdir(tmp_path)) == ['b']  # no staging folder left behind
    (out / 'mine.txt').write_text('a file of the user')
    assert tool.main(args + ['--force']) == 2
    assert (out / 'mine.txt').read_text() == 'a file of the user'
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'thesis.tex').write_text('x')
    assert tool.main(['--images', str(photo_dir), '--out', str(foreign), '--force']) == 2
    assert (foreign / 'thesis.tex').exists()
    assert tool.main(['--images', str(photo_dir), '--out', str(photo_dir / 'x')]) == 2


def test_config_refuses_bad_settings():
    with pytest.raises(ValueError, match='holdout_family'):
        BenchmarkConfig(holdout_family='paint')
    with pytest.raises(ValueError, match='copies'):
        BenchmarkConfig(copies=(3, 2))
    with pytest.raises(ValueError, match='split_fractions'):
        BenchmarkConfig(split_fractions=(0.5, 0.5, 0.5))


def test_clothing_small_benchmark(shared_data, tmp_path, repo_root):
    images = shared_data / 'clothing-small' / 'train'
    if not images.is_dir():
        pytest.skip(f'{images} is absent')
    landmarks = repo_root / 'annotations' / 'clothing-small_landmarks_val.json'
    tool = load_tool('tools/make_plagiarism_benchmark.py')
    out = tmp_path / 'real'
    assert tool.main(['--images', str(images), '--out', str(out), '--per-category', '3',
                      '--max-distractors', '4']) == 0
    files = _entries(out)
    queries = [e for entries in (files['pf_train.json'], files['pf_val.json'],
                                 files['pf_test.json']) for e in entries if e['split'] == 'query']
    assert sorted({e['category'] for e in queries}) == ['dress', 'long_sleeved_top', 'outwear',
                                                        'short_sleeved_top']
    assert len(queries) == 12
    photo = load_photo(str(images / queries[0]['source_photo']))
    written = cv2.imread(str(out / queries[0]['img_path']))
    assert written.shape[:2] == photo.shape[:2]
    if landmarks.is_file():
        from ps_net.datasets.synthetic.textures import read_photo_list
        kept_out = set(read_photo_list(str(landmarks)))
        used = {e['source_photo'] for entries in files.values() for e in entries}
        assert kept_out and not used & kept_out
        assert json.loads((out / 'report.json').read_text())['photos']['excluded'] == len(
            kept_out)
