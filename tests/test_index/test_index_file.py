"""Saving and loading a gallery index: round trip, atomic writes, refusal of damaged files,
other format versions and other embedding models; the model fingerprint."""
import os
import struct

import numpy as np
import pytest
import torch

from ps_net.index import (DamagedIndexError, GalleryIndex, IndexVersionError,
                          ModelFingerprintError, model_fingerprint)
from ps_net.index.index_file import decode_index_file, encode_index_file
from ps_net.structures import PSNET_CATEGORIES

from .conftest import make_gallery, make_weights

FP = 'sha256:' + 'ab' * 32


def hit_tuples(hits):
    return [[(h.id, h.score, h.region_cosines.tobytes(), h.path, h.box, h.category) for h in hs]
            for hs in hits]


@pytest.fixture
def saved(tmp_path, gallery):
    index = GalleryIndex.create(8, PSNET_CATEGORIES, make_weights(0), FP)
    index.add(gallery.ids, gallery.feats, gallery.valid, gallery.cats, gallery.paths,
              gallery.boxes)
    path = tmp_path / 'gallery.psidx'
    index.save(path)
    return index, path


@pytest.mark.parametrize('factory,params', [('Flat', ''), ('IVF8,PQ8x4np', 'nprobe=8')])
def test_round_trip_gives_identical_results(tmp_path, gallery, factory, params):
    index = GalleryIndex.create(8, PSNET_CATEGORIES, make_weights(1), FP, factory,
                                search_params=params)
    if index.needs_training:
        index.train(gallery.feats, gallery.valid)
    index.add(gallery.ids, gallery.feats, gallery.valid, gallery.cats, gallery.paths,
              gallery.boxes)
    index.remove(gallery.ids[:10])
    index.save(tmp_path / 'a.psidx')
    loaded = GalleryIndex.load(tmp_path / 'a.psidx', expected_fingerprint=FP)
    assert len(loaded) == len(index) and loaded.fingerprint == FP
    assert loaded.backend_config == index.backend_config
    np.testing.assert_array_equal(loaded.region_weights, index.region_weights)
    np.testing.assert_array_equal(loaded.ids, index.ids)
    q = make_gallery(10, 8, seed=4)
    assert hit_tuples(loaded.search(q.feats, q.valid, q.cats, topk=15)) == \
        hit_tuples(index.search(q.feats, q.valid, q.cats, topk=15))
    # the loaded index keeps working: its trained template serves a new validity pattern
    loaded.add([1], q.feats[:1], [[True, False, True, False, True]], [3], ['new.jpg'],
               [[0, 0, 5, 5]])
    assert loaded.search(q.feats[:1], q.valid[:1], [3], topk=1)[0][0].id == 1


def test_empty_index_round_trip(tmp_path):
    index = GalleryIndex.create(8, PSNET_CATEGORIES, None, FP)
    index.save(tmp_path / 'e.psidx')
    loaded = GalleryIndex.load(tmp_path / 'e.psidx')
    q = make_gallery(2, 8)
    assert len(loaded) == 0 and loaded.search(q.feats, q.valid, q.cats) == [[], []]


@pytest.mark.parametrize('where,message', [
    (0, 'bad magic'), (14, 'truncated|longer than written'), (30, 'checksum mismatch'),
    (70, 'checksum mismatch'), (0.5, 'checksum mismatch'), (-1, 'checksum mismatch')])
def test_flipped_byte_is_refused(saved, where, message):
    _, path = saved
    data = bytearray(path.read_bytes())
    pos = int(where * len(data)) if isinstance(where, float) else where
    data[pos] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedIndexError, match=message):
        GalleryIndex.load(path)


@pytest.mark.parametrize('keep', [20, 100, -1])
def test_truncated_file_is_refused(saved, keep):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    with pytest.raises(DamagedIndexError, match='truncated'):
        GalleryIndex.load(path)
    path.write_bytes(data + b'\0')
    with pytest.raises(DamagedIndexError, match='longer than written'):
        GalleryIndex.load(path)


def test_other_format_version_is_refused(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    data[8:12] = struct.pack('<I', 2)
    path.write_bytes(bytes(data))
    with pytest.raises(IndexVersionError, match='format version 2; this code reads version 1'):
        GalleryIndex.load(path)


def test_other_embedding_model_is_refused(saved):
    index, path = saved
    other = 'sha256:' + 'cd' * 32
    with pytest.raises(ModelFingerprintError, match=f'another embedding model .*{FP}.*{other}'):
        GalleryIndex.load(path, expected_fingerprint=other)
    assert len(GalleryIndex.load(path, expected_fingerprint=FP)) == len(index)


def test_file_holds_json_metadata_and_refuses_unknown_dtypes(saved, tmp_path):
    """No pickle: the header is JSON and a section of any dtype off the allow-list (an object
    array, which numpy would unpickle) is refused."""
    _, path = saved
    meta, sections = decode_index_file(path.read_bytes())
    assert meta['fingerprint'] == FP and meta['categories'] == list(PSNET_CATEGORIES)
    assert np.array(meta['region_weights']).shape == (4, 5)
    meta['arrays']['boxes']['dtype'] = '|O'
    forged = tmp_path / 'forged.psidx'
    forged.write_bytes(encode_index_file(meta, {k: bytes(v) for k, v in sections.items()}))
    with pytest.raises(DamagedIndexError, match="section 'boxes' has dtype '\\|O'"):
        GalleryIndex.load(forged)
    forged.write_bytes(b'{"not": "an index"}')
    with pytest.raises(DamagedIndexError, match='truncated|bad magic'):
        GalleryIndex.load(forged)


def test_save_is_atomic(saved, monkeypatch):
    """A failure while writing leaves the previous file intact and no temporary file."""
    index, path = saved
    before = path.read_bytes()
    index.remove(index.ids[:50])
    with pytest.raises(FileExistsError, match='refusing to overwrite'):
        index.save(path)

    def fail(fd):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'fsync', fail)
    with pytest.raises(OSError, match='disk full'):
        index.save(path, overwrite=True)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]
    monkeypatch.undo()
    index.save(path, overwrite=True)
    assert len(GalleryIndex.load(path)) == len(index)


def test_model_fingerprint():
    sd = {'backbone.w': torch.arange(12, dtype=torch.float32).reshape(3, 4),
          'head.b': torch.arange(5), 'region_weights': torch.full((4, 5), 0.2),
          'head.region_weights': torch.ones(2)}
    fp = model_fingerprint(sd)
    # the same in every run and on every machine (bytes, dtype, shape and key of each tensor)
    assert fp == 'sha256:1e4ca4915e1ef699f5fe7484967d67f0db54a99311ddee43a66a58f47e5c73cb'
    # key order does not matter; the region weights are left out
    assert model_fingerprint(dict(reversed(list(sd.items())))) == fp
    assert model_fingerprint({k: v for k, v in sd.items() if 'region' not in k}) == fp
    assert model_fingerprint({**sd, 'region_weights': torch.rand(4, 5)}) == fp
    # any change of what makes the features changes it
    changed = dict(sd, **{'backbone.w': sd['backbone.w'].clone()})
    changed['backbone.w'][1, 2] += 1e-3
    assert model_fingerprint(changed) != fp
    assert model_fingerprint({**sd, 'head.b': sd['head.b'].int()}) != fp  # dtype
    assert model_fingerprint({**sd, 'head.b': sd['head.b'][None]}) != fp  # shape
    renamed = {('neck.w' if k == 'backbone.w' else k): v for k, v in sd.items()}
    assert model_fingerprint(renamed) != fp
    assert model_fingerprint({k: v.numpy() for k, v in sd.items()}) == fp
    with pytest.raises(TypeError, match="entry 'meta' is a dict"):
        model_fingerprint({'meta': {}, 'state_dict': {}})
