"""PSNetEnsembleRetriever (Ensemble baseline): members loaded from their checkpoints, flat
vectors concatenated, score = mean of the members' scores; the config through tools/test.py's
path with a member checkpoint as CHECKPOINT."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import ps_net  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / 'configs' / 'ps_net' / 'psnet_hrnet-narrow_20e_synthetic-128.py'
CONFIG = REPO / 'configs' / 'ps_net' / 'psnet-ensemble_hrnet-narrow_20e_synthetic-128.py'
FLAT = 5 * 64 + 6


def _member_cfg() -> dict:
    cfg = Config.fromfile(str(BASE))
    cfg.model.update(landmark_checkpoint=None, prototype=torch.zeros(1, FLAT))
    return cfg.model.to_dict()


@pytest.fixture(scope='module')
def members(tmp_path_factory):
    """Three PS-Nets with different random weights and region weights, saved as checkpoints."""
    out = tmp_path_factory.mktemp('members')
    models, paths = [], []
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for seed in range(3):
            torch.manual_seed(seed)
            model = MODELS.build(_member_cfg())
            w = torch.rand_like(model.region_weights) + 0.1
            model.region_weights.copy_(w / w.sum(1, keepdim=True))
            model.eval()
            path = out / f'member{seed}.pth'
            torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
            models.append(model)
            paths.append(str(path))
    return models, paths


@pytest.fixture(scope='module')
def ensemble(members):
    _, paths = members
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(dict(type='PSNetEnsembleRetriever', members=[_member_cfg()] * 3,
                                  checkpoints=paths, prototype=torch.zeros(1, 3 * FLAT)))
    model.init_weights()  # loads the member checkpoints
    return model.eval()


def _assert_same_weights(models, loaded_members):
    for built, loaded in zip(models, loaded_members):
        state = loaded.state_dict()
        for name, value in built.state_dict().items():
            assert torch.equal(state[name].cpu(), value), name


def _samples(ids, cats):
    return [DataSample(metainfo=dict(design_id=d, df2_category_id=c)) for d, c in zip(ids, cats)]


def test_init_weights_loads_every_member_checkpoint(members, ensemble):
    models, _ = members
    assert ensemble.flat_sizes == (FLAT, ) * 3
    _assert_same_weights(models, ensemble.members)


def test_score_is_the_mean_of_the_members_scores(members, ensemble):
    models, _ = members
    q, g = torch.rand(2, 3, 128, 128), torch.rand(3, 3, 128, 128)
    qs, gs = _samples([0, 1], [1, 11]), _samples([2, 3, 4], [2, 5, 12])
    with torch.no_grad():
        qe, ge = ensemble(q, qs, mode='tensor'), ensemble(g, gs, mode='tensor')
        qm = [m.extract_feat(q, qs) for m in models]
        gm = [m.extract_feat(g, gs) for m in models]
        expected = torch.stack([m.scores(a, b) for m, a, b in zip(models, qm, gm)]).mean(0)
    torch.testing.assert_close(qe, torch.cat(qm, 1))
    assert [v.shape[1] for v in ensemble.split_members(ge)] == [FLAT] * 3
    torch.testing.assert_close(ensemble.scores(qe, ge), expected)
    assert not torch.allclose(expected, models[0].scores(qm[0], gm[0]))  # members differ
    ensemble.prototype_vecs = ge
    ensemble.prototype_inited = True
    with torch.no_grad():
        out = ensemble(q, qs, mode='predict')
    torch.testing.assert_close(torch.stack([s.pred_score for s in out]), expected)
    with pytest.raises(ValueError, match='ensemble vectors'):
        ensemble.scores(qe[:, :FLAT], ge)


def test_missing_or_foreign_checkpoint_errors_name_the_file(members, ensemble, tmp_path):
    _, paths = members
    missing = str(tmp_path / 'nowhere' / 'epoch_30.pth')
    with pytest.raises(FileNotFoundError, match='nowhere/epoch_30.pth'):
        ensemble.load_member_checkpoints([paths[0], missing, paths[2]])
    foreign = tmp_path / 'foreign.pth'
    torch.save({'state_dict': {'backbone.bogus': torch.zeros(1)}}, foreign)
    with pytest.raises(RuntimeError, match='foreign.pth'):
        ensemble.load_member_checkpoints([paths[0], paths[1], str(foreign)])
    with pytest.raises(ValueError, match='one checkpoint per member'):
        MODELS.build(dict(type='PSNetEnsembleRetriever', members=[_member_cfg()] * 2,
                          checkpoints=paths, prototype=torch.zeros(1)))
    with pytest.raises(NotImplementedError, match='test only'):
        ensemble(torch.rand(2, 3, 128, 128), _samples([0, 0], [1, 1]), mode='loss')


def test_tools_test_path_with_a_member_checkpoint(members, tmp_path):
    """The config builds its three members and tests as tools/test.py does: the CHECKPOINT
    argument (a member's) is ignored, the members come from model.checkpoints, the test split
    is scored."""
    from mmengine.runner import Runner

    from ps_net.datasets.synthetic import generate_synthetic
    from ps_net.engine.launch import apply_test_args
    models, paths = members
    root = tmp_path / 'data'
    generate_synthetic(str(root), seed=3, num_designs=8, img_size=64)
    cfg = Config.fromfile(str(CONFIG))
    assert len(cfg.model.members) == 3 and cfg.train_dataloader is None
    assert [Path(c).parent.name for c in cfg.model.checkpoints] == [
        'psnet_synthetic_lr0.5', 'psnet_synthetic_lr1', 'psnet_synthetic_lr2']
    cfg.model.checkpoints = paths
    loaders = [cfg.val_dataloader, cfg.test_dataloader, cfg.model.prototype] + [
        h[k] for h in cfg.custom_hooks for k in ('val_gallery', 'test_gallery') if k in h]
    for loader in loaders:
        loader.dataset.data_root = str(root)
    cfg.log_level = 'WARNING'
    cfg = apply_test_args(cfg, str(CONFIG), paths[1], work_dir=str(tmp_path / 'work'))
    runner = Runner.from_cfg(cfg)
    assert len(runner.model.members) == 3
    metrics = runner.test()
    assert 0 <= metrics['plagiarism/mAP'] <= 100
    assert runner.model.prototype_vecs.shape[1] == 3 * FLAT
    _assert_same_weights(models, runner.model.members)
