"""PSNetManualRegionWeightHook: the hand-written weights of Table 2's "Manual" row."""
import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from torch import nn

from ps_net.engine.hooks import PSNetManualRegionWeightHook, manual_weight_table

CATS = ('short_sleeved_top', 'long_sleeved_top', 'outwear', 'dress')


class FakeModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.register_buffer('region_weights', torch.full((len(CATS), 5), 0.2))
        self.categories = CATS


def test_table_normalises_rows_in_model_order():
    table = manual_weight_table({'default': [2, 2, 1, 1, 2], 'dress': [1, 1, 1, 1, 0]}, CATS)
    assert table.shape == (4, 5)
    assert torch.allclose(table[0], torch.tensor([.25, .25, .125, .125, .25], dtype=torch.float64))
    assert torch.allclose(table[3], torch.tensor([.25, .25, .25, .25, 0.], dtype=torch.float64))
    assert torch.allclose(table.sum(1), torch.ones(4, dtype=torch.float64))


@pytest.mark.parametrize('weights, match', [
    ({}, 'non-empty dict'),
    ({'default': [1, 1, 1, 1]}, r"weights\['short_sleeved_top'\] must be 5"),
    ({'default': [1, 1, -1, 1, 1]}, '>= 0'),
    ({'default': [0, 0, 0, 0, 0]}, 'positive sum'),
    ({'dress': [1, 1, 1, 1, 1]}, "no row for category 'short_sleeved_top'"),
    ({'default': [1] * 5, 'skirt': [1] * 5}, r"unknown categories \['skirt'\]"),
])
def test_table_rejects_bad_weights(weights, match):
    with pytest.raises(ValueError, match=match):
        manual_weight_table(weights, CATS)


def test_hook_writes_the_buffer_before_test_and_val():
    model = FakeModel()
    runner = SimpleNamespace(model=model, logger=logging.getLogger('manual-hook-test'))
    hook = PSNetManualRegionWeightHook({'default': [0.25, 0.25, 0.15, 0.10, 0.25]}, 'why')
    hook.before_test(runner)
    expected = torch.tensor([0.25, 0.25, 0.15, 0.10, 0.25])
    assert torch.allclose(model.region_weights, expected.expand(4, 5))
    model.region_weights.fill_(0.2)
    hook.before_val(runner)
    assert torch.allclose(model.region_weights, expected.expand(4, 5))


def test_hook_rejects_bad_weights_at_construction():
    with pytest.raises(ValueError, match='5 finite numbers'):
        PSNetManualRegionWeightHook({'default': [1, 2]})


def test_manual_config_differs_from_uniform_and_is_not_learned(repo_root):
    cfg = Config.fromfile(str(repo_root / 'configs' / 'ps_net' /
                              'psnet-manual-weights_hrnet-narrow_20e_synthetic-128.py'))
    hooks = {h['type']: h for h in cfg.custom_hooks}
    manual = hooks['PSNetManualRegionWeightHook']
    assert manual['rationale']
    table = manual_weight_table(manual['weights'], CATS)
    assert not torch.allclose(table, torch.full((4, 5), 0.2, dtype=torch.float64))
    assert 'PSNetRegionWeightHook' not in hooks  # fixed weights: nothing is learned
    assert 'PSNetGalleryHook' in hooks
