"""PSNetRegionWeightHook: coordinate ascent on region weights through the model contract."""
import json
import uuid
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.registry import MODEL_WRAPPERS
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

import ps_net.models.losses.region_weight_fit as fit_module
from mmpretrain.registry import HOOKS
from ps_net.engine.hooks import PSNetRegionWeightHook
from ps_net.models.losses import coordinate_ascent_step, fit_region_weights, plagiarism_loss
from ps_net.structures import REGIONS

CATS = ('short_sleeved_top', 'long_sleeved_top', 'outwear', 'dress')


class FakeModel(nn.Module):
    """The hook's contract; the batch carries the triplet distances directly."""

    def __init__(self, persistent: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.register_buffer('region_weights', torch.full((len(CATS), 5), 0.2),
                             persistent=persistent)
        self.categories = CATS
        self.calls = 0

    def plagiarism_distances(self, data_batch):
        assert not torch.is_grad_enabled()
        self.calls += 1
        return data_batch


@MODEL_WRAPPERS.register_module(name='_RegionHookTestWrapper', force=True)
class FakeWrapper(nn.Module):

    def __init__(self, module):
        super().__init__()
        self.module = module


def make_runner(model, work_dir, epoch=0, it=0):
    return SimpleNamespace(model=model, epoch=epoch, iter=it, work_dir=str(work_dir),
                           message_hub=MessageHub.get_instance(f'hook-{uuid.uuid4().hex}'))


def make_batch(seed, t=12, cats=(0, 2), chest=True):
    """Triplets of the given categories; plagiarised copies differ most on the chest (3)."""
    gen = torch.Generator().manual_seed(seed)
    d_ap = 0.05 + 0.1 * torch.rand(t, 5, generator=gen)
    if chest:
        d_ap[:, 3] = 0.8
    d_an = 0.2 + 0.3 * torch.rand(t, 5, generator=gen)
    valid = torch.rand(t, 5, generator=gen) > 0.1
    idx = torch.tensor([cats[i % len(cats)] for i in range(t)])
    return dict(category_index=idx, d_ap=d_ap, d_an=d_an, valid=valid)


def pla(batch, c, w):
    sel = batch['category_index'] == c
    return float(plagiarism_loss(batch['d_ap'][sel].double(), batch['d_an'][sel].double(),
                                 w.double(), 0.2, batch['valid'][sel]))


def test_registered_and_schedule():
    hook = HOOKS.build(dict(type='PSNetRegionWeightHook'))
    assert isinstance(hook, PSNetRegionWeightHook)
    assert [hook.step_at(e) for e in (0, 1, 39, 40, 41, 59, 60, 100)] == \
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01]
    custom = PSNetRegionWeightHook(steps=[(0, 0.2), (3, 0.02)])
    assert [custom.step_at(e) for e in range(5)] == [0.2, 0.2, 0.2, 0.02, 0.02]
    for bad, text in ((((1, 0.1),), 'start at 0'), (((0, 0.1), (0, 0.05)), 'increase'),
                      (((0, 1.5),), '1.5'), (((0, 0.1), (2.5, 0.1)), '2.5')):
        with pytest.raises(ValueError, match=text):
            PSNetRegionWeightHook(steps=bad)
    with pytest.raises(ValueError, match='0.3'):
        PSNetRegionWeightHook(floor=0.3)
    with pytest.raises(ValueError, match='a/b'):
        PSNetRegionWeightHook(out_file='a/b')


def test_buffer_changes_only_by_accepted_steps(tmp_path):
    model = FakeModel()
    runner = make_runner(FakeWrapper(model), tmp_path)  # unwrapped by is_model_wrapper
    hook = PSNetRegionWeightHook()
    hook.before_train(runner)
    for it in range(6):
        batch = make_batch(it)
        before = model.region_weights.clone()
        hook.after_train_iter(runner, it, batch)
        after = model.region_weights
        for c in range(len(CATS)):
            if c not in (0, 2):  # categories absent from the batch are untouched
                assert torch.equal(after[c], before[c])
                continue
            expected, moves = coordinate_ascent_step(lambda w: pla(batch, c, w),
                                                     before[c].double(), 0.1, 0.05)
            assert torch.allclose(after[c], expected.float())
            if not moves:
                assert torch.equal(after[c], before[c])
            assert pla(batch, c, after[c]) <= pla(batch, c, before[c]) + 1e-6
            assert after[c].sum().item() == pytest.approx(1.0, abs=1e-6)
            assert after[c].min().item() >= 0.05 - 1e-6
    assert model.calls == 6
    # the chest (region 3) is where the copies differ: its weight went down
    assert model.region_weights[0, 3] < 0.2 and model.region_weights[2, 3] < 0.2


def test_no_change_when_no_step_helps_or_no_triplet(tmp_path):
    model = FakeModel()
    runner = make_runner(model, tmp_path)
    hook = PSNetRegionWeightHook()
    hook.before_train(runner)
    start = model.region_weights.clone()
    empty = dict(category_index=torch.zeros(0, dtype=torch.long), d_ap=torch.zeros(0, 5),
                 d_an=torch.zeros(0, 5), valid=torch.zeros(0, 5, dtype=torch.bool))
    hook.after_train_iter(runner, 0, empty)
    # all hinges 0 (negatives far away): L_pla is 0 for every weight, nothing is accepted
    far = dict(category_index=torch.tensor([1, 1]), d_ap=torch.full((2, 5), 0.1),
               d_an=torch.full((2, 5), 2.0))  # no 'valid': all regions present
    hook.after_train_iter(runner, 1, far)
    assert torch.equal(model.region_weights, start)


def test_schedule_switches_step_at_the_right_epochs(tmp_path, monkeypatch):
    used = []

    def spy(loss_fn, weights, step, floor=0.05, order=None):
        used.append(step)
        return coordinate_ascent_step(loss_fn, weights, step, floor, order)

    monkeypatch.setattr(fit_module, 'coordinate_ascent_step', spy)
    model = FakeModel()
    runner = make_runner(model, tmp_path)
    hook = PSNetRegionWeightHook()
    hook.before_train(runner)
    for epoch in (0, 39, 40, 59, 60, 79):
        runner.epoch = epoch
        used.clear()
        hook.after_train_iter(runner, 0, make_batch(epoch, cats=(1,)))
        assert used == [hook.step_at(epoch)]
    assert hook.step_at(39) == 0.1 and hook.step_at(40) == 0.05 and hook.step_at(60) == 0.01
    # by iteration
    it_hook = PSNetRegionWeightHook(steps=((0, 0.1), (5, 0.02)), by_epoch=False)
    runner.epoch, runner.iter = 0, 5
    used.clear()
    it_hook.after_train_iter(runner, 0, make_batch(0, cats=(1,)))
    assert used == [0.02]


def test_hook_and_fit_region_weights_agree_on_the_same_batches(tmp_path):
    """The hook on a sequence of batches == fit_region_weights on their concatenation cut
    into the same batches, bit for bit (the buffer is float32 between cycles in both)."""
    triplets = make_batch(5, t=30, cats=(0, 1, 3))
    steps = ((0, 0.1), (1, 0.05), (2, 0.01))
    model = FakeModel()
    runner = make_runner(model, tmp_path)
    hook = PSNetRegionWeightHook(steps=steps)
    hook.before_train(runner)
    for epoch in range(3):
        runner.epoch = epoch
        for s in range(0, 30, 8):  # batches of 8, 8, 8 and 6 triplets
            hook.after_train_iter(runner, s // 8, {k: v[s:s + 8] for k, v in triplets.items()})
    fitted = fit_region_weights(triplets['d_ap'], triplets['d_an'], triplets['category_index'],
                                triplets['valid'], num_categories=len(CATS), epochs=3, batch=8,
                                steps=steps)
    assert torch.equal(model.region_weights, fitted)
    assert not torch.equal(fitted, torch.full((4, 5), 0.2))


def test_logs_and_writes_table_and_state_dict_round_trip(tmp_path):
    model = FakeModel()
    runner = make_runner(model, tmp_path, epoch=3, it=30)
    hook = PSNetRegionWeightHook()
    hook.before_train(runner)
    for it in range(4):
        hook.after_train_iter(runner, it, make_batch(it, cats=(0, 1, 2, 3)))
    hook.after_train_epoch(runner)
    scalars = runner.message_hub.log_scalars
    for c, cat in enumerate(CATS):
        for r, region in enumerate(REGIONS):
            key = f'train/lambda/{cat}/{region}'
            assert scalars[key].current() == pytest.approx(model.region_weights[c, r].item())
    hook.after_train(runner)
    table = json.loads((tmp_path / 'region_weights.json').read_text())
    assert table['regions'] == list(REGIONS) and table['categories'] == list(CATS)
    for c, cat in enumerate(CATS):
        assert [table['weights'][cat][r] for r in REGIONS] == \
            pytest.approx(model.region_weights[c].tolist())
    assert table['epoch'] == 3 and table['steps'] == [[0, 0.1], [40, 0.05], [60, 0.01]]
    hook.after_train(runner)  # overwrites atomically, leaves no temporary file
    assert [p.name for p in tmp_path.iterdir()] == ['region_weights.json']
    # the buffer lives in the state dict: a fresh model gets the learned weights back
    assert not torch.allclose(model.region_weights, torch.full((4, 5), 0.2))
    fresh = FakeModel()
    fresh.load_state_dict(model.state_dict())
    assert torch.equal(fresh.region_weights, model.region_weights)


def test_contract_is_checked(tmp_path):
    hook = PSNetRegionWeightHook()
    with pytest.raises(TypeError, match='persistent'):
        hook.before_train(make_runner(FakeModel(persistent=False), tmp_path))
    model = FakeModel()
    model.categories = CATS[:3]
    with pytest.raises(ValueError, match='categories'):
        hook.before_train(make_runner(model, tmp_path))
    model = FakeModel()
    model.region_weights[2] = torch.tensor([0.5, 0.5, 0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="'outwear'"):
        hook.before_train(make_runner(model, tmp_path))
    model = FakeModel()
    runner = make_runner(model, tmp_path)
    hook.before_train(runner)
    bad = make_batch(0)
    bad['d_an'] = bad['d_an'][:, :4]
    with pytest.raises(ValueError, match=r"'d_an'.*\(12, 4\)"):
        hook.after_train_iter(runner, 0, bad)
    bad = make_batch(0)
    bad['category_index'] = bad['category_index'] + 3
    with pytest.raises(ValueError, match='category_index'):
        hook.after_train_iter(runner, 0, bad)


# ------------------------------------------------- a real mmengine Runner ----------------------
TRIPLETS = make_batch(0, t=16, cats=(0, 3))
RUNNER_STEPS = ((0, 0.1), (1, 0.05))


class TripletDataset(Dataset):
    """Each sample is one precomputed triplet (category, d_ap, d_an, valid) and an input."""

    def __init__(self) -> None:
        self.items = [dict(inputs=torch.randn(2), cat=TRIPLETS['category_index'][i],
                           d_ap=TRIPLETS['d_ap'][i], d_an=TRIPLETS['d_an'][i],
                           valid=TRIPLETS['valid'][i]) for i in range(16)]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        return self.items[i]


class FrozenRetrievalModel(BaseModel):
    """A frozen retriever: ``train_step`` runs no forward pass and never uses the optimizer
    (what ``PSNetRetriever(train_network=False)`` does), so only the hook changes anything."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1).requires_grad_(False)
        self.register_buffer('region_weights', torch.full((len(CATS), 5), 0.2))
        self.categories = CATS

    def forward(self, inputs, cat=None, d_ap=None, d_an=None, valid=None, mode='tensor'):
        return self.linear(inputs).squeeze(-1)

    def train_step(self, data, optim_wrapper):
        return {}

    def plagiarism_distances(self, data_batch):
        return dict(category_index=data_batch['cat'], d_ap=data_batch['d_ap'],
                    d_an=data_batch['d_an'], valid=data_batch['valid'])


def make_real_runner(work_dir, max_epochs, resume=False):
    return Runner(
        model=FrozenRetrievalModel(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=TripletDataset(),
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              batch_size=8, num_workers=0, collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),  # required by mmengine, unused
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='PSNetRegionWeightHook', steps=RUNNER_STEPS)],
        resume=resume, randomness=dict(seed=0), default_scope='mmpretrain',
        experiment_name=f'region-hook-{uuid.uuid4().hex}',
        env_cfg=dict(dist_cfg=dict(backend='gloo')))


def fitted(epochs, steps=RUNNER_STEPS):
    """fit_region_weights on the runner's triplets, cut like its loader (8, in order)."""
    return fit_region_weights(TRIPLETS['d_ap'], TRIPLETS['d_an'], TRIPLETS['category_index'],
                              TRIPLETS['valid'], num_categories=len(CATS), epochs=epochs,
                              batch=8, steps=steps)


def test_real_runner_learns_what_fit_region_weights_gives(tmp_path):
    runner = make_real_runner(tmp_path, max_epochs=2)
    linear = runner.model.linear.weight.clone()
    runner.train()
    learned = runner.model.region_weights.clone()
    assert torch.equal(learned, fitted(2))
    assert not torch.equal(learned, fitted(2, steps=((0, 0.1), )))  # the schedule matters
    assert torch.equal(learned[1], torch.full((5,), 0.2))  # no triplet of category 1
    assert torch.equal(runner.model.linear.weight, linear)  # frozen: nothing else moved
    assert runner.optim_wrapper.optimizer.state_dict()['state'] == {}  # never stepped
    table = json.loads((tmp_path / 'region_weights.json').read_text())
    assert table['weights']['dress']['chest'] == pytest.approx(learned[3, 3].item())
    ckpt = torch.load(tmp_path / 'epoch_2.pth', map_location='cpu', weights_only=False)
    assert torch.equal(ckpt['state_dict']['region_weights'], learned)
    scalars = runner.message_hub.log_scalars
    assert scalars['train/lambda/dress/chest'].current() == pytest.approx(learned[3, 3].item())


def test_resume_keeps_the_weights_and_the_step_schedule(tmp_path):
    first = make_real_runner(tmp_path, max_epochs=1)
    first.train()
    assert torch.equal(first.model.region_weights, fitted(1))
    resumed = make_real_runner(tmp_path, max_epochs=2, resume=True)
    resumed.load_or_resume()
    assert torch.equal(resumed.model.region_weights, fitted(1)) and resumed.epoch == 1
    resumed.train()  # epoch 2 only, with the step of epoch 1 (0.05)
    assert torch.equal(resumed.model.region_weights, fitted(2))
    table = json.loads((tmp_path / 'region_weights.json').read_text())
    assert table['epoch'] == 2
    assert [table['weights']['dress'][r] for r in REGIONS] == \
        pytest.approx(fitted(2)[3].tolist())
