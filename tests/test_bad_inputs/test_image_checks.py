"""An entry's image against the format (pf_format.images), what PlagiarizedFashionDataset does
with a bad one, and validate_pf.py's split and image checks."""
import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from PIL import Image

from ps_net.datasets import PlagiarizedFashionDataset
from ps_net.datasets.pf_format import (PF_MAX_IMAGE_PIXELS, BadImageError, check_entry_image,
                                       garment_box_check, read_image_header)
from tests.conftest import load_tool
from .conftest import exif_rotated, png_header_only, random_bytes, tiny_image, truncate, write_pf

validate_tool = load_tool('tools/dataset_converters/validate_pf.py')

META = dict(format_version=1, categories=['dress'], regions=['collar'])


def _image(path, w=40, h=30):
    Image.fromarray(np.full((h, w, 3), 200, np.uint8)).save(path)
    return path


def _entry(img, split, design=1, relation='original', regions=(), **extra):
    return dict(img_path=str(img), split=split, design_id=design, relation=relation,
                category='dress', modified_regions=list(regions), **extra)


# --------------------------------------------------------------------------- the header check
def test_each_kind_of_bad_file_is_named(tmp_path):
    (tmp_path / 'empty.jpg').write_bytes(b'')
    (tmp_path / 'text.jpg').write_text('hello')
    random_bytes(tmp_path / 'noise.jpg')
    png_header_only(tmp_path / 'big.png', 10000, 9000)  # PIL only warns: the limit refuses
    png_header_only(tmp_path / 'bomb.png', 30000, 30000)  # PIL itself refuses
    (tmp_path / 'folder.jpg').mkdir()
    cases = {'missing.jpg': 'file not found', 'empty.jpg': 'empty file (0 bytes)',
             'text.jpg': 'not an image file (no image format PIL knows; 5 bytes)',
             'noise.jpg': 'not an image file', 'folder.jpg': 'a folder, not an image file',
             'big.png': f'10000 x 9000 = 90000000 pixels, over the limit of '
                        f'{PF_MAX_IMAGE_PIXELS} pixels',
             'bomb.png': 'over the pixel limit'}
    for name, words in cases.items():
        with pytest.raises(BadImageError) as info:
            read_image_header(str(tmp_path / name))
        assert words in str(info.value) and str(info.value).startswith(str(tmp_path / name))
    assert read_image_header(str(tmp_path / 'big.png'), max_pixels=10**8).width == 10000


def test_the_bbox_frame_is_the_displayed_exif_rotated_image(tmp_path):
    exif_rotated(tmp_path / 'r.jpg', (96, 64), orientation=6)  # stored 96 x 64
    header = read_image_header(str(tmp_path / 'r.jpg'))
    assert (header.width, header.height, header.orientation) == (64, 96, 6)
    assert header.stored_size == (96, 64)
    # mmcv's loader (the configs' LoadImageFromFile) decodes the displayed frame
    for backend in ('cv2', 'pillow'):
        img = LoadImageFromFile(imdecode_backend=backend)(dict(img_path=str(tmp_path / 'r.jpg')))
        assert img['img'].shape[:2] == (96, 64)  # (height, width)
    inside_displayed = [10, 60, 50, 90]  # y beyond the stored height 64
    assert check_entry_image(str(tmp_path / 'r.jpg'), inside_displayed).flags == ()
    beyond = check_entry_image(str(tmp_path / 'r.jpg'), [50, 10, 90, 40])  # x beyond 64
    assert beyond.refusal is None and len(beyond.flags) == 1
    assert 'EXIF orientation 6 applied' in beyond.flags[0]
    outside = check_entry_image(str(tmp_path / 'r.jpg'), [70, 10, 95, 40])
    assert outside.refusal.startswith('bbox [70, 10, 95, 40] lies wholly outside the 64 x 96')


def test_box_rules():
    assert garment_box_check(7, 100)[0] == ('image is 7 x 100 px, its shorter side below the '
                                            'minimum of 8 px')
    assert garment_box_check(100, 100, [0, 0, 100, 100]) == (None, ())
    assert garment_box_check(100, 100, [-5, -5, -1, 50])[0].startswith('bbox [-5, -5, -1, 50] '
                                                                       'lies wholly outside')
    refusal, flags = garment_box_check(100, 100, [10, 10, 13, 50])
    assert refusal is None and 'covers 3 x 40 px' in flags[0] and 'degenerate' in flags[0]


# --------------------------------------------------------------------------- the dataset
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PSNetGarmentCrop', input_size=(32, 32)),
            dict(type='PackInputs', meta_keys=('img_path', 'split'))]


@pytest.fixture
def bad_file(tmp_path):
    good = _image(tmp_path / 'good.jpg')
    truncated = tmp_path / 'trunc.jpg'
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), np.uint8)
    Image.fromarray(noise).save(truncated)
    truncate(truncated)
    (tmp_path / 'empty.jpg').write_bytes(b'')
    tiny_image(tmp_path / 'tiny.jpg')
    entries = [_entry(good, 'query'),
               _entry(tmp_path / 'empty.jpg', 'gallery', relation='plagiarized',
                      regions=['collar']),
               _entry(truncated, 'gallery', relation='identical'),
               _entry(tmp_path / 'tiny.jpg', 'gallery', relation='irrelevant'),
               _entry(_image(tmp_path / 'outside.jpg'), 'gallery', 2, bbox=[50, 1, 60, 9]),
               _entry(_image(tmp_path / 'partly.jpg'), 'gallery', 3, bbox=[30, 1, 60, 29])]
    return write_pf(tmp_path / 'pf.json', META, entries)


def test_a_gallery_with_bad_images_is_served_marked(bad_file):
    gallery = PlagiarizedFashionDataset(ann_file=str(bad_file), split='gallery',
                                        pipeline=PIPELINE)
    samples = [gallery[i] for i in range(len(gallery))]
    assert all(s['inputs'].shape == (3, 32, 32) for s in samples)
    marks = [s['data_samples'].metainfo.get('bad_input') for s in samples]
    assert [m and (m['action'], m['split_index'], m['pf_index']) for m in marks] == [
        ('skipped', 0, 1), ('skipped', 1, 2), ('skipped', 2, 3), ('skipped', 3, 4),
        ('flagged', 4, 5)]
    reasons = [m['reason'] for m in marks]
    assert reasons[0] == 'empty file (0 bytes)'
    assert reasons[1].startswith('cannot decode the image: ')  # the header was fine
    assert reasons[2] == 'image is 1 x 1 px, its shorter side below the minimum of 8 px'
    assert reasons[3].startswith('bbox [50, 1, 60, 9] lies wholly outside the 40 x 30 image')
    assert reasons[4].startswith('bbox [30, 1, 60, 29] extends beyond the 40 x 30 image')
    assert samples[0]['inputs'].max() == 0  # the black stand-in


def test_training_sets_skip_and_strict_sets_raise(bad_file):
    train = PlagiarizedFashionDataset(ann_file=str(bad_file), pipeline=PIPELINE,
                                      with_retrieval_labels=False)
    assert train.bad_inputs == 'skip'
    assert train.prepare_data(0) is not None and train.prepare_data(1) is None
    assert train[1] is not None  # mmengine draws another entry
    strict = PlagiarizedFashionDataset(ann_file=str(bad_file), split='gallery',
                                       pipeline=PIPELINE, bad_inputs='raise')
    with pytest.raises(BadImageError, match=r'empty\.jpg: empty file \(0 bytes\)'):
        strict[0]
    with pytest.raises(ValueError, match="bad_inputs must be one of"):
        PlagiarizedFashionDataset(ann_file=str(bad_file), bad_inputs='ignore')
    low = PlagiarizedFashionDataset(ann_file=str(bad_file), split='query', pipeline=PIPELINE,
                                    max_image_pixels=100)
    assert 'over the limit of 100 pixels' in low[0]['data_samples'].bad_input['reason']


def test_a_split_dataset_without_entries_is_refused(tmp_path):
    only = write_pf(tmp_path / 'q.json', META, [_entry('a.jpg', 'query')])
    with pytest.raises(ValueError, match=r"q\.json: field 'data_list': no 'gallery' entry"):
        PlagiarizedFashionDataset(ann_file=str(only), split='gallery')
    assert len(PlagiarizedFashionDataset(ann_file=str(only), split='query')) == 1


# --------------------------------------------------------------------------- validate_pf.py
def test_validator_refuses_a_split_without_queries_or_gallery(tmp_path, capsys):
    empty = write_pf(tmp_path / 'empty.json', META, [])
    catalogue = write_pf(tmp_path / 'cat.json', META, [_entry('g.jpg', 'gallery')])
    assert validate_tool.main([str(empty), str(catalogue)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{empty}: field 'data_list': no 'query' entry (0 entries: 0 query, 0 gallery); a file "
        'to score needs at least one query and one gallery entry',
        f"{empty}: field 'data_list': no 'gallery' entry (0 entries: 0 query, 0 gallery); a "
        'file to score needs at least one query and one gallery entry',
        f"{catalogue}: field 'data_list': no 'query' entry (1 entries: 0 query, 1 gallery); a "
        'file to score needs at least one query and one gallery entry']
    assert validate_tool.main([str(catalogue), '--gallery-only']) == 0
    assert validate_tool.main([str(empty), '--gallery-only']) == 1


def test_validator_checks_the_images_with_data_root(bad_file, tmp_path, capsys):
    assert validate_tool.main([str(bad_file)]) == 0  # the annotations alone are fine
    capsys.readouterr()
    assert validate_tool.main([str(bad_file), '--data-root', str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"warning: {bad_file}: data_list[5] field 'img_path' "
                             f"({tmp_path / 'partly.jpg'}): bbox [30, 1, 60, 29] extends beyond")
    expected = [(1, 'empty.jpg', 'empty file (0 bytes)'), (3, 'tiny.jpg', 'image is 1 x 1 px'),
                (4, 'outside.jpg', 'bbox [50, 1, 60, 9] lies wholly outside the 40 x 30 image')]
    assert len(out) == 1 + len(expected)
    for line, (index, name, reason) in zip(out[1:], expected):
        assert line.startswith(f"{bad_file}: data_list[{index}] field 'img_path' "
                               f'({tmp_path / name}): {reason}'), line
    # the truncated image's header is fine: only decoding finds it (the dataset does)
    assert all('trunc.jpg' not in line for line in out)
