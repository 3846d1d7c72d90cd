"""tools/search.py and PSNetSearcher: an empty gallery index is refused with a clear error, and
NaN features of one garment leave it unsearched with a reason while the batch goes on (an
index of another model is refused too: tests/test_tools/test_search.py)."""
import numpy as np
import pytest

from tests.conftest import load_tool
from tests.search_world import CONFIG, search_world


@pytest.fixture(scope='module')
def catalogue(tmp_path_factory):
    return search_world(tmp_path_factory)


def test_an_empty_index_is_refused(catalogue, tmp_path, capsys):
    from ps_net.index import GalleryIndex
    index = GalleryIndex.load(str(catalogue.index))
    index.remove(index.ids)
    empty = tmp_path / 'empty.psidx'
    index.save(str(empty))
    good = str(catalogue.data_root / catalogue.gallery()[0]['img_path'])
    tool = load_tool('tools/search.py')
    assert tool.main([str(empty), good, '--config', CONFIG, '--checkpoint',
                      str(catalogue.checkpoint)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (f'error: the index {empty} holds no garment (an empty gallery): '
                           f'every search would answer nothing; build it from a gallery with '
                           f'readable images')


def test_nan_features_leave_one_garment_unsearched(catalogue, monkeypatch):
    from ps_net.apis import PSNetSearcher
    searcher = PSNetSearcher(CONFIG, str(catalogue.checkpoint), str(catalogue.index))
    embed = searcher.embedder.embed

    def broken(packed, batch_size):
        out = embed(packed, batch_size)
        out['flat'][0, :8] = np.nan  # the first garment's features, as a damaged model gives
        return out

    monkeypatch.setattr(searcher.embedder, 'embed', broken)
    images = [str(catalogue.data_root / e['img_path']) for e in catalogue.queries()]
    first, second = searcher(images, topk=3)
    assert first.status == 'not_searched' and first.garments == []
    assert 'NaN or inf region features' in first.reason
    assert first.skipped[0].reason == first.reason
    assert second.status == 'ok' and len(second.garments[0].hits) == 3
