"""The synthetic garment generator: geometry, edits, frequencies, determinism, file formats."""
import dataclasses
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from ps_net.structures.df2_layout import (DF2_CHAIN_COUNTS, DF2_NUM_KEYPOINTS, df2_flip_indices,
                                        df2_slot_range)
from ps_net.structures import DF2_SEARCHED, DF2_SLEEVELESS, PSNET_CATEGORIES, REGIONS
from ps_net.datasets.pf_format import load_pf
from ps_net.datasets.synthetic import (EDIT_KINDS, PAPER_TABLE1, SyntheticConfig, apply_edits,
                                       edit_shares, generate_synthetic, sample_edit_kinds,
                                       settings_hash)
from ps_net.datasets.synthetic.garments import garment_geometry, sample_shape
from ps_net.datasets.synthetic.generator import make_copy
from ps_net.datasets.synthetic.render import render_flat, sample_design
from ps_net.datasets.synthetic.textures import PhotoBank
from tests.conftest import load_tool, shared_data_root

SIZE = 192
CATEGORIES = sorted(DF2_CHAIN_COUNTS)


@pytest.fixture(scope='module')
def bank():
    folder = shared_data_root() / 'clothing-small'
    return PhotoBank(str(folder) if folder.is_dir() else None)


def _designs(cid, bank, n=4):
    rng = np.random.default_rng(cid)
    return [sample_design(cid, rng, bank, 0.5) for _ in range(n)]


def test_upper_body_and_dress_categories_are_covered():
    assert set(CATEGORIES) == set(DF2_SEARCHED)


@pytest.mark.parametrize('cid', CATEGORIES)
def test_landmarks_lie_on_the_drawn_garment_and_in_their_region_boxes(cid, bank):
    for design in _designs(cid, bank):
        flat = render_flat(design, SIZE, bank)
        assert flat.landmarks.shape == (DF2_NUM_KEYPOINTS[cid], 2)
        mask = Image.fromarray((flat.image[..., 3] > 0).astype(np.uint8) * 255)
        mask = np.asarray(mask.filter(ImageFilter.MaxFilter(5))) > 0  # 2 px tolerance
        cols = np.clip(flat.landmarks[:, 0].astype(int), 0, SIZE - 1)
        rows = np.clip(flat.landmarks[:, 1].astype(int), 0, SIZE - 1)
        off = np.nonzero(~mask[rows, cols])[0]
        assert off.size == 0, f'landmarks {off + 1} of category {cid} are off the garment'
        expected = {'collar', 'chest', 'waist'} | (
            set() if cid in DF2_SLEEVELESS else {'left_sleeve', 'right_sleeve'})
        assert set(flat.region_boxes) == expected
        for region, idx in flat.groups.items():
            x1, y1, x2, y2 = flat.region_boxes[region]
            pts = flat.landmarks[idx]
            assert len(idx) >= 2
            assert ((pts[:, 0] >= x1) & (pts[:, 0] <= x2) & (pts[:, 1] >= y1)
                    & (pts[:, 1] <= y2)).all(), (cid, region)


def test_sleeve_names_follow_the_wearer():
    """The wearer's right sleeve is on the image left."""
    flat = render_flat(sample_design(1, np.random.default_rng(0), PhotoBank(None), 0), SIZE,
                       PhotoBank(None))
    assert flat.region_boxes['right_sleeve'][2] < SIZE / 2 < flat.region_boxes['left_sleeve'][0]


@pytest.mark.parametrize('cid', CATEGORIES)
def test_landmark_order_mirrors_like_the_flip_table(cid):
    """A symmetric silhouette mirrored onto itself maps keypoint i to keypoint flip[i]."""
    geo = garment_geometry(sample_shape(cid, np.random.default_rng(cid)))
    start, stop = df2_slot_range(cid)
    flip = np.asarray(df2_flip_indices()[start:stop]) - start
    mirrored = geo.landmarks * [-1, 1]
    np.testing.assert_allclose(mirrored[flip], geo.landmarks, atol=1e-9)


def test_flip_table_matches_mmpose_except_its_one_sided_vest_pair():
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    meta = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/deepfashion2.py'))
    theirs = list(meta['flip_indices'])
    ours = df2_flip_indices()
    assert len(theirs) == len(ours) == 294
    differ = [i for i in range(294) if theirs[i] != ours[i]]
    # mmpose lists vest keypoint 9 <-> 13 only one way, so its slot 140 (vest 13) maps to itself
    assert differ == [140] and theirs[140] == 140 and ours[140] == 136 and theirs[136] == 140


@pytest.mark.parametrize('kind', EDIT_KINDS)
@pytest.mark.parametrize('cid', CATEGORIES)
def test_edit_changes_only_its_regions(kind, cid, bank):
    if kind == 'sleeves' and cid in DF2_SLEEVELESS:
        with pytest.raises(ValueError, match='no sleeves'):
            apply_edits(_designs(cid, bank, 1)[0], [kind], np.random.default_rng(0), bank, 0.5)
        return
    rng = np.random.default_rng(100 + cid)
    for design in _designs(cid, bank, 3):
        flat = render_flat(design, SIZE, bank)
        for _ in range(3):
            copy, regions = apply_edits(design, [kind], rng, bank, 0.5)
            assert regions and set(regions) <= set(REGIONS)
            if kind == 'sleeves':
                assert set(regions) <= {'left_sleeve', 'right_sleeve'}
            else:
                assert regions == [kind]
            copy_flat = render_flat(copy, SIZE, bank)
            changed = np.abs(flat.image.astype(int) - copy_flat.image.astype(int)).max(-1) > 0
            allowed = np.zeros_like(changed)
            for r in regions:
                for boxes in (flat.region_boxes, copy_flat.region_boxes):
                    x1, y1, x2, y2 = boxes[r]
                    allowed[int(np.floor(y1)):int(np.ceil(y2)),
                            int(np.floor(x1)):int(np.ceil(x2))] = True
            leak = changed & ~allowed
            assert not leak.any(), f'{kind} edit on {cid} changed {leak.sum()} px outside {regions}'


def test_make_copy_always_changes_something_visible(bank):
    config = SyntheticConfig()
    for cid in CATEGORIES:
        design = _designs(cid, bank, 1)[0]
        flat = render_flat(design, SIZE, bank)
        _, regions, copy_flat = make_copy(design, flat, SIZE, np.random.default_rng(cid), bank,
                                          config)
        assert 1 <= len(regions) <= 3
        assert (copy_flat.image != flat.image).any()


@pytest.mark.parametrize('cid,category', [(1, 'short_sleeved_top'), (2, 'long_sleeved_top'),
                                          (4, 'outwear'), (11, 'dress')])
def test_first_edit_frequencies_follow_paper_table1(cid, category):
    rng = np.random.default_rng(0)
    n = 20000
    firsts = Counter(sample_edit_kinds(cid, SyntheticConfig(), rng)[0] for _ in range(n))
    for kind in EDIT_KINDS:
        assert abs(firsts[kind] / n - PAPER_TABLE1[category][kind]) < 0.015, (kind, firsts)


def test_sleeveless_drop_sleeves_and_custom_frequencies_apply():
    shares = edit_shares(12, SyntheticConfig())  # vest dress
    assert shares['sleeves'] == 0 and abs(sum(shares.values()) - 1) < 1e-9
    assert shares['waist'] == pytest.approx(0.56 / 0.94)
    only_collar = {c: {'sleeves': 0, 'collar': 1, 'chest': 0, 'waist': 0}
                   for c in PSNET_CATEGORIES}
    config = SyntheticConfig(region_frequencies=only_collar, two_region_prob=0.0)
    rng = np.random.default_rng(0)
    assert {tuple(sample_edit_kinds(1, config, rng)) for _ in range(50)} == {('collar', )}
    config2 = SyntheticConfig(two_region_prob=1.0)
    kinds = [sample_edit_kinds(2, config2, rng) for _ in range(200)]
    assert all(len(k) == 2 and k[0] != k[1] for k in kinds)


@pytest.mark.parametrize('bad,match', [
    (dict(split_fractions=(0.5, 0.5, 0.5)), 'split_fractions'),
    (dict(num_plagiarized=-1), 'num_plagiarized'),
    (dict(two_region_prob=1.5), 'two_region_prob'),
    (dict(region_frequencies={'dress': {'chest': 1}}), 'region_frequencies'),
    (dict(category_weights={7: 1.0}), 'category_weights'),
    (dict(jpeg_quality=(90, 50)), 'jpeg_quality'),
    (dict(long_sleeve_angle=(70, 95)), 'long_sleeve_angle'),
    (dict(long_sleeve_angle=(80, 60)), 'long_sleeve_angle'),
])
def test_config_rejects_bad_settings(bad, match):
    with pytest.raises(ValueError, match=match):
        SyntheticConfig(**bad)


def test_settings_hash_is_stable_and_sensitive():
    assert settings_hash(SyntheticConfig()) == settings_hash(SyntheticConfig())
    assert settings_hash(SyntheticConfig(occlusion_prob=0.2)) != settings_hash(SyntheticConfig())
    assert settings_hash(SyntheticConfig(long_sleeve_angle=(55.0, 88.0))) \
        != settings_hash(SyntheticConfig())


def test_frozen_default_hash_stands_after_settings_were_added():
    # the hash docs/synthetic_data.md and the README record for the default set
    assert settings_hash(SyntheticConfig()) == '5cacb91a592dba6f'


def test_long_sleeve_angle_range_sets_where_the_cuff_hangs():
    cid = 2  # long-sleeved top
    low = [sample_shape(cid, np.random.default_rng(s)) for s in range(50)]
    hanging = [sample_shape(cid, np.random.default_rng(s), long_sleeve_angle=(80.0, 88.0))
               for s in range(50)]
    assert all(np.radians(55) <= s.sleeve_angle <= np.radians(68) for s in low)
    assert all(np.radians(80) <= s.sleeve_angle <= np.radians(88) for s in hanging)

    def cuff_reach(shape):
        geo = garment_geometry(shape)
        pts = np.asarray(geo.polygons['sleeve_il'])
        return pts[:, 0].min(), pts[:, 1].max()
    # a hanging sleeve stays closer to the body side and reaches further down
    (x_low, y_low), (x_hang, y_hang) = (np.mean([cuff_reach(s) for s in group], 0)
                                        for group in (low, hanging))
    assert x_hang > x_low + 0.1 and y_hang > y_low
    # the same rng draws: only the angle differs from the default shape
    a, b = low[0], hanging[0]
    assert dataclasses.replace(b, sleeve_angle=a.sleeve_angle) == a


def _files(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob('*')) if p.is_file()}


@pytest.fixture(scope='module')
def small_set(tmp_path_factory, bank):
    out = tmp_path_factory.mktemp('synthetic') / 'a'
    summary = generate_synthetic(str(out), seed=3, num_designs=8, img_size=96,
                                 texture_dir=bank.root, workers=1)
    return out, summary


def test_same_seed_gives_same_bytes_whatever_the_output_folder(small_set, tmp_path, bank):
    out, _ = small_set
    other = tmp_path / 'elsewhere' / 'b'
    generate_synthetic(str(other), seed=3, num_designs=8, img_size=96, texture_dir=bank.root,
                       workers=2)
    ours, theirs = _files(out), _files(other)
    assert sorted(ours) == sorted(theirs) and len(ours) == 8 * 6 + 6
    assert [k for k in ours if ours[k] != theirs[k]] == []
    third = tmp_path / 'c'
    generate_synthetic(str(third), seed=4, num_designs=8, img_size=96, texture_dir=bank.root)
    assert _files(third)['annotations/pf_train.json'] != ours['annotations/pf_train.json']


def test_outputs_follow_the_plagiarized_fashion_spec(small_set):
    out, summary = small_set
    designs = {}
    total = 0
    for split in ('train', 'val', 'test'):
        data = load_pf(str(out / 'annotations' / f'pf_{split}.json'))  # validates the spec
        meta = data['metainfo']
        assert meta['landmark_layout'] == 'deepfashion2'
        assert meta['settings_hash'] == settings_hash(SyntheticConfig())
        assert meta['categories'] == list(PSNET_CATEGORIES)
        for e in data['data_list']:
            total += 1
            designs.setdefault(e['design_id'], set()).add(split)
            assert not Path(e['img_path']).is_absolute()
            with Image.open(out / e['img_path']) as img:
                assert img.size == (96, 96)
            assert e['category'] in PSNET_CATEGORIES
            assert (e['split'] == 'query') == (e['relation'] == 'original')
            assert (e['relation'] == 'plagiarized') == bool(e['modified_regions'])
            assert len(e['landmarks']) == 294
            start, stop = df2_slot_range(e['df2_category_id'])
            lm = np.asarray(e['landmarks'])
            assert (lm[:start, 2] == 0).all() and (lm[stop:, 2] == 0).all()
            assert (lm[start:stop, 2] > 0).mean() > 0.6
            x1, y1, x2, y2 = e['bbox']
            vis = lm[lm[:, 2] > 0]
            assert ((vis[:, 0] >= x1 - 2) & (vis[:, 0] <= x2 + 2) & (vis[:, 1] >= y1 - 2)
                    & (vis[:, 1] <= y2 + 2)).all()
            for r in e['modified_regions']:
                assert r in e['region_boxes'] or r.endswith('sleeve')
    assert all(len(s) == 1 for s in designs.values()), 'a design crosses splits'
    assert len(designs) == 8 and total == summary['images'] == 48


def test_coco_files_load_in_mmpose_and_mmdet(small_set):
    out, _ = small_set
    coco = json.loads((out / 'annotations' / 'coco_train.json').read_text())
    pf = load_pf(str(out / 'annotations' / 'pf_train.json'))
    assert len(coco['categories']) == 13 and len(coco['images']) == len(pf['data_list'])
    ann = coco['annotations'][0]
    assert len(ann['keypoints']) == 294 * 3
    assert ann['num_keypoints'] == sum(1 for v in ann['keypoints'][2::3] if v > 0)
    assert {a['style'] for a in coco['annotations']} >= {0, 1, 2}

    from mmpose.datasets import DeepFashion2Dataset
    pose = DeepFashion2Dataset(ann_file='annotations/coco_train.json', data_root=str(out),
                               data_prefix=dict(img=''), test_mode=True, pipeline=[])
    assert len(pose) == len(coco['annotations'])
    item = pose[0]
    assert item['keypoints'].shape == (1, 294, 2)
    np.testing.assert_allclose(item['keypoints'][0, :, 0],
                               np.asarray(ann['keypoints'][0::3], np.float32))

    from mmdet.datasets import CocoDataset
    from ps_net.structures import DF2_CATEGORIES
    det = CocoDataset(ann_file='annotations/coco_train.json', data_root=str(out),
                      data_prefix=dict(img=''), metainfo=dict(classes=tuple(
                          DF2_CATEGORIES[i] for i in sorted(DF2_CATEGORIES))),
                      test_mode=True, pipeline=[])
    assert len(det) == len(coco['images'])
    assert det[0]['instances'][0]['bbox_label'] == ann['category_id'] - 1


def test_refuses_to_overwrite_annotations_and_checks_arguments(small_set):
    out, _ = small_set
    before = (out / 'annotations' / 'pf_val.json').read_bytes()
    with pytest.raises(FileExistsError, match='pf_train.json exists'):
        generate_synthetic(str(out), seed=9, num_designs=2, img_size=64)
    assert (out / 'annotations' / 'pf_val.json').read_bytes() == before
    for kwargs, match in ((dict(num_designs=0), 'num_designs'), (dict(img_size=32), 'img_size'),
                          (dict(seed=-1), 'seed'), (dict(workers=0), 'workers')):
        with pytest.raises(ValueError, match=match):
            generate_synthetic(str(out / 'x'), **kwargs)


def test_procedural_textures_when_no_photo_folder(tmp_path):
    summary = generate_synthetic(str(tmp_path), seed=1, num_designs=3, img_size=64,
                                 texture_dir=None)
    assert summary['texture_source'] == 'procedural' and summary['images'] == 18
    with pytest.raises(FileNotFoundError, match='holds no photo'):
        PhotoBank(str(tmp_path / 'annotations'))


def test_cli_and_contact_sheet(tmp_path):
    tool = load_tool('tools/make_synthetic.py')
    out = tmp_path / 'set'
    args = ['--out', str(out), '--seed', '2', '--num-designs', '3', '--img-size', '64',
            '--workers', '1', '--texture-dir', 'none']
    assert tool.main(args) == 0
    assert tool.main(args) == 2  # refuses to overwrite
    assert tool.main(args + ['--force']) == 0
    assert tool.main(['--out', str(tmp_path / 'y'), '--texture-dir', str(tmp_path / 'no')]) == 2

    from ps_net.visualization import draw_sheet
    png = draw_sheet(str(out / 'annotations' / 'pf_train.json'), str(tmp_path / 's.png'),
                     num_designs=2, tile_size=64)
    designs = {e['design_id'] for e in load_pf(str(out / 'annotations' / 'pf_train.json'))
               ['data_list']}
    with Image.open(png) as sheet:
        assert sheet.size == (6 * 68, min(2, len(designs)) * (64 + 28 + 4))
    with pytest.raises(FileExistsError):
        draw_sheet(str(out / 'annotations' / 'pf_train.json'), png)


def test_copy_keeps_the_canvas_of_its_original(bank):
    design = _designs(2, bank, 1)[0]
    copy, _ = apply_edits(design, ['sleeves', 'waist'], np.random.default_rng(1), bank, 0.5)
    assert copy.canvas == design.canvas and dataclasses.is_dataclass(copy)
