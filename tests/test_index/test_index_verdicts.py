"""Verdict thresholds kept with a gallery index: set, saved, loaded, refused when malformed,
dropped when the region weights change."""
import json

import numpy as np
import pytest

from ps_net.index import DamagedIndexError, GalleryIndex
from ps_net.index.index_file import decode_index_file, encode_index_file
from ps_net.structures import PSNET_CATEGORIES

from .conftest import make_gallery, make_weights

T = {'identical': 0.91, 'plagiarized': 0.62}


@pytest.fixture
def index():
    g = make_gallery(20, 4, seed=1)
    index = GalleryIndex.create(4, PSNET_CATEGORIES, make_weights(0), 'sha256:model')
    index.add(g.ids, g.feats, g.valid, g.cats, g.paths, g.boxes)
    return index


def test_verdicts_survive_save_and_load(index, tmp_path):
    assert index.verdicts is None and index.verdict_thresholds is None
    index.set_verdicts(T, criterion='f1', ann_file='pf_val.json', pairs=(3, 4))
    assert index.verdict_thresholds == T
    assert index.verdicts == dict(thresholds=T, criterion='f1', ann_file='pf_val.json',
                                  pairs=[3, 4])
    index.verdicts['thresholds']['identical'] = 0.0  # a copy
    assert index.verdict_thresholds == T
    index.save(tmp_path / 'a.psidx')
    loaded = GalleryIndex.load(tmp_path / 'a.psidx', expected_fingerprint='sha256:model')
    assert loaded.verdicts == index.verdicts
    loaded.set_verdicts(None)
    loaded.save(tmp_path / 'b.psidx')
    assert GalleryIndex.load(tmp_path / 'b.psidx').verdicts is None


def test_malformed_verdicts_are_refused(index):
    for bad in ({'identical': 0.5, 'plagiarized': 0.6}, {'identical': float('nan'),
                                                        'plagiarized': 0.1},
                {'identical': 0.9}, {'identical': 0.9, 'plagiarized': 0.5, 'copy': 0.7}):
        with pytest.raises(ValueError, match='verdict thresholds'):
            index.set_verdicts(bad)
    with pytest.raises(ValueError, match='JSON-ready'):
        index.set_verdicts(T, recall=float('nan'))
    with pytest.raises(ValueError, match='JSON-ready'):
        index.set_verdicts(T, model=object())
    assert index.verdicts is None  # nothing kept from a refused call


def test_a_file_with_malformed_verdicts_is_refused(index, tmp_path):
    index.set_verdicts(T)
    index.save(tmp_path / 'a.psidx')
    meta, sections = decode_index_file((tmp_path / 'a.psidx').read_bytes())
    meta['verdicts']['thresholds'] = {'identical': 0.1, 'plagiarized': 0.9}
    (tmp_path / 'b.psidx').write_bytes(encode_index_file(json.loads(json.dumps(meta)),
                                                         {k: bytes(v)
                                                          for k, v in sections.items()}))
    with pytest.raises(DamagedIndexError, match='verdict thresholds'):
        GalleryIndex.load(tmp_path / 'b.psidx')


def test_new_region_weights_drop_the_verdicts(index):
    index.set_verdicts(T)
    index.set_region_weights(index.region_weights)  # the same table: kept
    assert index.verdict_thresholds == T
    index.set_region_weights(np.full((len(PSNET_CATEGORIES), 5), 0.2))
    assert index.verdicts is None
