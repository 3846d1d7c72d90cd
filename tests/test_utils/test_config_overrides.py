"""ps_net.utils.config_overrides: ``--cfg-options`` that name list entries by type."""
import pytest
from mmengine.config import Config

from ps_net.engine.launch import apply_test_args, apply_train_args
from ps_net.utils import merge_cfg_options, resolve_type_keys, type_index


def _cfg(hooks=None):
    return Config(dict(
        train_cfg=dict(max_epochs=4),
        param_scheduler=[dict(type='LinearLR', end=100),
                         dict(type='MultiStepLR', end=20, milestones=[14, 18])],
        custom_hooks=hooks if hooks is not None else [
            dict(type='PSNetGalleryHook'), dict(type='PSNetRegionWeightHook', steps=[(0, 0.1)])],
        train_dataloader=dict(dataset=dict(pipeline=[dict(type='LoadImageFromFile'),
                                                     dict(type='PSNetGarmentCrop',
                                                          input_size=(128, 128))]))))


def test_type_names_become_the_entries_indices():
    cfg = _cfg()
    assert resolve_type_keys(cfg, {
        'custom_hooks.PSNetRegionWeightHook.steps': [(0, 0.5)],
        'param_scheduler.MultiStepLR.milestones': [4, 5],
        'train_dataloader.dataset.pipeline.PSNetGarmentCrop.input_size': (64, 64),
        'train_cfg.max_epochs': 2}) == {
        'custom_hooks.1.steps': [(0, 0.5)],
        'param_scheduler.1.milestones': [4, 5],
        'train_dataloader.dataset.pipeline.1.input_size': (64, 64),
        'train_cfg.max_epochs': 2}


def test_merge_changes_only_the_named_entry():
    cfg = _cfg()
    merge_cfg_options(cfg, {'param_scheduler.MultiStepLR.end': 6,
                            'custom_hooks.PSNetRegionWeightHook.steps': [(0, 0.5), (1, 0.1)]})
    assert cfg.param_scheduler[0] == dict(type='LinearLR', end=100)
    assert cfg.param_scheduler[1].end == 6 and cfg.param_scheduler[1].milestones == [14, 18]
    assert cfg.custom_hooks[0] == dict(type='PSNetGalleryHook')
    assert [tuple(s) for s in cfg.custom_hooks[1].steps] == [(0, 0.5), (1, 0.1)]


def test_a_hook_added_before_does_not_move_the_override():
    option = {'custom_hooks.PSNetRegionWeightHook.steps': [(0, 0.5)]}
    hooks = [dict(type='EMAHook'), dict(type='PSNetGalleryHook'),
             dict(type='PSNetRegionWeightHook', steps=[(0, 0.1)])]
    cfg = _cfg(hooks)
    merge_cfg_options(cfg, option)
    assert cfg.custom_hooks[2].steps == [(0, 0.5)]
    assert 'steps' not in cfg.custom_hooks[1]  # where the positional key `custom_hooks.1` points


def test_positional_and_new_keys_pass_through():
    cfg = _cfg()
    options = {'custom_hooks.0.priority': 'LOW', 'randomness.seed': 3, 'model.new.key': 1}
    assert resolve_type_keys(cfg, options) == options
    merge_cfg_options(cfg, options)
    assert cfg.custom_hooks[0].priority == 'LOW' and cfg.randomness.seed == 3


def test_an_absent_type_raises_and_names_the_types_there_are():
    with pytest.raises(KeyError, match=r"custom_hooks has no entry of type 'EMAHook' "
                                       r"\(its types: \['PSNetGalleryHook', "
                                       r"'PSNetRegionWeightHook'\]\)"):
        merge_cfg_options(_cfg(), {'custom_hooks.EMAHook.momentum': 0.1})


def test_a_type_listed_twice_must_be_named_by_index():
    hooks = [dict(type='PSNetGalleryHook'), dict(type='PSNetGalleryHook')]
    with pytest.raises(ValueError, match=r'2 entries of type .PSNetGalleryHook. \(at \[0, 1\]\)'):
        resolve_type_keys(_cfg(hooks), {'custom_hooks.PSNetGalleryHook.priority': 'LOW'})
    assert type_index(hooks + [dict(type='A')], 'A') == 2


def test_train_and_test_tools_take_type_names(tmp_path):
    cfg = apply_train_args(_cfg(), 'configs/x/my_cfg.py', work_dir=str(tmp_path),
                           cfg_options={'param_scheduler.MultiStepLR.milestones': [2, 3]})
    assert cfg.param_scheduler[1].milestones == [2, 3]
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    cfg = apply_test_args(_cfg(), 'configs/x/my_cfg.py', str(ckpt), work_dir=str(tmp_path),
                          cfg_options={'custom_hooks.PSNetGalleryHook.priority': 'LOW'})
    assert cfg.custom_hooks[0].priority == 'LOW' and 'priority' not in cfg.custom_hooks[1]
