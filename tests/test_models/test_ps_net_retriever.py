"""PSNetRetriever: tensor / loss / predict, region weights buffer, eq. 1 masking."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

import ps_net  # noqa: F401
from mmpretrain.registry import MODELS
from ps_net.models.retrievers import region_similarity

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'ps_net' / 'psnet-hrnet-narrow_synthetic-128.py'


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.landmark_checkpoint = None
    cfg.model.prototype = torch.zeros(1, 5 * 64 + 6)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg.model)


def _samples(ids, cats, relations=None):
    relations = relations or ['original'] * len(ids)
    return [DataSample(metainfo=dict(design_id=d, df2_category_id=c, relation=r))
            for d, c, r in zip(ids, cats, relations)]


def test_tensor_mode_gives_flat_region_vectors(model):
    model.eval()
    x = torch.rand(3, 3, 128, 128)
    with torch.no_grad():
        vec = model(x, _samples([0, 1, 2], [1, 5, 11]), mode='tensor')
    assert vec.shape == (3, 5 * 64 + 6)
    feats, valid, cat = model.split_flat(vec)
    assert valid.tolist() == [[True] * 5, [False, False, True, True, True], [True] * 5]
    assert cat.tolist() == [0, 0, 3]  # short_sleeved_top, short_sleeved_top (vest), dress
    norms = feats.norm(dim=-1)
    torch.testing.assert_close(norms[valid], torch.ones(int(valid.sum())))
    assert (norms[~valid] == 0).all()


def test_loss_trains_the_retrieval_branch_only(model):
    model.train()
    x = torch.rand(4, 3, 128, 128)
    losses = model(x, _samples([0, 0, 1, 1], [1, 1, 2, 2]), mode='loss')
    assert set(losses) >= {'loss_region', 'loss_fashion', 'active'}
    total = losses['loss_region'] + losses['loss_fashion']
    assert torch.isfinite(total) and total.item() > 0
    model.zero_grad()
    total.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.image_encoder.parameters())
    assert all(p.grad is None for p in model.landmarks.parameters())


def test_predict_scores_every_gallery_item_and_weights_are_saved(model):
    model.eval()
    with torch.no_grad():
        gallery = model(torch.rand(5, 3, 128, 128), _samples(range(5), [1, 2, 3, 10, 5]))
    model.prototype_vecs = gallery
    model.prototype_inited = True
    with torch.no_grad():
        out = model(torch.rand(2, 3, 128, 128), _samples([7, 8], [1, 12]), mode='predict')
    assert out[0].pred_score.shape == (5, )
    assert 'region_weights' in model.state_dict()
    assert model.region_weights.shape == (4, 5)
    torch.testing.assert_close(model.region_weights.sum(1), torch.ones(4))


def test_eq1_masks_missing_regions_and_renormalises():
    f = torch.nn.functional.normalize(torch.rand(2, 5, 8), dim=-1)
    all_valid = torch.ones(2, 5, dtype=torch.bool)
    vest = torch.tensor([[False, False, True, True, True]] * 2)
    w = torch.full((2, 5), 0.2)
    s_vest = region_similarity(f, vest, f, all_valid, w)
    cos = torch.einsum('qrd,grd->qgr', f, f)
    torch.testing.assert_close(s_vest, cos[..., 2:].mean(-1))
    torch.testing.assert_close(region_similarity(f, all_valid, f, all_valid, w).diagonal(),
                               torch.ones(2))
    with pytest.raises(ValueError, match='region features'):
        region_similarity(f, vest, f[:, :3], vest, w)


def test_plagiarism_distances_follow_the_hook_contract(model):
    model.train()
    batch = dict(inputs=[torch.randint(0, 255, (3, 128, 128), dtype=torch.uint8)
                         for _ in range(4)],
                 data_samples=_samples([0, 0, 1, 1], [1, 1, 1, 1],
                                       ['original', 'plagiarized', 'original', 'plagiarized']))
    out = model.plagiarism_distances(batch)
    assert out['d_ap'].shape == (4, 5) and out['valid'].all()  # 2 originals x 1 copy x 2 negatives
    assert out['category_index'].tolist() == [0] * 4
    assert (out['d_an'] > 0).all()
    assert model.training  # restored after the eval-mode pass


def test_frozen_network_phase_returns_a_zero_loss_and_trains_nothing():
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.update(landmark_checkpoint=None, prototype=torch.zeros(1, 5 * 64 + 6),
                     train_network=False)
    frozen = MODELS.build(cfg.model)
    assert not any(p.requires_grad for p in frozen.parameters())
    loss = frozen(torch.rand(2, 3, 128, 128), _samples([0, 1], [1, 1]), mode='loss')
    assert list(loss) == ['loss_frozen'] and loss['loss_frozen'].item() == 0
    loss['loss_frozen'].backward()  # the optimizer wrapper can step without error


def test_landmark_checkpoint_loads_into_the_landmark_branch(model, tmp_path):
    from mmpose.registry import MODELS as POSE_MODELS
    cfg = Config.fromfile(str(REPO / 'configs' / 'landmark' /
                               'psnet-hrnet-narrow_synthetic-128x128.py'))
    with DefaultScope.overwrite_default_scope('mmpose'):
        pose = POSE_MODELS.build(cfg.model)
    path = tmp_path / 'landmarks.pth'
    torch.save({'state_dict': pose.state_dict()}, path)
    model.landmark_checkpoint = str(path)
    model.init_weights()  # what the Runner calls: the checkpoint must win over the init
    for name, value in pose.backbone.state_dict().items():
        torch.testing.assert_close(model.landmarks.backbone.state_dict()[name], value)
    for name, value in pose.head.state_dict().items():
        torch.testing.assert_close(model.landmarks.head.state_dict()[name], value)
    torch.save({'state_dict': {'backbone.bogus': torch.zeros(1)}}, path)
    with pytest.raises(RuntimeError):
        model.load_landmark_checkpoint(str(path))


def test_retrieval_branch_can_start_from_the_landmark_checkpoint(tmp_path):
    """init_retrieval_from_landmarks copies the landmark HRNet + neck into the retrieval branch
    (separate weights afterwards); without it the retrieval branch keeps its own init."""
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.update(landmark_checkpoint=None, prototype=torch.zeros(1, 5 * 64 + 6))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        src = MODELS.build(cfg.model)
        for p in src.landmarks.parameters():
            torch.nn.init.normal_(p)
        state = {k: v for k, v in src.landmarks.state_dict().items()}
        path = tmp_path / 'landmarks.pth'
        torch.save(dict(state_dict=state), path)
        cfg.model.update(landmark_checkpoint=str(path), init_retrieval_from_landmarks=True)
        model = MODELS.build(cfg.model)
        model.init_weights()
        off = MODELS.build(dict(cfg.model, init_retrieval_from_landmarks=False))
        off.init_weights()
    torch.testing.assert_close(model.image_encoder[0].conv1.weight,
                               src.landmarks.backbone.conv1.weight)
    torch.testing.assert_close(model.landmarks.backbone.conv1.weight,
                               src.landmarks.backbone.conv1.weight)
    assert model.image_encoder[0].conv1.weight.data_ptr() != \
        model.landmarks.backbone.conv1.weight.data_ptr()
    assert not torch.equal(off.image_encoder[0].conv1.weight, src.landmarks.backbone.conv1.weight)
    torch.testing.assert_close(off.landmarks.backbone.conv1.weight,
                               src.landmarks.backbone.conv1.weight)


def test_copies_add_region_triplets_and_are_no_identical_positives(model):
    import numpy as np
    from ps_net.models.retrievers import PSNetRetriever
    rel = ['original', 'identical', 'plagiarized', 'original', 'identical', 'plagiarized']
    ids = [0, 0, 0, 1, 1, 1]
    a, p, n = PSNetRetriever._triplets(ids, torch.Generator().manual_seed(0),
                                       [r != 'plagiarized' for r in rel])
    assert sorted(a) == [0, 1, 3, 4] and not {2, 5} & set(p + n)
    samples = _samples(ids, [1] * 6, rel)
    for s in samples:
        mask = np.zeros(5, bool)
        if s.relation == 'plagiarized':
            mask[3] = True
        s.set_metainfo(dict(modified_region_mask=mask))
    assert 'loss_copy' not in model(torch.rand(6, 3, 128, 128), samples, mode='loss')  # off
    model.train()
    model.copy_loss_weight = 1.0  # what the *_copy-triplets configs set
    try:
        losses = model(torch.rand(6, 3, 128, 128), samples, mode='loss')
    finally:
        model.copy_loss_weight = 0.0
    assert losses['loss_copy'].item() > 0 and 0 <= losses['active_copy'].item() <= 1
    model.zero_grad()
    losses['loss_copy'].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.image_encoder.parameters())
    samples[2].set_metainfo(dict(modified_region_mask=np.zeros(4, bool)))
    model.copy_loss_weight = 1.0
    try:
        with pytest.raises(ValueError, match='modified_region_mask'):
            model(torch.rand(6, 3, 128, 128), samples, mode='loss')
    finally:
        model.copy_loss_weight = 0.0


def test_hard_negatives_pick_the_closest_other_design(model):
    from ps_net.models.losses import region_distance_matrix
    from ps_net.models.retrievers import PSNetRetriever
    ids = [0, 0, 1, 1, 2, 2]
    feats = torch.nn.functional.normalize(torch.rand(6, 5, 8), dim=-1)
    feats[4] = feats[0] + 0.01  # design 2's first image is nearly image 0
    dist = region_distance_matrix(feats)
    gen = torch.Generator().manual_seed(0)
    a, p, n = PSNetRetriever._triplets(ids, gen, distances=dist)
    assert a == [0, 1, 2, 3, 4, 5] and p == [1, 0, 3, 2, 5, 4]
    for i, j in zip(a, n):
        others = [k for k in range(6) if ids[k] != ids[i]]
        assert ids[j] != ids[i] and dist[i, j] == dist[i, others].min()
    assert n[0] == 4 and n[4] == 0
    # copies are never mined as negatives when not eligible
    eligible = [True, True, True, True, False, True]
    _, _, n2 = PSNetRetriever._triplets(ids, gen, eligible, dist)
    assert 4 not in n2
    with pytest.raises(ValueError, match=r'distances must have shape \(6, 6\)'):
        PSNetRetriever._triplets(ids, gen, distances=dist[:5])


def test_region_distance_matrix_averages_common_regions_only():
    from ps_net.models.losses import region_distance_matrix
    f = torch.zeros(3, 2, 2)
    f[:, 0, 0] = 1
    f[1, 1, 1] = 1
    f[0, 1, 0] = 1
    f[2, 1, 0] = 1
    f[2, 0] = float('nan')  # a missing region's garbage never reaches the sum
    valid = torch.tensor([[True, True], [True, True], [False, True]])
    d = region_distance_matrix(f, valid)
    assert d[0, 1].item() == pytest.approx(2 ** 0.5 / 2)  # region 0 equal, 1 orthogonal
    assert d[0, 2].item() == pytest.approx(0.0)  # only region 1 is common, and equal
    assert d[1, 2].item() == pytest.approx(2 ** 0.5)  # only region 1, orthogonal
    torch.testing.assert_close(d, d.T)
    valid2 = torch.tensor([[True, False], [True, True], [False, True]])
    assert region_distance_matrix(f, valid2)[0, 2].item() == float('inf')  # nothing common
    with pytest.raises(ValueError, match=r'\(B, R, D\)'):
        region_distance_matrix(torch.zeros(3, 5))


def test_hard_negatives_option_is_checked_and_trains(model):
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.update(landmark_checkpoint=None, prototype=torch.zeros(1, 5 * 64 + 6),
                     hard_negatives='yes')
    with DefaultScope.overwrite_default_scope('mmpretrain'), \
            pytest.raises(TypeError, match="hard_negatives must be a bool, got 'yes'"):
        MODELS.build(cfg.model)
    model.train()
    model.hard_negatives = True
    try:
        losses = model(torch.rand(4, 3, 128, 128), _samples([0, 0, 1, 1], [1, 1, 2, 2]),
                       mode='loss')
    finally:
        model.hard_negatives = False
    assert torch.isfinite(losses['loss_region'])
