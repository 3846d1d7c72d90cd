"""A tiny catalogue for the search tests: a synthetic set, a random-initialised narrow PS-Net
checkpoint and the gallery index of its test split, built once per test session (on disk
under pytest's base temporary folder, so every test module reuses the same files)."""
import json
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / 'configs' / 'ps_net' / 'psnet_hrnet-narrow_20e_synthetic-128.py')


class SearchWorld(NamedTuple):
    root: Path
    data_root: Path
    pf_test: Path
    checkpoint: Path
    other_checkpoint: Path  # another random initialisation (another fingerprint)
    index: Path

    def gallery(self) -> list:
        """The PF test file's gallery entries (index ids are their positions)."""
        data = json.loads(self.pf_test.read_text())
        return [e for e in data['data_list'] if e['split'] == 'gallery']

    def queries(self) -> list:
        data = json.loads(self.pf_test.read_text())
        return [e for e in data['data_list'] if e['split'] == 'query']


def _checkpoint(path: Path, seed: int) -> None:
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    cfg = Config.fromfile(CONFIG)
    cfg.model.landmark_checkpoint = None
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    # distinct per-category region weights, so that eq. 1 depends on the category row
    model.region_weights.copy_(torch.tensor([[.3, .3, .1, .2, .1], [.1, .1, .4, .2, .2],
                                             [.2, .2, .2, .2, .2], [.05, .05, .3, .3, .3]]))
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=0)), path)


def search_world(tmp_path_factory) -> SearchWorld:
    """Build (once per session) or reuse the tiny catalogue."""
    import ps_net  # noqa: F401
    from ps_net.datasets.synthetic import generate_synthetic

    from tests.conftest import load_tool

    root = tmp_path_factory.getbasetemp() / 'search_world'
    world = SearchWorld(root, root / 'set', root / 'set' / 'annotations' / 'pf_test.json',
                        root / 'psnet.pth', root / 'other.pth', root / 'gallery.psidx')
    if world.index.exists():
        return world
    root.mkdir(exist_ok=True)
    # 12 designs: a test split of 2 queries and 10 gallery garments, half of them sleeveless
    generate_synthetic(str(world.data_root), seed=21, num_designs=12, img_size=64)
    _checkpoint(world.checkpoint, 0)
    _checkpoint(world.other_checkpoint, 1)
    tool = load_tool('tools/build_index.py')
    building = root / 'building.psidx'
    assert tool.main([CONFIG, str(world.checkpoint), '--gallery', str(world.pf_test), '--out',
                      str(building), '--batch-size', '4', '--chunk-size', '4']) == 0
    building.rename(world.index)  # complete only once it is in place
    return world


@pytest.fixture(scope='module')
def world(tmp_path_factory) -> SearchWorld:
    """The tiny catalogue (import this fixture into a test module)."""
    return search_world(tmp_path_factory)
