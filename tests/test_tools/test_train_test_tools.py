"""tools/train.py, tools/test.py and tools/dist_train.sh end to end on a tiny classifier."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ps_net.engine.launch import apply_test_args, apply_train_args

REPO = Path(__file__).resolve().parents[2]

TINY_CONFIG = '''
default_scope = 'mmpretrain'
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, base_channels=8, num_stages=4, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=2, in_channels=64,
              loss=dict(type='CrossEntropyLoss')))
data_preprocessor = dict(num_classes=2, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True)
pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=32), dict(type='PackInputs')]
dataset = dict(type='CustomDataset', data_root='{data_root}', pipeline=pipeline)
train_dataloader = dict(batch_size=4, num_workers=0, dataset=dataset,
                        sampler=dict(type='DefaultSampler', shuffle=True))
test_dataloader = dict(batch_size=4, num_workers=0, dataset=dataset,
                       sampler=dict(type='DefaultSampler', shuffle=False))
test_evaluator = dict(type='Accuracy', topk=(1, ))
test_cfg = dict()
train_cfg = dict(by_epoch=False, max_iters=2)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                     logger=dict(type='LoggerHook', interval=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
'''


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('tiny')
    rng = np.random.default_rng(0)
    for label, colour in (('red', (200, 30, 30)), ('blue', (30, 30, 200))):
        (root / 'data' / label).mkdir(parents=True)
        for i in range(4):
            img = np.clip(np.array(colour) + rng.integers(-20, 20, (40, 40, 3)), 0, 255)
            Image.fromarray(img.astype(np.uint8)).save(root / 'data' / label / f'{i}.png')
    cfg = root / 'tiny_cls.py'
    cfg.write_text(TINY_CONFIG.format(data_root=root / 'data'))
    return cfg


def run(args, cwd):
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_train_resume_and_test(tiny_config, tmp_path):
    work = tmp_path / 'work'
    run([sys.executable, 'tools/train.py', str(tiny_config), '--work-dir', str(work)], REPO)
    first = torch.load(work / 'iter_2.pth', map_location='cpu', weights_only=False)
    assert first['meta']['iter'] == 2

    log = run([sys.executable, 'tools/train.py', str(tiny_config), '--work-dir', str(work),
               '--resume', '--cfg-options', 'train_cfg.max_iters=4'], REPO)
    assert 'resumed epoch: 0, iter: 2' in log
    second = torch.load(work / 'iter_4.pth', map_location='cpu', weights_only=False)
    assert second['meta']['iter'] == 4
    assert not torch.equal(first['state_dict']['head.fc.weight'],
                           second['state_dict']['head.fc.weight'])

    out = tmp_path / 'metrics.json'
    run([sys.executable, 'tools/test.py', str(tiny_config), str(work / 'iter_4.pth'),
         '--work-dir', str(tmp_path / 'test'), '--out', str(out)], REPO)
    metrics = json.loads(out.read_text())
    assert set(metrics) == {'accuracy/top1'}
    assert 0.0 <= metrics['accuracy/top1'] <= 100.0


def test_dist_train_two_cpu_processes(tiny_config, tmp_path):
    work = tmp_path / 'dist'
    log = run(['bash', 'tools/dist_train.sh', str(tiny_config), '2', '--work-dir', str(work)],
              REPO)
    assert (work / 'iter_2.pth').is_file()
    assert 'Distributed training: True' in log and 'GPU number: 2' in log  # world size 2
    if not torch.cuda.is_available():
        assert "type='PSNetDistributedDataParallel'" in (work / 'tiny_cls.py').read_text()


def test_apply_train_args_validates_early(tiny_config):
    from mmengine.config import Config
    cfg = Config.fromfile(str(tiny_config))
    with pytest.raises(ValueError, match='launcher'):
        apply_train_args(cfg, str(tiny_config), launcher='ssh')
    with pytest.raises(ValueError, match='missing.pth'):
        apply_train_args(cfg, str(tiny_config), resume='missing.pth')
    with pytest.raises(ValueError, match='nope.pth'):
        apply_test_args(cfg, str(tiny_config), 'nope.pth')
    apply_train_args(cfg, str(tiny_config), resume='auto', work_dir='w')
    assert cfg.resume is True and cfg.load_from is None and cfg.work_dir == 'w'
    assert Config.fromfile(str(tiny_config)).get('work_dir') is None
    apply_train_args(cfg, 'configs/x/my_cfg.py', work_dir=None)
    assert cfg.work_dir == 'w'  # an explicit work_dir set earlier is kept


def test_finish_distributed_tears_down_the_group(tmp_path):
    import torch.distributed as dist
    from ps_net.engine.launch import finish_distributed
    assert not dist.is_initialized()
    assert finish_distributed() is False  # not distributed: nothing to do
    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
                            world_size=1)
    assert finish_distributed() is True
    assert not dist.is_initialized()
    assert finish_distributed() is False
