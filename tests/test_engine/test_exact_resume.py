"""Exact resume: a seeded ``tools/train.py`` run killed with SIGKILL and resumed with
``--resume`` ends with the same parameters, optimizer state and per-iteration losses as an
uninterrupted run of the same seed and thread count (docs/checkpoints.md, "Exact resume").

The end-to-end test trains the real synthetic PS-Net config (narrow HRNet, its P x K sampler,
ColorJitter in a dataloader worker, validation with the gallery hook after every epoch) on a
tiny synthetic set for three epochs; the unit tests below it check the pieces without a Runner.
"""
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from torch.utils.data import DataLoader, Dataset

from ps_net.engine.checkpoint_loader import load_from_local_trusted
from ps_net.engine.hooks import PSNetRandomStateHook
from ps_net.engine.launch import apply_train_args
from ps_net.engine.worker_seeding import derive_seed, psnet_worker_init_fn, seed_all

REPO = Path(__file__).resolve().parents[2]
TRAIN = REPO / 'tools' / 'train.py'
PRETRAIN = REPO / 'configs' / 'ps_net' / 'psnet_hrnet-narrow_20e_synthetic-128.py'

#: The real pre-train config on a tiny set (``data/synthetic`` relative to the run's folder):
#: 8 training designs, 4 iterations per epoch, 3 epochs, one dataloader worker as the base sets
#: it up (non-persistent), every iteration's loss logged unsmoothed.
TINY_CONFIG = '''
_base_ = [{base!r}]
model = dict(landmark_checkpoint=None)
train_dataloader = dict(batch_size=4, num_workers=1,
                        sampler=dict(num_designs=2, per_design=2))
train_cfg = dict(max_epochs=3, val_interval=1)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, max_keep_ckpts=3))
log_processor = dict(window_size=1)
randomness = dict(seed=0)
'''
EPOCHS, ITERS_PER_EPOCH = 3, 4
#: Logged values that are timings, not results.
TIMINGS = ('time', 'data_time')


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory) -> Path:
    """A folder with ``data/synthetic`` (12 designs, 64 px) and ``tiny.py``."""
    from ps_net.datasets.synthetic import generate_synthetic
    root = tmp_path_factory.mktemp('exact_resume')
    generate_synthetic(str(root / 'data' / 'synthetic'), seed=21, num_designs=12, img_size=64)
    (root / 'tiny.py').write_text(TINY_CONFIG.format(base=str(PRETRAIN)))
    return root


def _start(root: Path, work_dir: str, *extra: str) -> subprocess.Popen:
    """``tools/train.py`` in its own process group, one thread, its output in a log file."""
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    log_path = root / f'{work_dir}.{len(extra)}.log'
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(
            [sys.executable, str(TRAIN), 'tiny.py', '--work-dir', work_dir, *extra], cwd=root,
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log_path = log_path
    return proc


def _finish(proc: subprocess.Popen, timeout: float = 400) -> str:
    proc.wait(timeout=timeout)
    out = proc.log_path.read_text()
    assert proc.returncode == 0, out[-4000:]
    return out


def _last_checkpoint(work_dir: Path) -> str:
    try:
        return (work_dir / 'last_checkpoint').read_text().strip()
    except FileNotFoundError:
        return ''


def _kill_after_checkpoint(proc: subprocess.Popen, work_dir: Path, name: str,
                           timeout: float = 400) -> None:
    """SIGKILL ``proc`` as soon as mmengine has recorded ``name`` as the last checkpoint
    (``CheckpointHook`` writes ``last_checkpoint`` after the checkpoint file is complete)."""
    deadline = time.monotonic() + timeout
    while not _last_checkpoint(work_dir).endswith(name):
        assert proc.poll() is None, proc.log_path.read_text()[-4000:]
        assert time.monotonic() < deadline, f'no {name} in {work_dir} after {timeout} s'
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    try:  # the dataloader worker of the killed trainer (same process group, ours)
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    assert proc.returncode == -signal.SIGKILL


def _logged(work_dir: Path) -> dict:
    """``{iter: {name: value}}`` of every logged training iteration (timings left out), from
    the ``scalars.json`` of every run in ``work_dir`` (a resumed run logs into a new folder)."""
    out = {}
    for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if 'loss' in row:
                out[row['iter']] = {k: v for k, v in row.items() if k not in TIMINGS}
    return out


def _assert_same_state(a: dict, b: dict, where: str) -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _assert_same_state(a[k], b[k], f'{where}.{k}')
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_state(x, y, f'{where}[{i}]')
    else:
        assert a == b, where


def test_sigkill_then_resume_equals_uninterrupted_run(tiny_run):
    """The kill lands in epoch 2 (after epoch 1's checkpoint and validation); the resumed run
    trains epochs 2 and 3. Parameters, buffers, optimizer state and every iteration's losses
    equal the uninterrupted run's bit for bit."""
    full = _start(tiny_run, 'full')
    killed = _start(tiny_run, 'killed')
    _kill_after_checkpoint(killed, tiny_run / 'killed', 'epoch_1.pth')
    assert _last_checkpoint(tiny_run / 'killed').endswith('epoch_1.pth')
    assert not (tiny_run / 'killed' / 'epoch_2.pth').exists()  # killed inside epoch 2
    log = _finish(_start(tiny_run, 'killed', '--resume'))
    assert f'resumed epoch: 1, iter: {ITERS_PER_EPOCH}' in log
    _finish(full)

    reference = _logged(tiny_run / 'full')
    assert sorted(reference) == list(range(1, EPOCHS * ITERS_PER_EPOCH + 1))
    resumed = _logged(tiny_run / 'killed')
    assert sorted(resumed) == sorted(reference)
    for it in reference:
        assert resumed[it] == reference[it], f'iteration {it}'

    end = f'epoch_{EPOCHS}.pth'
    a = load_from_local_trusted(str(tiny_run / 'full' / end))
    b = load_from_local_trusted(str(tiny_run / 'killed' / end))
    assert a['meta']['epoch'] == b['meta']['epoch'] == EPOCHS
    assert a['meta']['iter'] == b['meta']['iter'] == EPOCHS * ITERS_PER_EPOCH
    assert a['state_dict'].keys() == b['state_dict'].keys()
    _assert_same_state(a['state_dict'], b['state_dict'], 'state_dict')
    _assert_same_state(a['optimizer'], b['optimizer'], 'optimizer')
    # and training did move the network (the comparison is not of two untouched models)
    c = load_from_local_trusted(str(tiny_run / 'full' / 'epoch_1.pth'))
    assert any(not torch.equal(c['state_dict'][k], a['state_dict'][k])
               for k in a['state_dict'])


# -- the pieces, without a Runner ------------------------------------------------------------
class _Draws(Dataset):
    """Every item: one draw of python ``random``, numpy and torch (in the worker)."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, idx: int):
        return torch.tensor([random.random(), float(np.random.rand()), float(torch.rand(()))],
                            dtype=torch.float64)


class _Logger:
    def __init__(self) -> None:
        self.warnings = []

    def warning(self, msg: str) -> None:
        self.warnings.append(msg)


def _fake_runner(loader, seed: int = 0, epoch: int = 0, it: int = 0):
    return SimpleNamespace(train_loop=SimpleNamespace(dataloader=loader), seed=seed,
                           epoch=epoch, iter=it, logger=_Logger())


def _epoch_draws(loader: DataLoader, seed: int, epoch: int) -> torch.Tensor:
    PSNetRandomStateHook().before_train_epoch(_fake_runner(loader, seed, epoch))
    return torch.cat(list(loader))


def test_derive_seed_depends_on_every_key_and_their_order():
    seeds = {derive_seed(0, 1, e) for e in range(100)}
    assert len(seeds) == 100
    assert derive_seed(3, 2, 7) == derive_seed(3, 2, 7)
    assert derive_seed(3, 2, 7) != derive_seed(3, 7, 2) != derive_seed(4, 2, 7)
    assert all(0 <= s < 2**63 for s in seeds)
    assert derive_seed(-1) == derive_seed(2**64 - 1)
    with pytest.raises(ValueError, match='at least one key'):
        derive_seed()


def test_seed_all_seeds_python_numpy_and_torch():
    def draws():
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    seed_all(derive_seed(5))
    first = draws()
    random.random(), np.random.rand(), torch.rand(3)  # move every stream on
    seed_all(derive_seed(5))
    assert draws() == first
    seed_all(derive_seed(6))
    assert all(a != b for a, b in zip(draws(), first))


def test_workers_get_fresh_seeds_every_epoch_and_the_same_after_a_restart():
    """Two epochs of a one-worker loader draw different numbers; a new loader (a resumed run)
    draws the same numbers in the same epoch, in every library."""
    def loader():
        return DataLoader(_Draws(), batch_size=2, num_workers=1,
                          worker_init_fn=psnet_worker_init_fn)

    first = loader()
    epoch0, epoch1 = _epoch_draws(first, 0, 0), _epoch_draws(first, 0, 1)
    assert (epoch0 != epoch1).all()  # python, numpy and torch alike
    resumed = loader()
    assert torch.equal(_epoch_draws(resumed, 0, 1), epoch1)
    assert not torch.equal(_epoch_draws(resumed, 1, 1), epoch1)  # another run seed


def test_mmengine_default_worker_seeds_repeat_every_epoch():
    """Why the train loader needs psnet_worker_init_fn: mmengine's default seeds every epoch's
    workers alike, whatever the loader's generator."""
    from functools import partial
    from mmengine.dataset import worker_init_fn
    loader = DataLoader(_Draws(), batch_size=2, num_workers=1,
                        worker_init_fn=partial(worker_init_fn, num_workers=1, rank=0, seed=0))
    assert torch.equal(_epoch_draws(loader, 0, 0), _epoch_draws(loader, 0, 1))


def test_psnet_worker_init_fn_refuses_the_main_process():
    with pytest.raises(RuntimeError, match='dataloader worker'):
        psnet_worker_init_fn(0)


def test_hook_seeds_the_main_process_from_seed_and_iteration():
    hook = PSNetRandomStateHook()
    hook.before_train_iter(_fake_runner(None, seed=3, it=17), 0)
    expected = torch.rand(4)
    np.random.rand(5), torch.rand(9)  # whatever ran before (a validation loop, a gallery)
    hook.before_train_iter(_fake_runner(None, seed=3, it=17), 0)
    assert torch.equal(torch.rand(4), expected)
    hook.before_train_iter(_fake_runner(None, seed=3, it=18), 0)
    assert not torch.equal(torch.rand(4), expected)


def test_hook_seeds_the_first_batch_of_an_epoch_without_workers():
    """With num_workers=0 the main process loads the epoch's first batch right after the
    epoch's hooks: what ran before (the last epoch's validation) must not change it."""
    loader = DataLoader(_Draws(), batch_size=2, num_workers=0)
    first = _epoch_draws(loader, 4, 2)
    random.random(), np.random.rand(3), torch.rand(5)
    assert torch.equal(_epoch_draws(loader, 4, 2), first)
    assert not torch.equal(_epoch_draws(loader, 4, 3), first)


def test_hook_warns_about_persistent_workers():
    hook = PSNetRandomStateHook()
    runner = _fake_runner(DataLoader(_Draws(), num_workers=1, persistent_workers=True))
    hook.before_train(runner)
    assert len(runner.logger.warnings) == 1
    assert 'persistent_workers=False' in runner.logger.warnings[0]
    runner = _fake_runner(DataLoader(_Draws(), num_workers=1))
    hook.before_train(runner)
    hook.before_train_epoch(_fake_runner(None))  # no DataLoader (a custom loop): nothing to do
    assert runner.logger.warnings == []


def test_train_args_add_the_hook_and_worker_seeding_once(tmp_path):
    from mmengine.registry import FUNCTIONS, HOOKS
    cfg = Config(dict(train_dataloader=dict(batch_size=2, num_workers=1),
                      custom_hooks=[dict(type='PSNetGalleryHook')]))
    apply_train_args(cfg, 'configs/x/tiny.py', work_dir=str(tmp_path))
    assert [h['type'] for h in cfg.custom_hooks] == ['PSNetGalleryHook',
                                                     'mmpretrain.PSNetRandomStateHook']
    assert cfg.train_dataloader.worker_init_fn == dict(type='psnet_worker_init_fn')
    apply_train_args(cfg, 'configs/x/tiny.py', work_dir=str(tmp_path))
    assert len(cfg.custom_hooks) == 2  # not added twice
    assert isinstance(HOOKS.build(cfg.custom_hooks[1]), PSNetRandomStateHook)  # any scope
    assert FUNCTIONS.get(cfg.train_dataloader.worker_init_fn.type) is psnet_worker_init_fn

    own = Config(dict(train_dataloader=dict(worker_init_fn=dict(type='my_init')),
                      custom_hooks=[dict(type='PSNetRandomStateHook')]))
    apply_train_args(own, 'configs/x/tiny.py', work_dir=str(tmp_path))
    assert own.train_dataloader.worker_init_fn == dict(type='my_init')  # the config's wins
    assert len(own.custom_hooks) == 1


def test_resume_builds_the_run_with_the_checkpoints_seed(tmp_path):
    """mmengine restores the checkpoint's seed after the samplers were built with the
    config's (a random one by default): the resumed run must be built with the former."""
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save(dict(meta=dict(seed=1234, epoch=1), state_dict={}), ckpt)
    (tmp_path / 'last_checkpoint').write_text(str(ckpt))
    for resume in ('auto', str(ckpt)):
        cfg = Config(dict(randomness=dict(seed=None, deterministic=False)))
        apply_train_args(cfg, 'tiny.py', work_dir=str(tmp_path), resume=resume)
        assert cfg.randomness == dict(seed=1234, deterministic=False)
    cfg = Config(dict(randomness=dict(seed=7)))
    apply_train_args(cfg, 'tiny.py', work_dir=str(tmp_path / 'empty'), resume='auto')
    assert cfg.randomness.seed == 7  # nothing to resume from: a fresh run of the config
    torch.save(dict(meta=dict(epoch=1), state_dict={}), ckpt)  # a checkpoint without a seed
    cfg = Config(dict(randomness=dict(seed=7)))
    apply_train_args(cfg, 'tiny.py', work_dir=str(tmp_path), resume=str(ckpt))
    assert cfg.randomness.seed == 7


@pytest.mark.parametrize('config', sorted((REPO / 'configs' / 'ps_net').glob('*.py')),
                         ids=lambda p: p.stem)
def test_ps_net_configs_train_with_non_persistent_workers(config):
    loader = Config.fromfile(str(config)).get('train_dataloader')
    if loader is None:
        pytest.skip(f'{config.name} has no training (a test-only config)')
    assert loader.num_workers == 0 or not loader.get('persistent_workers', False)
