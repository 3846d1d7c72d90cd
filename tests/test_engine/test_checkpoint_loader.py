"""Checkpoints save, resume and load under torch >= 2.6 (weights-only unpickler)."""
import collections
import copy
import pickle

import numpy as np
import pytest
import torch
from mmengine.hooks import EMAHook, Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner, load_checkpoint
from torch import nn
from torch.utils.data import Dataset

import ps_net  # noqa: F401  registers the trusted checkpoint loader
from ps_net.engine.checkpoint_loader import register_trusted_checkpoint_loader


class NotAllowed:
    """A class that no checkpoint allow-list names."""


class GetattrPayload:
    """Pickles as ``getattr(OrderedDict, 'fromkeys')``: a getattr the allow-list must refuse."""

    def __reduce__(self):
        return getattr, (collections.OrderedDict, 'fromkeys')


class ToyDataset(Dataset):
    """16 fixed samples of a 4-d regression problem."""

    def __init__(self) -> None:
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(16, 4, generator=gen)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5, 3.0])

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        return dict(inputs=self.x[i], target=self.y[i])


class ToyModel(BaseModel):

    def __init__(self, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.linear = nn.Linear(4, 1)

    def forward(self, inputs, target=None, mode='tensor'):
        out = self.linear(inputs).squeeze(-1)
        if mode == 'loss':
            return dict(loss=((out - target) ** 2).mean())
        return out


def make_runner(work_dir, max_iters: int, resume: bool = False, load_from=None) -> Runner:
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=ToyDataset(), sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=4, num_workers=0, collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='EMAHook', momentum=0.5)],
        resume=resume, load_from=load_from,
        randomness=dict(seed=0), default_scope='mmengine',
        env_cfg=dict(dist_cfg=dict(backend='gloo')))


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('ckpt')
    runner = make_runner(work_dir, max_iters=2)
    runner.train()
    ckpt = work_dir / 'iter_2.pth'
    assert ckpt.is_file()
    ema = {k: v.clone() for k, v in runner.model.state_dict().items()}
    return dict(work_dir=work_dir, ckpt=ckpt, runner=runner, ema=ema)


def test_plain_weights_only_load_fails_so_the_loader_is_needed(trained):
    # The checkpoint really holds non-tensor objects (HistoryBuffer, numpy) in message_hub.
    if tuple(int(p) for p in torch.__version__.split('.')[:2]) < (2, 6):
        pytest.skip('torch < 2.6 loads full pickles by default')
    with pytest.raises(pickle.UnpicklingError):
        torch.load(trained['ckpt'], map_location='cpu', weights_only=True)


def test_torch_load_is_not_monkeypatched():
    assert torch.load is torch.serialization.load


class ResumeProbeHook(Hook):
    """Records the runner state at ``before_train``, i.e. right after a resume."""

    def before_train(self, runner) -> None:
        ema = [h for h in runner.hooks if isinstance(h, EMAHook)][0]
        self.iter = runner.iter
        self.optimizer = copy.deepcopy(runner.optim_wrapper.optimizer.state_dict())
        self.ema = copy.deepcopy(ema.ema_model.state_dict())


def test_resume_keeps_iteration_optimizer_and_hook_state(trained):
    saved = torch.load(trained['ckpt'], map_location='cpu', weights_only=False)
    runner = make_runner(trained['work_dir'], max_iters=4, resume=True)
    probe = ResumeProbeHook()
    runner.register_hook(probe)
    runner.train()

    assert probe.iter == 2  # the iteration counter survived
    state = probe.optimizer['state']
    assert set(state) == set(saved['optimizer']['state']) and state
    for idx, moments in saved['optimizer']['state'].items():  # Adam moments, exactly
        assert torch.equal(state[idx]['exp_avg'], moments['exp_avg'])
        assert torch.equal(state[idx]['exp_avg_sq'], moments['exp_avg_sq'])
        assert int(state[idx]['step']) == int(moments['step']) == 2
    # EMAHook state: the checkpoint stores the averaged weights in `state_dict` (swapped for
    # deployment) and the raw ones in `ema_state_dict`; after the swap back on resume the EMA
    # model holds the averaged weights again.
    assert probe.ema['module.linear.weight'].shape == (1, 4)
    assert torch.equal(probe.ema['module.linear.weight'], saved['state_dict']['linear.weight'])
    assert not torch.equal(saved['state_dict']['linear.weight'],
                           saved['ema_state_dict']['module.linear.weight'])
    assert runner.iter == 4
    assert (trained['work_dir'] / 'iter_4.pth').is_file()


def test_load_from_and_pretrained_init_cfg(trained):
    saved = torch.load(trained['ckpt'], map_location='cpu', weights_only=False)
    model = ToyModel()
    load_checkpoint(model, str(trained['ckpt']), map_location='cpu')
    assert torch.equal(model.linear.weight, saved['state_dict']['linear.weight'])

    pretrained = ToyModel(init_cfg=dict(type='Pretrained', checkpoint=str(trained['ckpt'])))
    pretrained.init_weights()
    assert torch.equal(pretrained.linear.weight, saved['state_dict']['linear.weight'])


def test_loader_keeps_rejecting_untrusted_classes(tmp_path):
    # The allow-list is narrow: an arbitrary class is still refused by the weights-only load.
    register_trusted_checkpoint_loader()
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': NotAllowed()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(ToyModel(), str(path), map_location='cpu')


def test_only_history_buffer_getattr_is_allowed(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'state_dict': {}, 'payload': GetattrPayload()}, path)
    with pytest.raises(pickle.UnpicklingError, match='fromkeys'):
        load_checkpoint(ToyModel(), str(path), map_location='cpu')


def test_dataset_meta_with_numpy_arrays_loads(tmp_path):
    """mmpose keeps its metainfo in the checkpoint meta: uint8 colour arrays and, for
    DeepFashion2, an *empty* ``sigmas`` array, whose pickle calls ``bytes()``."""
    register_trusted_checkpoint_loader()
    model = ToyModel()
    path = tmp_path / 'pose.pth'
    colors = np.array([[255, 128, 0], [0, 0, 255]], dtype=np.uint8)
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'keypoint_colors': colors,
                                          'sigmas': np.array([], dtype=np.float32)}}}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)  # plain weights-only torch.load refuses it
    ckpt = load_checkpoint(ToyModel(), str(path), map_location='cpu')
    np.testing.assert_array_equal(ckpt['meta']['dataset_meta']['keypoint_colors'], colors)
    assert ckpt['meta']['dataset_meta']['sigmas'].shape == (0, )
