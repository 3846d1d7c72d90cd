"""tools/build_index.py on bad input: garments with NaN features are skipped and named (all of
them: exit 1, nothing written), an empty gallery is refused naming what is missing."""
import json

import numpy as np
import pytest
import torch

from tests.conftest import load_tool
from tests.search_world import CONFIG, world  # noqa: F401  (a fixture)


@pytest.fixture
def tool():
    return load_tool('tools/build_index.py')


def _args(world, gallery, out, checkpoint=None):
    return [CONFIG, str(checkpoint or world.checkpoint), '--gallery', str(gallery), '--out',
            str(out), '--batch-size', '4', '--chunk-size', '4']


def test_a_checkpoint_giving_nan_features_writes_nothing(world, tool, tmp_path, capsys):
    ckpt = torch.load(world.checkpoint, map_location='cpu', weights_only=True)
    for key, value in ckpt['state_dict'].items():
        if key.startswith('head.embed.'):  # the region embedding layers only
            value.fill_(float('nan'))
    broken = tmp_path / 'nan.pth'
    torch.save(ckpt, broken)
    out = tmp_path / 'nan.psidx'
    assert tool.main(_args(world, world.pf_test, out, broken)) == 1
    captured = capsys.readouterr()
    assert 'every gallery entry was skipped' in captured.err
    assert 'skipped 10, 10 unusable features' in captured.out
    assert 'NaN or inf features (is the checkpoint sound?)' in captured.out
    assert not out.exists() and not (tmp_path / 'nan.psidx.parts').exists()


def test_one_garment_with_nan_features_is_skipped_and_named(world, tool, tmp_path, capsys,
                                                           monkeypatch):
    from ps_net.apis import GarmentEmbedder
    from ps_net.index import GalleryIndex
    real = GarmentEmbedder.embed

    def poison_garment_5(self, packed, batch_size=32):
        out = real(self, packed, batch_size)
        for i, p in enumerate(packed):
            if p['data_samples'].img_path.endswith(world.gallery()[5]['img_path']):
                out['flat'][i, :3] = np.nan
        return out

    monkeypatch.setattr(GarmentEmbedder, 'embed', poison_garment_5)
    out = tmp_path / 'one.psidx'
    assert tool.main(_args(world, world.pf_test, out)) == 0
    printed = capsys.readouterr().out
    assert 'indexed 9 of 10 entries; skipped 1, 1 unusable features' in printed
    assert f'skipped 5 {world.data_root / world.gallery()[5]["img_path"]}: NaN or inf' in printed
    index = GalleryIndex.load(out)
    assert index.ids.tolist() == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert index.metadata['gallery']['skipped'] == {'unusable features': 1}


def test_unusable_features_names_each_row():
    tool = load_tool('tools/build_index.py')
    dim, r = 2, 5
    flat = np.zeros((3, r * dim + r + 1), np.float32)
    flat[:, :r * dim] = 1.0
    flat[:, r * dim:r * dim + r] = 1.0  # every region valid
    flat[1, 4] = np.inf
    flat[2, 2 * dim:3 * dim] = 0.0  # a valid collar with a zero feature
    assert tool.unusable_features(flat) == {
        1: 'NaN or inf features (is the checkpoint sound?)',
        2: "region 'collar' is valid but its feature is zero"}


def test_an_empty_gallery_is_refused(world, tool, tmp_path, capsys):
    data = json.loads(world.pf_test.read_text())
    data['data_list'] = [e for e in data['data_list'] if e['split'] == 'query']
    pf = tmp_path / 'queries_only.json'
    pf.write_text(json.dumps(data))
    assert tool.main(_args(world, pf, tmp_path / 'x.psidx')) == 1
    assert "no entry of split 'gallery' in its data_list" in capsys.readouterr().err
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'notes.txt').write_text('not an image')
    assert tool.main(_args(world, tmp_path / 'empty', tmp_path / 'x.psidx')) == 1
    assert 'no image files (.jpg .jpeg' in capsys.readouterr().err
    assert not (tmp_path / 'x.psidx').exists()
