"""The real PS-Net configs (HRNet-W32, 224 px): DeepFashion2 pre-train and Plagiarized Fashion
fine-tune. Each model is built once and run once (a W32 forward takes seconds on a CPU)."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import ps_net  # noqa: F401
from mmpretrain.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
DF2 = REPO / 'configs' / 'ps_net_hrnet_df2.py'
PLAGIARIZED = REPO / 'configs' / 'ps_net_hrnet_plagiarized.py'


def _flat_size(cfg) -> int:
    return 5 * cfg.model.head.embed_dim + 5 + 1


@pytest.fixture(scope='module', params=[DF2, PLAGIARIZED], ids=['df2', 'plagiarized'])
def built(request):
    """(config, model, flat output of one 1 x 3 x 224 x 224 image in eval mode)."""
    torch.manual_seed(0)
    cfg = Config.fromfile(str(request.param))
    cfg.model.landmark_checkpoint = None
    cfg.model.prototype = torch.zeros(1, _flat_size(cfg))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, 224, 224), mode='tensor')
    return cfg, model, out


def test_one_forward_gives_the_flat_region_vector(built):
    cfg, model, out = built
    assert cfg.model.head.embed_dim == 128 and cfg.model.feat_channels == 1024
    assert out.shape == (1, _flat_size(cfg)) == (1, 5 * 128 + 6)
    assert torch.isfinite(out).all()
    feats, valid, cat = model.split_flat(out)
    assert feats.shape == (1, 5, 128) and 0 <= int(cat) < 4
    torch.testing.assert_close(feats.norm(dim=-1)[valid], torch.ones(int(valid.sum())))


def test_both_branches_are_w32_with_a_28x28_feature_map(built):
    cfg, model, _ = built
    for hrnet in (cfg.model.backbone, cfg.model.landmark_branch.backbone):
        assert hrnet.type == 'HRNet' and hrnet._scope_ == 'mmpose'
        assert hrnet.extra.stage4.num_channels == (32, 64, 128, 256)
    assert cfg.model.neck.out_index == 1 and cfg.model.input_size == (224, 224)
    assert cfg.model.head.feature_stride == 8  # F: 224 / 8 = 28 x 28
    assert cfg.model.attention.type == 'PSNetLandmarkAttention'
    assert model.landmarks.head is not None and model.image_encoder is not None
    # the landmark branch matches the W32 landmark config, so its checkpoint loads (strict)
    landmark = Config.fromfile(str(REPO / 'configs' / 'landmark' /
                                   'psnet-landmark_hrnet-w32_12e_df2-224.py'))
    assert landmark.model.backbone.extra == cfg.model.landmark_branch.backbone.extra
    assert landmark.model.neck.to_dict() == {
        k: v for k, v in cfg.model.landmark_branch.neck.items() if k != '_scope_'}
    head = {k: v for k, v in cfg.model.landmark_branch.head.items()
            if k not in ('_scope_', 'decoder')}
    assert head.items() <= landmark.model.head.to_dict().items()


def test_df2_pretrain_settings():
    cfg = Config.fromfile(str(DF2))
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.optim_wrapper.optimizer.type == 'Adam' and cfg.optim_wrapper.optimizer.lr == 1e-3
    assert cfg.param_scheduler == [dict(type='MultiStepLR', by_epoch=True, milestones=[61, 71],
                                        gamma=0.1)]
    assert cfg.train_cfg.max_epochs == 80
    assert cfg.model.get('train_network', True) is True and cfg.model.task == 'identical'
    # the last checkpoint of the landmark config's default work dir
    assert cfg.model.landmark_checkpoint == \
        'work_dirs/psnet-landmark_hrnet-w32_12e_df2-224/epoch_12.pth'
    assert cfg.train_dataloader.sampler.type == 'PSNetDesignSampler'
    assert cfg.train_dataloader.batch_size == (cfg.train_dataloader.sampler.num_designs *
                                               cfg.train_dataloader.sampler.per_design)
    assert cfg.train_dataloader.dataset.ann_file == 'annotations/pf_train.json'
    for loader in (cfg.val_dataloader, cfg.test_dataloader, cfg.model.prototype,
                   cfg.custom_hooks[0].test_gallery):
        assert loader.dataset.data_root == 'data/deepfashion2'
        assert loader.dataset.task == 'identical'
        assert 'sampler' in loader
    assert cfg.val_evaluator.type == 'PSNetPlagiarismMetric'
    assert cfg.val_evaluator.task == 'identical'
    assert [h.type for h in cfg.custom_hooks] == ['PSNetGalleryHook']


def test_plagiarized_finetune_settings():
    cfg = Config.fromfile(str(PLAGIARIZED))
    assert cfg.load_from == 'work_dirs/ps_net_hrnet_df2/epoch_80.pth'
    assert cfg.model.train_network is False and cfg.model.task == 'plagiarized'
    assert cfg.train_cfg.max_epochs == 80
    assert cfg.train_dataloader.sampler.relations == ('original', 'plagiarized')
    files = {'annotations/pf_train.json': cfg.train_dataloader,
             'annotations/pf_val.json': cfg.val_dataloader,
             'annotations/pf_test.json': cfg.test_dataloader}
    for ann_file, loader in files.items():
        assert loader.dataset.data_root == 'data/plagiarized_fashion'
        assert loader.dataset.ann_file == ann_file
    gallery_hook, weight_hook = cfg.custom_hooks
    assert gallery_hook.type == 'PSNetGalleryHook'
    assert gallery_hook.val_gallery.dataset.ann_file == 'annotations/pf_val.json'
    assert gallery_hook.test_gallery.dataset.ann_file == 'annotations/pf_test.json'
    assert cfg.model.prototype.dataset.ann_file == 'annotations/pf_val.json'
    for loader in (cfg.val_dataloader, cfg.test_dataloader, gallery_hook.test_gallery,
                   cfg.model.prototype):
        assert loader.dataset.task == 'plagiarized' and loader.dataset.split in ('query',
                                                                                 'gallery')
    assert cfg.val_evaluator.task == cfg.test_evaluator.task == 'plagiarized'
    assert weight_hook.type == 'PSNetRegionWeightHook'
    assert tuple(weight_hook.steps) == ((0, 0.1), (40, 0.05), (60, 0.01))
    from ps_net.engine.hooks.region_weight_hook import PSNetRegionWeightHook
    hook = PSNetRegionWeightHook(**{k: v for k, v in weight_hook.items() if k != 'type'})
    assert [hook.step_at(e) for e in (0, 39, 40, 59, 60, 79)] == \
        [0.1, 0.1, 0.05, 0.05, 0.01, 0.01]
    assert cfg.param_scheduler == []
