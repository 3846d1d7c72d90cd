"""PSNetRegionHead: region features, Fashion Output, flat layout and the config-built losses."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import ps_net  # noqa: F401
from ps_net.models.heads import PSNetRegionHead
from ps_net.models.losses import design_triplets, region_triplet_loss

R, C, D = 3, 4, 6


def _head(**kwargs):
    torch.manual_seed(0)
    cfg = dict(type='PSNetRegionHead', num_regions=R, in_channels=C, embed_dim=D, roi_size=2,
               feature_stride=2)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _boxes(b):
    box = torch.tensor([[0., 0., 8., 8.], [4., 4., 16., 16.], [8., 0., 16., 8.]])
    return box[None].repeat(b, 1, 1)


def _samples(ids, relations=None):
    relations = relations or ['original'] * len(ids)
    return [DataSample(metainfo=dict(design_id=d, relation=r)) for d, r in zip(ids, relations)]


def test_region_features_are_unit_vectors_and_zero_where_invalid():
    head = _head()
    feat = torch.randn(2, C, 8, 8)
    valid = torch.tensor([[True, False, True], [True, True, True]])
    f = head(feat, _boxes(2), valid)
    assert f.shape == (2, R, D)
    norms = f.norm(dim=-1)
    torch.testing.assert_close(norms[valid], torch.ones(int(valid.sum())))
    assert torch.equal(f[0, 1], torch.zeros(D))
    # each region has its own embedding of its own RoIAligned box
    pooled = head.pool(feat, _boxes(2))
    torch.testing.assert_close(f[:, 2], F.normalize(head.embed[2](pooled[:, 2]), dim=-1))
    with pytest.raises(ValueError, match='expected 3 boxes per image'):
        head(feat, _boxes(2)[:, :2], valid[:, :2])


def test_flat_layout_round_trips_and_fashion_output_is_the_normalised_concatenation():
    head = _head()
    feat = torch.randn(3, C, 8, 8)
    valid = torch.tensor([[True, False, True], [True, True, True], [False, False, True]])
    category = torch.tensor([2, 0, 3])
    flat = head.predict(feat, _boxes(3), valid, category)
    assert flat.shape == (3, head.flat_dim) and head.flat_dim == R * D + R + 1
    feats, v, c = head.split_flat(flat)
    torch.testing.assert_close(feats, head(feat, _boxes(3), valid))
    assert torch.equal(v, valid) and c.tolist() == [2, 0, 3]
    g = head.fashion_output(feats)
    torch.testing.assert_close(g, feats.flatten(1) / feats.flatten(1).norm(dim=-1,
                                                                           keepdim=True))


def test_losses_are_the_region_loss_and_fashion_triplet_on_the_mined_triplets():
    head = _head()
    feats = F.normalize(torch.randn(6, R, D, generator=torch.Generator().manual_seed(3)), dim=-1)
    valid = torch.ones(6, R, dtype=torch.bool)
    valid[1, 0] = False
    ids = [3, 3, 5, 5, 9, 9]
    losses = head.loss_by_feat(feats * valid[..., None], valid, _samples(ids))
    assert set(losses) == {'loss_region', 'loss_fashion', 'active'}
    f = feats * valid[..., None]
    a, p, n = design_triplets(ids, torch.Generator().manual_seed(sum(ids)), [True] * 6)
    region, active = region_triplet_loss(f[a], f[p], f[n], 0.2, valid=[valid[a], valid[p],
                                                                        valid[n]])
    torch.testing.assert_close(losses['loss_region'], region)
    torch.testing.assert_close(losses['active'], active)
    g = F.normalize(f.flatten(1), dim=-1)
    hinge = torch.clamp((g[a] - g[p]).norm(dim=-1) - (g[a] - g[n]).norm(dim=-1) + 0.2, min=0)
    torch.testing.assert_close(losses['loss_fashion'], hinge.mean())
    # no triplet in the batch: zero losses, still attached to the graph
    f1 = feats[:2].clone().requires_grad_(True)
    empty = head.loss_by_feat(f1, valid[:2], _samples([3, 4]))
    assert empty['loss_region'].item() == 0 and empty['loss_region'].requires_grad


def test_loss_is_built_from_the_config():
    feats = F.normalize(torch.randn(6, R, D, generator=torch.Generator().manual_seed(4)), dim=-1)
    valid = torch.ones(6, R, dtype=torch.bool)
    samples = _samples([3, 3, 5, 5, 9, 9])
    small = _head(loss=dict(type='PSNetRegionTripletLoss', margin=0.2))
    large = _head(loss=dict(type='PSNetRegionTripletLoss', margin=0.9))
    assert (small.margin, large.margin) == (0.2, 0.9)
    lo, hi = small.loss_by_feat(feats, valid, samples), large.loss_by_feat(feats, valid, samples)
    assert hi['loss_region'] > lo['loss_region'] and hi['loss_fashion'] > lo['loss_fashion']
    weighted = _head(loss=dict(type='PSNetRegionTripletLoss', margin=0.2, loss_weight=3.0))
    torch.testing.assert_close(weighted.loss_by_feat(feats, valid, samples)['loss_region'],
                               3 * lo['loss_region'])
    with pytest.raises(KeyError, match='PSNetNoSuchLoss'):
        _head(loss=dict(type='PSNetNoSuchLoss', margin=0.2))
    with pytest.raises(TypeError, match='with a margin'):
        _head(loss=dict(type='CrossEntropyLoss'))


def test_copy_triplets_add_loss_copy():
    rel = ['original', 'identical', 'plagiarized', 'original', 'identical', 'plagiarized']
    samples = _samples([0, 0, 0, 1, 1, 1], rel)
    for s in samples:
        mask = np.zeros(R, bool)
        if s.relation == 'plagiarized':
            mask[1] = True
        s.set_metainfo(dict(modified_region_mask=mask))
    feats = F.normalize(torch.randn(6, R, D, generator=torch.Generator().manual_seed(5)), dim=-1)
    valid = torch.ones(6, R, dtype=torch.bool)
    assert 'loss_copy' not in _head().loss_by_feat(feats, valid, samples)
    losses = _head(copy_loss_weight=2.0).loss_by_feat(feats, valid, samples)
    assert losses['loss_copy'].item() > 0 and 0 <= losses['active_copy'].item() <= 1
    once = _head(copy_loss_weight=1.0).loss_by_feat(feats, valid, samples)['loss_copy']
    torch.testing.assert_close(losses['loss_copy'], 2 * once)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(embed_dim=0), ValueError, 'embed_dim must be an int >= 1, got 0'),
    (dict(num_regions=True), ValueError, 'num_regions must be an int >= 1, got True'),
    (dict(copy_loss_weight=-1), ValueError, 'copy_loss_weight must be >= 0'),
    (dict(hard_negatives='yes'), TypeError, "hard_negatives must be a bool, got 'yes'"),
])
def test_bad_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        _head(**kwargs)


def test_is_registered():
    assert MODELS.get('PSNetRegionHead') is PSNetRegionHead
