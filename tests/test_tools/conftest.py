"""Fixtures shared by the tool tests."""
from pathlib import Path

import pytest
import torch

#: The narrow PS-Net config of the tiny-set tool tests.
PSNET_CONFIG = str(Path(__file__).resolve().parents[2] / 'configs' / 'ps_net' /
                   'psnet-region-weights_hrnet-narrow_4e_synthetic-128.py')


@pytest.fixture(scope='session')
def tiny_psnet(tmp_path_factory):
    """``(folder, checkpoint)``: a tiny synthetic set in ``folder / 'set'`` (20 designs, 64 px,
    seed 21) and an untrained narrow PS-Net checkpoint of :data:`PSNET_CONFIG` (the tools
    that embed with a checkpoint do not care how it was trained)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import ps_net  # noqa: F401
    from ps_net.datasets.synthetic import generate_synthetic

    out = tmp_path_factory.mktemp('tiny_psnet')
    generate_synthetic(str(out / 'set'), seed=21, num_designs=20, img_size=64)
    cfg = Config.fromfile(PSNET_CONFIG)
    cfg.model.landmark_checkpoint = None
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    ckpt = out / 'input.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=20)), ckpt)
    return out, ckpt
