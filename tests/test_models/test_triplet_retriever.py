"""PSNetTripletRetriever (Xuan et al. baselines): embeddings, triplet loss, Euclidean ranking,
argument checks and the configs/cbam configs."""
import inspect
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.models.retrievers import ImageToImageRetriever
from mmpretrain.registry import METRICS, MODELS
from mmpretrain.structures import DataSample

import ps_net.evaluation.metrics.precision_at_k  # noqa: F401  registers PSNetPrecisionAtK
import ps_net.models.losses.miners as miners
import ps_net.models.retrievers.triplet_retriever as tr
from ps_net.models.losses import design_triplets, triplet_loss
from ps_net.models.retrievers.triplet_retriever import PSNetTripletRetriever, euclidean_distance

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / 'configs' / 'cbam'
SYNTHETIC = ['triplet_resnet50-narrow_20e_synthetic-128.py',
             'triplet_se-resnet50-narrow_20e_synthetic-128.py',
             'triplet_cbam-resnet50-narrow_20e_synthetic-128.py']
FULL = 'triplet_cbam-resnet50_20e_plagiarized-224.py'
TINY = dict(type='PSNetAttentionResNet', depth=18, stem_channels=8, base_channels=8)


def _build(cfg_model):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg_model)


@pytest.fixture(scope='module')
def model():
    """The narrow CBAM ResNet50 of the synthetic config (random weights, tensor gallery)."""
    torch.manual_seed(0)
    cfg = Config.fromfile(str(CONFIG_DIR / SYNTHETIC[2]))
    cfg.model.prototype = torch.zeros(1, 512)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg.model)


def _samples(ids):
    return [DataSample(metainfo=dict(design_id=d)) for d in ids]


# --------------------------------------------------------------------------- shapes
def test_is_an_image_to_image_retriever_with_unit_embeddings(model):
    assert isinstance(model, ImageToImageRetriever)
    assert model.image_encoder.feat_channels == 512  # 16 * 8 * 4: the narrow ResNet50
    assert model.image_encoder.backbone.final_attention is not None
    model.eval()
    with torch.no_grad():
        out = model(torch.rand(3, 3, 128, 128), mode='tensor')
    assert out.shape == (3, 512)
    torch.testing.assert_close(out.norm(dim=-1), torch.ones(3))


def test_embed_dim_adds_a_projection():
    net = _build(dict(type='PSNetTripletRetriever', backbone=TINY, embed_dim=16,
                      prototype=torch.zeros(1, 16))).eval()
    assert isinstance(net.image_encoder.embed, torch.nn.Linear)
    assert net.image_encoder.embed.in_features == 64  # 8 * 8: BasicBlock, expansion 1
    with torch.no_grad():
        out = net(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, 16)
    torch.testing.assert_close(out.norm(dim=-1), torch.ones(2))


# --------------------------------------------------------------------------- loss
def test_triplet_loss_value_on_hand_made_embeddings():
    a = torch.tensor([[0., 0.], [0., 0.]])
    p = torch.tensor([[1., 0.], [0., 2.]])
    n = torch.tensor([[0., 3.], [1., 0.]])
    # d(a,p) = 1, 2; d(a,n) = 3, 1; margin 0.5: max(1 - 3 + .5, 0) = 0, max(2 - 1 + .5, 0) = 1.5
    loss, active = triplet_loss(a, p, n, margin=0.5)
    assert loss.item() == pytest.approx(0.75)
    assert active.item() == pytest.approx(0.5)
    assert not active.requires_grad


def test_triplet_loss_is_zero_when_every_triplet_is_satisfied():
    a = torch.tensor([[0., 0.]], requires_grad=True)
    loss, active = triplet_loss(a, torch.tensor([[0.1, 0.]]), torch.tensor([[0., 1.]]), 0.2)
    assert loss.item() == 0 and active.item() == 0
    loss.backward()  # still differentiable: a zero gradient, no NaN
    assert torch.equal(a.grad, torch.zeros_like(a))
    empty = torch.zeros(0, 4)
    loss, active = triplet_loss(empty, empty, empty, 0.2)
    assert loss.item() == 0 and active.item() == 0


def test_model_loss_uses_the_ps_net_in_batch_triplets(model, monkeypatch):
    """With hand-made embeddings: the triplets are design_triplets's, seeded by the
    sum of the design ids, and the loss is the mean hinge on them."""
    feats = torch.nn.functional.normalize(torch.randn(6, 4, generator=torch.Generator()
                                                      .manual_seed(1)), dim=-1)
    monkeypatch.setattr(model, 'extract_feat', lambda inputs: feats)
    ids = [3, 3, 5, 5, 9, 9]
    out = model.loss(torch.zeros(6, 3, 8, 8), _samples(ids))
    a, p, n = design_triplets(ids, torch.Generator().manual_seed(sum(ids)))
    assert len(a) == 6
    d_ap = (feats[a] - feats[p]).norm(dim=-1)
    d_an = (feats[a] - feats[n]).norm(dim=-1)
    hinge = torch.clamp(d_ap - d_an + model.margin, min=0)
    torch.testing.assert_close(out['loss_triplet'], hinge.mean())
    torch.testing.assert_close(out['active_triplets'], (hinge > 0).float().mean())
    assert tr.design_triplets is miners.design_triplets  # the one miner, not a copy


def test_forward_and_predict_are_mmpretrains():
    """Only the similarity, the stable sort, the gallery re-normalisation and the loss are
    the retriever's own; forward, predict and extract_feat are ImageToImageRetriever's."""
    for name in ('forward', 'predict', 'extract_feat'):
        assert getattr(PSNetTripletRetriever, name) is getattr(ImageToImageRetriever, name)


def test_hard_negatives_take_the_closest_other_design(model, monkeypatch):
    """hard_negatives=True: each anchor's negative is its nearest image of another design."""
    feats = torch.nn.functional.normalize(torch.randn(6, 4, generator=torch.Generator()
                                                      .manual_seed(2)), dim=-1)
    monkeypatch.setattr(model, 'extract_feat', lambda inputs: feats)
    ids = [3, 3, 5, 5, 9, 9]
    monkeypatch.setattr(model, 'hard_negatives', True)
    out = model.loss(torch.zeros(6, 3, 8, 8), _samples(ids))
    dist = euclidean_distance(feats, feats)
    other = torch.tensor(ids)[:, None] != torch.tensor(ids)[None, :]
    hardest = dist.masked_fill(~other, float('inf')).min(1).values
    _, p, _ = design_triplets(ids, torch.Generator().manual_seed(sum(ids)))
    d_ap = (feats - feats[p]).norm(dim=-1)
    torch.testing.assert_close(out['loss_triplet'],
                               torch.clamp(d_ap - hardest + model.margin, min=0).mean())
    with pytest.raises(ValueError, match="hard_negatives must be a bool, got 1"):
        PSNetTripletRetriever(backbone=TINY, prototype=torch.zeros(1, 64), hard_negatives=1)


def test_model_loss_trains_the_backbone(model):
    model.train()
    losses = model(torch.rand(4, 3, 128, 128), _samples([0, 0, 1, 1]), mode='loss')
    assert set(losses) == {'loss_triplet', 'active_triplets'}
    assert torch.isfinite(losses['loss_triplet'])
    assert 0 <= losses['active_triplets'].item() <= 1
    model.zero_grad()
    losses['loss_triplet'].backward()
    grads = [p.grad for p in model.image_encoder.backbone.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    model.zero_grad()


def test_a_batch_without_triplets_gives_a_zero_loss(model):
    model.eval()
    out = model(torch.rand(2, 3, 64, 64), _samples([4, 5]), mode='loss')  # no positive
    assert out['loss_triplet'].item() == 0 and out['loss_triplet'].requires_grad


# --------------------------------------------------------------------------- ranking
def test_pred_score_ranks_by_ascending_euclidean_distance(model, monkeypatch):
    gallery = torch.tensor([[0., 0., 1.], [3., 0., 0.], [0.5, 0.5, 0.], [1., 1., 1.],
                            [-2., 0., 0.]])
    queries = torch.tensor([[0., 0., 0.], [1., 1., 0.9]])
    monkeypatch.setattr(model, 'prototype_vecs', gallery, raising=False)
    monkeypatch.setattr(model, 'prototype_inited', True)
    monkeypatch.setattr(model, 'extract_feat', lambda inputs: queries)
    out = model.predict(torch.zeros(2, 3, 8, 8), _samples([0, 1]))
    dist = np.sqrt(((queries.numpy()[:, None] - gallery.numpy()[None]) ** 2).sum(-1))
    for q, sample in enumerate(out):
        score = sample.pred_score.numpy()
        np.testing.assert_allclose(score, -dist[q], rtol=1e-6, atol=1e-6)
        assert np.argsort(-score, kind='stable').tolist() == \
            np.argsort(dist[q], kind='stable').tolist()
        assert sample.pred_label.tolist() == np.argsort(dist[q], kind='stable').tolist()
    # the metric reads pred_score as a similarity: the same P@K as the distances ranked upwards
    labels = [7, 8, 7, 9, 8]
    by_score = METRICS.get('PSNetPrecisionAtK').calculate(
        np.stack([s.pred_score.numpy() for s in out]), [7, 8], labels, topk=(1, 2))
    by_dist = METRICS.get('PSNetPrecisionAtK').calculate(dist, [7, 8], labels, topk=(1, 2),
                                                         ranking='distance')
    assert by_score == by_dist


def test_euclidean_distance_is_eq4():
    torch.testing.assert_close(
        euclidean_distance(torch.tensor([[0., 0.], [1., 1.]]), torch.tensor([[3., 4.]])),
        torch.tensor([[5.], [np.sqrt(13.)]], dtype=torch.float32))
    with pytest.raises(ValueError, match=r'\(1, 2\) and \(1, 3\)'):
        euclidean_distance(torch.zeros(1, 2), torch.zeros(1, 3))


def test_gallery_vectors_are_renormalised(model, monkeypatch):
    """A padded distributed gallery sums an entry twice: its vector is brought back to unit."""
    doubled = torch.tensor([[0., 2.], [0.6, 0.8]])
    monkeypatch.setattr(ImageToImageRetriever, '_get_prototype_vecs_from_dataloader',
                        lambda self, loader: doubled)
    vecs = model._get_prototype_vecs_from_dataloader(None)
    torch.testing.assert_close(vecs, torch.tensor([[0., 1.], [0.6, 0.8]]))


# --------------------------------------------------------------------------- arguments
@pytest.mark.parametrize('kwargs, match', [
    (dict(margin=0), 'margin .* got 0'),
    (dict(margin=-0.1), r'margin .* got -0\.1'),
    (dict(margin=True), 'margin .* got True'),
    (dict(margin='0.2'), "margin .* got '0.2'"),
    (dict(embed_dim=0), 'embed_dim .* got 0'),
    (dict(embed_dim=1.5), r'embed_dim .* got 1\.5'),
    (dict(topk=0), 'topk .* got 0'),
    (dict(backbone='resnet50'), "backbone .* got 'resnet50'"),
    (dict(backbone=dict(depth=50)), 'backbone .* got'),
])
def test_bad_arguments_raise(kwargs, match):
    args = dict(backbone=TINY, prototype=torch.zeros(1, 64))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        PSNetTripletRetriever(**args)


def test_loss_without_design_id_raises(model):
    with pytest.raises(ValueError, match="no 'design_id'"):
        model.loss(torch.rand(2, 3, 64, 64), [DataSample(), DataSample()])


def test_unknown_mode_raises(model):
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(torch.rand(1, 3, 64, 64), mode='embed')


# --------------------------------------------------------------------------- configs
@pytest.mark.parametrize('name, attention', zip(SYNTHETIC, [None, 'se', 'cbam']))
def test_synthetic_configs_build_and_run(name, attention):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.custom_imports == dict(imports=['ps_net'], allow_failed_imports=False)
    assert cfg.train_dataloader.sampler.type == 'PSNetDesignSampler'
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert [m.type for m in cfg.test_evaluator] == ['PSNetPlagiarismMetric', 'PSNetPrecisionAtK']
    for metric in cfg.test_evaluator + cfg.val_evaluator:  # argument names are right
        inspect.signature(METRICS.get(metric.type)).bind(
            **{k: v for k, v in metric.items() if k != 'type'})
    b = cfg.model.backbone
    assert (b.depth, b.stem_channels, b.base_channels, b.attention) == (50, 16, 16, attention)
    cfg.model.prototype = torch.zeros(1, 512)
    torch.manual_seed(0)
    net = _build(cfg.model)
    data = net.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (3, 128, 128), dtype=torch.uint8)
                     for _ in range(4)], data_samples=_samples([0, 0, 1, 1])), True)
    net.train()
    losses = net(**data, mode='loss')
    assert torch.isfinite(losses['loss_triplet'])
    net.eval()
    with torch.no_grad():
        out = net(data['inputs'], data['data_samples'], mode='predict')
    assert out[0].pred_score.shape == (1, )


def test_full_size_config_builds_and_runs():
    cfg = Config.fromfile(str(CONFIG_DIR / FULL))
    b = cfg.model.backbone
    assert (b.depth, b.attention, b.init_cfg.type, b.init_cfg.prefix) == \
        (50, 'cbam', 'Pretrained', 'backbone')
    assert b.init_cfg.checkpoint.endswith('resnet50_8xb32_in1k_20210831-ea4938fc.pth')
    assert cfg.test_dataloader.dataset.pipeline[1].scale == (224, 224)
    assert cfg.test_dataloader.dataset.pipeline[-1].meta_keys  # design_id, category kept
    assert [m.type for m in cfg.test_evaluator] == ['PSNetPlagiarismMetric', 'PSNetPrecisionAtK']
    cfg.model.prototype = torch.zeros(1, 2048)
    net = _build(cfg.model).eval()  # no init_weights: nothing is downloaded
    with torch.no_grad():
        out = net(torch.rand(1, 3, 224, 224), mode='tensor')
    assert out.shape == (1, 2048)
    # the ImageNet ResNet50 keys load unchanged; only the CBAM blocks are new
    keys = set(net.image_encoder.backbone.state_dict())
    new = {k for k in keys if k.startswith(('stem_attention.', 'final_attention.'))}
    assert new and all(k.split('.')[0] in ('conv1', 'bn1', 'layer1', 'layer2', 'layer3',
                                           'layer4') for k in keys - new)
