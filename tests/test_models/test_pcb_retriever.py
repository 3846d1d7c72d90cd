"""PSNetPCBRetriever (PCB baseline): six stripes tiling the input, no landmark branch, eq. 1
with uniform weights = mean stripe cosine."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import ps_net  # noqa: F401
import ps_net.models.retrievers.pcb  # noqa: F401  registers PSNetPCBRetriever

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'ps_net' / 'pcb_hrnet-narrow_20e_synthetic-128.py'
BASE = REPO / 'configs' / 'ps_net' / 'psnet_hrnet-narrow_20e_synthetic-128.py'
R, D = 6, 64
FLAT = R * D + R + 1


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    cfg = Config.fromfile(str(CONFIG))
    assert cfg.model.init_retrieval_from_landmarks  # the config starts from the landmark HRNet
    cfg.model.prototype = torch.zeros(1, FLAT)
    cfg.model.landmark_checkpoint = None  # no trained landmark run in a test
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg.model)


def _samples(ids, cats):
    return [DataSample(metainfo=dict(design_id=d, df2_category_id=c)) for d, c in zip(ids, cats)]


def test_config_builds_pcb_without_landmark_branch_or_attention(model):
    assert type(model).__name__ == 'PSNetPCBRetriever'
    assert model.num_regions == R and len(model.head.embed) == R == model.head.num_regions
    assert model.landmarks is None and model.attention is None
    keys = model.state_dict().keys()
    assert not any(k.startswith(('landmarks.', 'attention.')) for k in keys)
    assert model.region_weights.shape == (4, R)
    torch.testing.assert_close(model.region_weights, torch.full((4, R), 1 / R))
    model.init_weights()  # nothing to load, no landmark checkpoint


def test_stripes_tile_the_input_and_are_disjoint_in_y(model):
    info = model.stripe_regions(3, _samples([0, 1, 2], [1, 5, 11]))
    boxes = info['boxes']
    assert boxes.shape == (3, R, 4)
    w, h = model.input_size
    assert (boxes[..., 0] == 0).all() and (boxes[..., 2] == w).all()  # full width
    assert (boxes[:, 0, 1] == 0).all() and (boxes[:, -1, 3] == h).all()  # top to bottom
    assert torch.equal(boxes[:, :-1, 3], boxes[:, 1:, 1])  # each stripe ends where the next starts
    heights = boxes[..., 3] - boxes[..., 1]
    torch.testing.assert_close(heights, torch.full_like(heights, h / R))  # disjoint, equal
    assert info['valid'].all() and not info['fallback'].any()
    assert info['category'].tolist() == [0, 0, 3]  # short_sleeved_top, vest -> top, dress


def test_six_stripe_features_and_flat_vectors(model):
    model.eval()
    x = torch.rand(2, 3, 128, 128)
    with torch.no_grad():
        info = model.region_features(x, _samples([0, 1], [1, 2]))
        vec = model(x, _samples([0, 1], [1, 2]), mode='tensor')
    assert info['feats'].shape == (2, R, D)
    torch.testing.assert_close(info['feats'].norm(dim=-1), torch.ones(2, R))
    assert vec.shape == (2, FLAT)
    feats, valid, cat = model.split_flat(vec)
    torch.testing.assert_close(feats, info['feats'])
    assert valid.all() and cat.tolist() == [0, 1]
    with torch.no_grad():  # F' = F: the stripes are pooled from the retrieval map itself
        pooled = model.head.pool(model.feature_map(x), info['boxes'])
    torch.testing.assert_close(F.normalize(model.head.embed[2](pooled[:, 2]), dim=-1),
                               info['feats'][:, 2])


def test_similarity_is_the_mean_stripe_cosine(model):
    torch.manual_seed(1)
    q = F.normalize(torch.randn(3, R, D), dim=-1)
    g = F.normalize(torch.randn(4, R, D), dim=-1)

    def flat(f, cats):
        return torch.cat([f.flatten(1), torch.ones(len(f), R), torch.tensor(cats)[:, None]], 1)

    sim = model.scores(flat(q, [0., 1., 3.]), flat(g, [2., 2., 0., 1.]))
    expected = torch.einsum('qrd,grd->qgr', q, g).mean(-1)
    torch.testing.assert_close(sim, expected)


def test_loss_and_predict(model):
    model.train()
    losses = model(torch.rand(4, 3, 128, 128), _samples([0, 0, 1, 1], [1, 1, 2, 2]),
                   mode='loss')
    total = losses['loss_region'] + losses['loss_fashion']
    assert torch.isfinite(total)
    model.zero_grad()
    total.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.head.embed.parameters())
    model.eval()
    with torch.no_grad():
        model.prototype_vecs = model(torch.rand(5, 3, 128, 128), _samples(range(5), [1] * 5))
        model.prototype_inited = True
        out = model(torch.rand(2, 3, 128, 128), _samples([7, 8], [1, 12]), mode='predict')
    assert out[0].pred_score.shape == (5, )


def test_rejects_a_landmark_branch():
    cfg = Config.fromfile(str(BASE))
    cfg.model.update(type='PSNetPCBRetriever', landmark_checkpoint=None,
                     prototype=torch.zeros(1, FLAT))
    with pytest.raises(ValueError, match='landmark_branch'):
        MODELS.build(cfg.model)


def test_stripes_refuse_the_copy_region_loss():
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.update(landmark_checkpoint=None, prototype=torch.zeros(1, 6 * 64 + 7))
    cfg.model.head.copy_loss_weight = 1.0
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        with pytest.raises(ValueError, match='copy_loss_weight must be 0'):
            MODELS.build(cfg.model)
