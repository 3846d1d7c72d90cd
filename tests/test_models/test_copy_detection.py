"""Two-view InfoNCE (per region, design- and edit-masked) and the copy-detection retriever."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from ps_net.models import PSNetCopyDetectionRetriever
from ps_net.models.losses import multiview_info_nce


def _unit(*shape, seed=0):
    return F.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed)), dim=-1)


def _reference(z1, z2, t, same):
    """Eq. (1) written out with python loops (rows i of 2B views, partner i +- B)."""
    z = torch.cat([z1, z2])
    n = z.shape[0]
    b = n // 2
    total = []
    for i in range(n):
        j = (i + b) % n
        denom = [k for k in range(n) if k != i and (k == j or not same[i % b, k % b])]
        logits = torch.stack([z[i] @ z[k] / t for k in denom])
        total.append(-(z[i] @ z[j] / t - torch.logsumexp(logits, 0)))
    return torch.stack(total).mean()


def test_matches_the_written_out_equation():
    z1, z2 = _unit(5, 8, seed=1), _unit(5, 8, seed=2)
    ids = [0, 1, 1, 2, 3]
    same = torch.tensor(ids)[:, None] == torch.tensor(ids)[None]
    assert torch.allclose(multiview_info_nce(z1, z2, 0.2, ids), _reference(z1, z2, 0.2, same),
                          atol=1e-5)
    eye = torch.eye(5, dtype=torch.bool)
    assert torch.allclose(multiview_info_nce(z1, z2, 0.2), _reference(z1, z2, 0.2, eye),
                          atol=1e-5)


def test_orderings_and_bounds():
    z = _unit(6, 16, seed=3)
    aligned = multiview_info_nce(z, z, 0.1)
    shuffled = multiview_info_nce(z, z.roll(1, 0), 0.1)
    assert aligned < shuffled
    # orthogonal one-hot views: every logit 0 except the positive (1 / t)
    eye = torch.eye(4)
    loss = multiview_info_nce(eye, eye, 0.5)
    expected = -(2.0 - math.log(math.exp(2.0) + 6 * math.exp(0.0)))
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_regions_masked_by_edits_drop_their_terms():
    z1, z2 = _unit(4, 3, 8, seed=4), _unit(4, 3, 8, seed=5)
    comparable = torch.ones(4, 3, dtype=torch.bool)
    comparable[:, 1] = False  # region 1 edited everywhere: only regions 0 and 2 count
    masked = multiview_info_nce(z1, z2, 0.1, comparable=comparable)
    kept = multiview_info_nce(z1[:, [0, 2]], z2[:, [0, 2]], 0.1)
    assert torch.allclose(masked, kept, atol=1e-6)
    # editing region 0 of image 0 changes the loss and keeps it finite
    comparable[0, 0] = False
    other = multiview_info_nce(z1, z2, 0.1, comparable=comparable)
    assert torch.isfinite(other) and not torch.allclose(other, masked)
    none = multiview_info_nce(z1, z2, 0.1, comparable=torch.zeros(4, 3, dtype=torch.bool))
    assert none.item() == 0.0


def test_bad_arguments():
    z = _unit(3, 4)
    with pytest.raises(ValueError, match='temperature must be > 0'):
        multiview_info_nce(z, z, 0.0)
    with pytest.raises(ValueError, match='must both be'):
        multiview_info_nce(z, z[:2])
    with pytest.raises(ValueError, match='got 2 design ids for 3 images'):
        multiview_info_nce(z, z, design_ids=[0, 1])
    with pytest.raises(ValueError, match=r'comparable must be \(B, R\)'):
        multiview_info_nce(z, z, comparable=torch.ones(3, 2, dtype=torch.bool))


def _model():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return PSNetCopyDetectionRetriever(
            backbone=dict(type='PSNetAttentionResNet', depth=18, stem_channels=8,
                          base_channels=8),
            prototype=torch.zeros(1, 32), embed_dim=32,
            data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[0, 0, 0],
                                   std=[1, 1, 1]))


def test_retriever_trains_two_views_and_ranks_by_cosine():
    torch.manual_seed(0)
    model = _model()
    x = torch.rand(6, 3, 48, 48)
    samples = [DataSample(metainfo=dict(design_id=i)) for i in range(6)]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(15):
        loss = model.loss([x, x + 0.05 * torch.randn_like(x)], samples)['loss_info_nce']
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.2, losses
    model.eval()
    feats = model.extract_feat(x)
    assert torch.allclose(feats.norm(dim=1), torch.ones(6), atol=1e-5)
    model.prototype_vecs = feats
    order = model.matching(feats[:2])['pred_label']
    assert order[:, 0].tolist() == [0, 1]
    cos_order = torch.argsort(-(feats[:2] @ feats.T), dim=1, stable=True)
    assert torch.equal(order, cos_order)


def test_retriever_needs_two_views_and_design_ids():
    model = _model()
    with pytest.raises(ValueError, match='two views per image'):
        model.loss(torch.rand(2, 3, 32, 32), None)
    with pytest.raises(ValueError, match="has no 'design_id'"):
        model.loss([torch.rand(2, 3, 32, 32)] * 2, [DataSample(), DataSample()])
    with pytest.raises(ValueError, match='temperature must be > 0'):
        PSNetCopyDetectionRetriever(backbone=dict(type='PSNetAttentionResNet', depth=18),
                                    prototype=torch.zeros(1, 4), temperature=0)
