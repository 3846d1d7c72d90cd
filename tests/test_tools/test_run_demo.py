"""tools/run_demo.py: its short training schedules apply to the configs they name."""
import pytest
from mmengine.config import Config, DictAction

from ps_net.utils import merge_cfg_options
from tests.conftest import load_tool

demo = load_tool('tools/run_demo.py')


def _apply(config, options, repo_root):
    cfg = Config.fromfile(str(repo_root / config))
    action = DictAction(option_strings=['--cfg-options'], dest='cfg_options')
    parsed = {}
    for opt in options:
        key, value = opt.split('=', 1)
        parsed[key] = action._parse_iterable(value)
    merge_cfg_options(cfg, parsed)
    return cfg


def test_landmark_schedule(repo_root):
    cfg = _apply(demo.LANDMARK_CONFIG, demo.DEMO_SCHEDULES['landmark'][0], repo_root)
    assert cfg.train_cfg.max_epochs == 6
    warmup, steps = cfg.param_scheduler
    assert steps.type == 'MultiStepLR' and steps.milestones == [4, 5] and steps.end == 6
    assert warmup.type == 'LinearLR' and warmup.end == 100  # the warm-up is untouched
    assert demo.DEMO_SCHEDULES['landmark'][1] == 'epoch_6.pth'


def test_psnet_schedules(repo_root):
    cfg = _apply(demo.PSNET_CONFIG, demo.DEMO_SCHEDULES['psnet'][0], repo_root)
    assert cfg.train_cfg.max_epochs == 12 and cfg.param_scheduler[0].milestones == [8, 11]
    assert cfg.default_hooks.checkpoint.interval == 12
    cfg = _apply(demo.WEIGHTS_CONFIG, demo.DEMO_SCHEDULES['psnet_weights'][0], repo_root)
    hooks = {h.type: h for h in cfg.custom_hooks}
    assert [tuple(s) for s in hooks['PSNetRegionWeightHook'].steps] == [(0, 0.1), (1, 0.05)]
    assert 'steps' not in hooks['PSNetGalleryHook']
    assert cfg.train_cfg.max_epochs == 2 and cfg.model.train_network is False


def test_schedules_name_hooks_and_schedulers_by_type():
    """No option reaches into a list by position (it would target another entry once one is
    added before it)."""
    for options, _ in demo.DEMO_SCHEDULES.values():
        for option in options:
            assert not any(part.isdigit() for part in option.split('=')[0].split('.')), option


def test_weight_schedule_survives_a_hook_added_before(repo_root, tmp_path):
    base = repo_root / demo.WEIGHTS_CONFIG
    extended = tmp_path / 'with_ema.py'
    extended.write_text(f"_base_ = ['{base}']\n"
                        "custom_hooks = [dict(type='EMAHook')] + _base_.custom_hooks\n")
    cfg = _apply(extended, demo.DEMO_SCHEDULES['psnet_weights'][0], repo_root)
    assert [h.type for h in cfg.custom_hooks] == ['EMAHook', 'PSNetGalleryHook',
                                                  'PSNetRegionWeightHook']
    assert [tuple(s) for s in cfg.custom_hooks[2].steps] == [(0, 0.1), (1, 0.05)]


def test_training_refuses_another_data_root(tmp_path, capsys):
    """The data stages check any folder; the training stages only read data/synthetic."""
    with pytest.raises(SystemExit, match='--skip-training'):
        demo.main(['--data-root', str(tmp_path / 'nowhere'), '--work-dir', str(tmp_path / 'w'),
                   '--num-designs', '3', '--workers', '1'])
    assert not (tmp_path / 'nowhere').exists()  # refused before any work


def test_every_training_stage_is_seeded(tmp_path, monkeypatch):
    calls = []

    def fake_run_tool(tool, args):
        calls.append((tool, list(args)))
        work_dir = args[args.index('--work-dir') + 1]
        (tmp_path / work_dir).mkdir(parents=True, exist_ok=True)

    monkeypatch.setattr(demo, 'run_tool', fake_run_tool)
    monkeypatch.chdir(tmp_path)
    for name, (_, ckpt) in demo.DEMO_SCHEDULES.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / ckpt).write_bytes(b'')
        assert demo.train(name, 'cfg.py', name, ['a=1'], seed=7) == f'{name}/{ckpt}'
    assert [tool for tool, _ in calls] == ['train.py'] * len(demo.DEMO_SCHEDULES)
    for _, args in calls:
        options = args[args.index('--cfg-options') + 1:]
        assert options.count('randomness.seed=7') == 1 and options[-1] == 'a=1'
    with pytest.raises(RuntimeError, match='left no'):
        demo.train('psnet', 'cfg.py', 'empty', seed=0)
