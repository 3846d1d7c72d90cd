"""The index's per-garment region boxes and its free-form metadata: reported with each hit,
kept through remove, save and load."""
import numpy as np
import pytest

from ps_net.index import GalleryIndex
from ps_net.structures import PSNET_CATEGORIES

from .conftest import R, make_gallery


def _region_boxes(n: int) -> np.ndarray:
    boxes = np.arange(n * R * 4, dtype=np.float32).reshape(n, R, 4)
    boxes[::3, 0] = np.nan  # some garments lack a region box
    return boxes


def _index(g, region_boxes=None, factory='Flat'):
    index = GalleryIndex.create(g.feats.shape[2], PSNET_CATEGORIES, None, 'sha256:fp', factory)
    index.add(g.ids, g.feats, g.valid, g.cats, g.paths, g.boxes, region_boxes)
    return index


def _by_id(index, g):
    hits = index.search(g.feats, g.valid, g.cats, topk=1)
    return {h[0].id: h[0] for h in hits}


def test_hits_report_the_region_boxes_of_their_garment():
    g = make_gallery(30, 8, seed=1)
    rb = _region_boxes(30)
    index = _index(g, rb)
    for row, id_ in enumerate(g.ids.tolist()):
        hit = index.search(g.feats[row:row + 1], g.valid[row:row + 1], g.cats[row:row + 1],
                           topk=1)[0][0]
        assert hit.id == id_
        np.testing.assert_array_equal(hit.region_boxes, rb[row])
    d = hit.to_dict()
    assert len(d['region_boxes']) == R
    assert [b is None for b in d['region_boxes']] == np.isnan(rb[row]).any(1).tolist()
    # without region boxes every box is unknown
    plain = _index(g).search(g.feats[:1], g.valid[:1], g.cats[:1], topk=3)[0]
    assert all(np.isnan(h.region_boxes).all() for h in plain)
    assert plain[0].to_dict()['region_boxes'] == [None] * R


def test_region_boxes_are_checked():
    g = make_gallery(4, 8)
    index = GalleryIndex.create(8, PSNET_CATEGORIES, None, 'fp')
    with pytest.raises(ValueError, match=r'region_boxes must be \(4, 5, 4\)'):
        index.add(g.ids, g.feats, g.valid, g.cats, g.paths, g.boxes, np.zeros((4, 4)))
    bad = np.zeros((4, R, 4), np.float32)
    bad[2, 1, 0] = np.inf
    with pytest.raises(ValueError, match=rf'gallery entry 2 \(id {g.ids[2]}\) has an inf'):
        index.add(g.ids, g.feats, g.valid, g.cats, g.paths, g.boxes, bad)
    assert len(index) == 0


@pytest.mark.parametrize('factory', ['Flat', 'HNSW16'])
def test_remove_save_and_load_keep_boxes_and_metadata(tmp_path, factory):
    g = make_gallery(40, 8, seed=2)
    rb = _region_boxes(40)
    index = _index(g, rb, factory)
    index.metadata['model'] = dict(config='a.py', checkpoint='b.pth')
    index.remove(g.ids[::4])
    index.save(tmp_path / 'g.psidx')
    loaded = GalleryIndex.load(tmp_path / 'g.psidx')
    assert loaded.metadata == {'model': {'config': 'a.py', 'checkpoint': 'b.pth'}}
    keep = np.ones(40, bool)
    keep[::4] = False
    got = _by_id(loaded, g)
    for row in np.flatnonzero(keep):
        np.testing.assert_array_equal(got[g.ids[row]].region_boxes, rb[row])
    assert set(got) <= set(g.ids[keep].tolist())
    assert GalleryIndex.load(tmp_path / 'g.psidx').metadata is not loaded.metadata
    empty = GalleryIndex.create(8, PSNET_CATEGORIES, None, 'fp')
    empty.save(tmp_path / 'e.psidx')
    assert GalleryIndex.load(tmp_path / 'e.psidx').metadata == {}
