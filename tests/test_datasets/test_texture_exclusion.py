"""Photos kept out of the synthetic generator's real-texture pool (``--exclude-textures``)."""
import json
import os

import cv2
import numpy as np
import pytest

from ps_net.datasets.synthetic.textures import (PhotoBank, PhotoExclusion, TexturePool,
                                                read_photo_list)
from tests.conftest import load_tool


@pytest.fixture
def texture_root(tmp_path):
    """``<root>/train/<class>/*.jpg`` like clothing-small, 3 t-shirts and 2 dresses."""
    root = tmp_path / 'clothing'
    rng = np.random.default_rng(0)
    for cls, n in (('t-shirt', 3), ('dress', 2)):
        (root / 'train' / cls).mkdir(parents=True)
        for i in range(n):
            img = rng.integers(0, 255, size=(120, 90, 3), dtype=np.uint8)
            cv2.imwrite(str(root / 'train' / cls / f'{i}.jpg'), img)
    return root


def test_read_photo_list_text_and_coco(tmp_path):
    text = tmp_path / 'test_photos.txt'
    text.write_text('# header\nt-shirt/0.jpg\n\n  dress/./1.jpg  \n')
    assert read_photo_list(str(text)) == ('t-shirt/0.jpg', 'dress/1.jpg')
    coco = tmp_path / 'val.json'
    coco.write_text(json.dumps({'images': [{'id': 3, 'file_name': 't-shirt/2.jpg'}],
                                'annotations': []}))
    assert read_photo_list(str(coco)) == ('t-shirt/2.jpg', )
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps({'images': [{'id': 1}]}))
    with pytest.raises(ValueError, match=r'images\[0\].file_name'):
        read_photo_list(str(bad))
    bad.write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="'images' list"):
        read_photo_list(str(bad))
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        read_photo_list(str(tmp_path / 'missing.txt'))


def test_exclusion_matches_by_suffix_or_absolute_path(tmp_path):
    full = str(tmp_path / 'train' / 'dress' / '1.jpg')
    ex = PhotoExclusion(['t-shirt/0.jpg', full, 'shirt/9.jpg'])
    assert ex.excludes('train/t-shirt/0.jpg')
    assert not ex.excludes('train/longt-shirt/0.jpg')  # components, not characters
    assert ex.excludes('train/dress/1.jpg', full)
    assert not ex.excludes('train/dress/1.jpg', str(tmp_path / 'elsewhere' / '1.jpg'))
    assert ex.unmatched() == ['shirt/9.jpg']


def test_photo_bank_leaves_excluded_photos_out(texture_root):
    whole = PhotoBank(str(texture_root))
    assert len(whole) == 5 and whole.source == 'clothing:5'
    bank = PhotoBank(TexturePool(str(texture_root), ('t-shirt/0.jpg', 'dress/1.jpg')))
    assert bank.files == ['train/dress/0.jpg', 'train/t-shirt/1.jpg', 'train/t-shirt/2.jpg']
    assert bank.excluded == 2 and bank.source == 'clothing:3 (2 excluded)'
    with pytest.raises(ValueError, match='remove all 5 photos'):
        PhotoBank(TexturePool(str(texture_root), ('0.jpg', '1.jpg', '2.jpg')))


def test_make_synthetic_exclude_textures(texture_root, tmp_path, capsys):
    listed = tmp_path / 'test_photos.txt'
    listed.write_text('# photos behind the test split\nt-shirt/0.jpg\nt-shirt/1.jpg\n')
    coco = tmp_path / 'val.json'
    coco.write_text(json.dumps({'images': [{'id': 1, 'file_name': 'dress/0.jpg'}]}))
    tool = load_tool('tools/make_synthetic.py')
    out = tmp_path / 'syn'
    code = tool.main(['--out', str(out), '--num-designs', '2', '--img-size', '64',
                      '--workers', '1', '--texture-dir', str(texture_root),
                      '--exclude-textures', str(listed), '--exclude-textures', str(coco)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary['texture_source'] == 'clothing:2 (3 excluded)'
    meta = json.loads((out / 'annotations' / 'pf_train.json').read_text())['metainfo']
    assert meta['texture_source'] == 'clothing:2 (3 excluded)'
    assert tool.main(['--out', str(tmp_path / 'x'), '--texture-dir', str(texture_root),
                      '--exclude-textures', str(tmp_path / 'nope.txt')]) == 2
    assert 'nope.txt' in capsys.readouterr().err
    assert not os.path.exists(tmp_path / 'x')
