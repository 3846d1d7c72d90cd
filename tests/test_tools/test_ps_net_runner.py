"""PS-Net end to end through mmengine's Runner on a tiny synthetic set: pre-train (eq. 2-3),
validation and test with the plagiarism metric (val and test galleries), then the region-weight
phase (frozen network, coordinate ascent) whose weights reach the checkpoint."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import ps_net  # noqa: F401
from ps_net.datasets.synthetic import generate_synthetic
from tests.conftest import load_tool

REPO = Path(__file__).resolve().parents[2]
PRETRAIN = REPO / 'configs' / 'ps_net' / 'psnet_hrnet-narrow_20e_synthetic-128.py'
WEIGHTS = REPO / 'configs' / 'ps_net' / 'psnet-region-weights_hrnet-narrow_4e_synthetic-128.py'


def _tiny(cfg: Config, root: Path, work_dir: Path) -> Config:
    cfg.work_dir = str(work_dir)
    cfg.model.landmark_checkpoint = None
    cfg.train_dataloader.update(batch_size=cfg.train_dataloader.sampler.per_design * 2,
                                num_workers=0, persistent_workers=False)
    cfg.train_dataloader.sampler.num_designs = 2
    loaders = [cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader,
               cfg.model.prototype] + [h[k] for h in cfg.custom_hooks
                                       for k in ('val_gallery', 'test_gallery') if k in h]
    # the analysis tools read the base's top-level loaders too
    loaders += [cfg[k] for k in ('query_dataloader', 'gallery_dataloader', 'test_gallery')
                if k in cfg]
    for loader in loaders:
        loader.dataset.data_root = str(root)
        loader.update(num_workers=0)
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.log_level = 'WARNING'
    return cfg


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    out = tmp_path_factory.mktemp('psnet_set')
    generate_synthetic(str(out), seed=21, num_designs=20, img_size=64)
    return out


def test_pretrain_validate_test_then_learn_region_weights(root, tmp_path):
    torch.manual_seed(0)
    cfg = _tiny(Config.fromfile(str(PRETRAIN)), root, tmp_path / 'pre')
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    for key in ('plagiarism/mAP', 'plagiarism/Recall@10', 'plagiarism/HitRate@10'):
        assert 0 <= metrics[key] <= 100, (key, metrics)
    test_queries = json.loads((root / 'annotations' / 'pf_test.json').read_text())
    n_queries = sum(e['split'] == 'query' for e in test_queries['data_list'])
    assert metrics['plagiarism/num_queries'] == n_queries  # the test split, not val
    ckpt = tmp_path / 'pre' / 'epoch_1.pth'
    assert ckpt.exists()

    cfg = _tiny(Config.fromfile(str(WEIGHTS)), root, tmp_path / 'weights')
    cfg.load_from = str(ckpt)
    runner = Runner.from_cfg(cfg)
    before = runner.model.region_weights.clone()
    runner.train()
    table = json.loads((tmp_path / 'weights' / 'region_weights.json').read_text())
    after = runner.model.region_weights
    torch.testing.assert_close(after.sum(1), torch.ones(len(after)))
    assert (after >= 0.05 - 1e-6).all()
    assert table  # the learned table is dumped
    state = torch.load(tmp_path / 'weights' / 'epoch_1.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    torch.testing.assert_close(state['region_weights'], after)
    assert before.shape == after.shape

    # the oracle of the region weights on this checkpoint (its dumped config: the tiny set)
    bound = load_tool('tools/analysis_tools/region_weight_bound.py')
    out = tmp_path / 'bound.json'
    assert bound.main([str(tmp_path / 'weights' / WEIGHTS.name),
                       str(tmp_path / 'weights' / 'epoch_1.pth'), '--levels', '1', '4',
                       '--out', str(out)]) == 0
    res = json.loads(out.read_text())
    assert res['grid_size'] == 31  # 2^5 combinations, all-equal twice
    assert res['mAP']['oracle'] >= max(res['mAP']['uniform'], res['mAP']['learned'])
    torch.testing.assert_close(torch.tensor(list(res['learned_weights'].values())).double(),
                               after.double(), atol=1e-4, rtol=0)
    assert sum(r['num_queries'] for r in res['per_category'].values()) <= n_queries
    assert all(abs(sum(w) - 1) < 1e-5 for w in res['oracle_weights'].values())

    # the demo's top-hits picture from the same checkpoint: best first, statuses from the GT
    hits = load_tool('tools/run_demo.py').draw_query_hits(
        str(tmp_path / 'weights' / WEIGHTS.name), str(tmp_path / 'weights' / 'epoch_1.pth'), 0,
        str(tmp_path / 'hits.png'), topk=3)
    scores = [h[1] for h in hits['hits']]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert {h[2] for h in hits['hits']} <= {'copy', 'ignored', 'other'}
    assert (tmp_path / 'hits.png').stat().st_size > 0


def test_copy_triplet_pretrain_trains_on_copies(root, tmp_path):
    """The copy-triplet config's batches hold every design's 4 images and log ``loss_copy``."""
    torch.manual_seed(0)
    cfg = _tiny(Config.fromfile(str(PRETRAIN.with_name(
        'psnet-copy-triplets_hrnet-narrow_10e_synthetic-128.py'))), root, tmp_path / 'copy')
    assert cfg.model.head.copy_loss_weight == 1.0 and cfg.train_dataloader.batch_size == 8
    runner = Runner.from_cfg(cfg)
    seen = []
    runner.model.register_forward_pre_hook(  # BaseModel.train_step calls self(**data, mode=)
        lambda m, args, kwargs: seen.append([s.relation for s in kwargs['data_samples']])
        if kwargs.get('mode') == 'loss' else None, with_kwargs=True)
    runner.train()
    assert seen and all(sorted(set(r)) == ['identical', 'original', 'plagiarized'] for r in seen)
    logged = json.loads((tmp_path / 'copy' / runner.timestamp / 'vis_data' / 'scalars.json')
                        .read_text().splitlines()[0])
    assert 'loss_copy' in logged and logged['loss_copy'] >= 0
