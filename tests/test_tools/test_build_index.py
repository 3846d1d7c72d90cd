"""tools/build_index.py: a PF gallery or a folder, resumable after an interruption, bad
images summarised, non-zero exit when everything is rejected."""
import json
import shutil

import numpy as np
import pytest

from tests.conftest import load_tool
from tests.search_world import CONFIG, world  # noqa: F401  (a fixture)


@pytest.fixture
def tool():
    return load_tool('tools/build_index.py')


def _args(world, gallery, out, *extra):
    return [CONFIG, str(world.checkpoint), '--gallery', str(gallery), '--out', str(out),
            '--batch-size', '4', '--chunk-size', '4', *extra]


def test_pf_gallery_index_holds_the_gallery_split_by_position(world, capsys):
    from ps_net.index import GalleryIndex
    index = GalleryIndex.load(world.index)
    gallery = world.gallery()
    assert index.ids.tolist() == list(range(len(gallery)))
    meta = index.metadata
    assert meta['model'] == dict(config=CONFIG, checkpoint=str(world.checkpoint))
    assert meta['gallery']['kind'] == 'pf' and meta['gallery']['indexed'] == len(gallery)
    assert meta['gallery']['skipped'] == {}
    paths = [str(world.data_root / e['img_path']) for e in gallery]
    # every garment finds itself (its stored path and box) with its own features
    from ps_net.apis import GarmentEmbedder
    emb = GarmentEmbedder(CONFIG, str(world.checkpoint))
    own = emb.embed([emb.pack(emb.load_image(p), e['bbox'], e['category'],
                              e['df2_category_id']) for p, e in zip(paths, gallery)])
    found = index.search_flat(own['flat'], topk=1)
    assert [h[0].id for h in found] == list(range(len(gallery)))
    assert [h[0].path for h in found] == paths
    assert [h[0].box for h in found] == [tuple(map(float, e['bbox'])) for e in gallery]
    np.testing.assert_allclose(np.stack([h[0].region_boxes for h in found]),
                               own['region_boxes'], atol=1e-4)
    assert not (world.root / 'building.psidx.parts').exists()  # the sidecar is removed


def test_interrupted_build_resumes_to_the_same_index(world, tool, tmp_path, monkeypatch):
    full = tmp_path / 'full.psidx'
    assert tool.main(_args(world, world.pf_test, full, '--chunk-size', '3')) == 0
    real = tool.embed_chunk
    calls = []

    def crash_after_first(*args, **kwargs):
        if calls:
            raise RuntimeError('killed after the first chunk')
        calls.append(1)
        return real(*args, **kwargs)

    out = tmp_path / 'resumed.psidx'
    monkeypatch.setattr(tool, 'embed_chunk', crash_after_first)
    with pytest.raises(RuntimeError, match='killed'):
        tool.main(_args(world, world.pf_test, out, '--chunk-size', '3'))
    parts = tmp_path / 'resumed.psidx.parts'
    assert sorted(p.name for p in parts.iterdir()) == ['chunk_000000.npz', 'manifest.json']
    assert not out.exists()

    done = []
    monkeypatch.setattr(tool, 'embed_chunk', lambda *a, **k: done.append(1) or real(*a, **k))
    assert tool.main(_args(world, world.pf_test, out, '--chunk-size', '3')) == 0
    assert len(done) == 3  # 10 entries in chunks of 3: chunk 0 was kept
    assert out.read_bytes() == full.read_bytes()
    assert not parts.exists()


def test_a_sidecar_of_another_build_is_discarded(world, tool, tmp_path, capsys):
    out = tmp_path / 'g.psidx'
    parts = tmp_path / 'g.psidx.parts'
    parts.mkdir()
    (parts / 'manifest.json').write_text(json.dumps(dict(gallery='elsewhere')))
    (parts / 'chunk_000000.npz').write_bytes(b'stale')
    assert tool.main(_args(world, world.pf_test, out)) == 0
    assert 'holds chunks of another build: discarded' in capsys.readouterr().out
    _assert_same_index(out, world.index)  # same gallery, model and chunks


def _assert_same_index(a, b):
    """The same garments and metadata, features equal up to float rounding (another test
    module may have built the other one with another torch thread count)."""
    from ps_net.index.index_file import decode_index_file, section_array
    (meta_a, sec_a), (meta_b, sec_b) = (decode_index_file(p.read_bytes()) for p in (a, b))
    assert {k: v for k, v in meta_a.items() if k != 'arrays'} == {
        k: v for k, v in meta_b.items() if k != 'arrays'}
    for name, spec in meta_a['arrays'].items():
        x = section_array(sec_a[f'array/{name}'], spec, name)
        y = section_array(sec_b[f'array/{name}'], meta_b['arrays'][name], name)
        np.testing.assert_allclose(x, y, atol=1e-4)


def test_folder_gallery_skips_bad_images_and_categories(world, tool, tmp_path, capsys):
    from ps_net.index import GalleryIndex
    folder = tmp_path / 'catalogue'
    (folder / 'sub').mkdir(parents=True)
    good = [world.data_root / e['img_path'] for e in world.gallery()[:3]]
    for i, src in enumerate(good):
        shutil.copy(src, folder / ('sub' if i == 2 else '') / f'{i}.jpg')
    (folder / 'empty.jpg').write_bytes(b'')
    (folder / 'corrupt.png').write_bytes(good[0].read_bytes()[:50])
    (folder / 'notes.jpg').write_text('not an image')
    (folder / 'readme.txt').write_text('ignored: not an image name')
    out = tmp_path / 'folder.psidx'
    assert tool.main(_args(world, folder, out)) == 0
    printed = capsys.readouterr().out
    assert 'indexed 3 of 6 entries; skipped 3, 3 unreadable image' in printed
    for name in ('empty.jpg', 'corrupt.png', 'notes.jpg'):
        assert f'{folder / name}: ' in printed
    index = GalleryIndex.load(out)
    # ids are positions in the sorted relative paths
    names = ['0.jpg', '1.jpg', 'corrupt.png', 'empty.jpg', 'notes.jpg', 'sub/2.jpg']
    hits = index.search_flat(_whole_image_flat(world, [folder / n for n in names[:2]]), topk=1)
    assert [h[0].id for h in hits] == [0, 1]
    assert sorted(GalleryIndex.load(out).ids.tolist()) == [0, 1, 5]
    assert index.metadata['gallery']['skipped'] == {'unreadable image': 3}

    # a PF gallery entry of a DeepFashion2 category outside the four is skipped
    data = json.loads(world.pf_test.read_text())
    gallery = [e for e in data['data_list'] if e['split'] == 'gallery']
    gallery[1]['df2_category_id'] = 8
    pf = world.data_root / 'annotations' / 'pf_trousers.json'
    pf.write_text(json.dumps(data))
    assert tool.main(_args(world, pf, tmp_path / 'pf.psidx')) == 0
    assert 'skipped 1, 1 outside the PS-Net categories' in capsys.readouterr().out
    assert 1 not in GalleryIndex.load(tmp_path / 'pf.psidx')


def _whole_image_flat(world, paths):
    from ps_net.apis import GarmentEmbedder
    emb = GarmentEmbedder(CONFIG, str(world.checkpoint))
    return emb.embed([emb.pack(emb.load_image(str(p))) for p in paths])['flat']


def test_all_bad_gallery_exits_non_zero_and_writes_nothing(world, tool, tmp_path, capsys):
    folder = tmp_path / 'bad'
    folder.mkdir()
    (folder / 'a.jpg').write_bytes(b'')
    (folder / 'b.jpg').write_text('text')
    out = tmp_path / 'bad.psidx'
    assert tool.main(_args(world, folder, out)) == 1
    captured = capsys.readouterr()
    assert 'every gallery entry was skipped' in captured.err
    assert 'skipped 2, 2 unreadable image' in captured.out
    assert not out.exists() and not (tmp_path / 'bad.psidx.parts').exists()
    (tmp_path / 'none').mkdir()
    assert tool.main(_args(world, tmp_path / 'none', out)) == 1
    assert 'no gallery entries' in capsys.readouterr().err


def test_bad_arguments_exit_2(world, tool, tmp_path, capsys):
    assert tool.main(_args(world, tmp_path / 'missing', tmp_path / 'x.psidx')) == 2
    assert tool.main(_args(world, world.pf_test, world.index)) == 2
    assert '--overwrite' in capsys.readouterr().err
