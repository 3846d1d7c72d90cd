"""PSNetRetriever: tensor / loss / predict, region weights buffer, eq. 1 masking."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

import ps_net  # noqa: F401
from mmpretrain.registry import MODELS
from ps_net.structures import region_similarity
from ps_net.models.losses import design_triplets

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'ps_net' / 'psnet_hrnet-narrow_20e_synthetic-128.py'


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


def _frozen():
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.update(landmark_checkpoint=None, prototype=torch.zeros(1, 5 * 64 + 6),
                     train_network=False)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg.model)


def test_frozen_train_step_runs_no_forward_and_never_touches_the_optimizer():
    """train_network=False: train_step returns an empty log dict without a forward pass and
    without calling the optimizer wrapper, so the parameters stay as they are."""
    from unittest import mock
    frozen = _frozen()
    assert not any(p.requires_grad for p in frozen.parameters())
    before = {k: v.clone() for k, v in frozen.state_dict().items()}

    def refuse(module, args):
        raise AssertionError(f'{type(module).__name__} ran a forward pass')

    for module in (frozen, frozen.data_preprocessor, frozen.image_encoder, frozen.landmarks,
                   frozen.head):
        module.register_forward_pre_hook(refuse)
    wrapper = mock.MagicMock()
    batch = dict(inputs=[torch.randint(0, 255, (3, 128, 128), dtype=torch.uint8)] * 2,
                 data_samples=_samples([0, 1], [1, 1]))
    out = frozen.train_step(batch, optim_wrapper=wrapper)
    assert out == {}
    assert wrapper.mock_calls == []  # neither optim_context, update_params nor anything else
    state = frozen.state_dict()
    assert all(torch.equal(state[k], v) for k, v in before.items())
    with pytest.raises(AssertionError, match='ran a forward pass'):  # the guard does fire
        frozen(torch.rand(1, 3, 128, 128), _samples([0], [1]), mode='loss')


def test_training_step_still_steps_the_optimizer(model):
    """train_network=True: mmengine's train_step (forward, parse_losses, update_params)."""
    from unittest import mock
    wrapper = mock.MagicMock()
    model.train()
    batch = dict(inputs=[torch.randint(0, 255, (3, 128, 128), dtype=torch.uint8)
                         for _ in range(4)], data_samples=_samples([0, 0, 1, 1], [1, 1, 2, 2]))
    log = model.train_step(batch, optim_wrapper=wrapper)
    assert {'loss', 'loss_region', 'loss_fashion', 'fallback'} <= set(log)
    wrapper.update_params.assert_called_once()
    model.zero_grad()


def test_frozen_train_step_passes_mmengines_train_loop_and_logger(tmp_path):
    """An mmengine IterBasedTrainLoop with a LoggerHook runs the frozen model's empty steps."""
    from mmengine.runner import Runner
    from torch.utils.data import Dataset

    class Batches(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return dict(inputs=torch.randint(0, 255, (3, 128, 128), dtype=torch.uint8),
                        data_samples=_samples([i], [1])[0])

    frozen = _frozen()
    frozen.init_weights()  # the Runner's call is then a no-op: only training could move weights
    before = {k: v.clone() for k, v in frozen.state_dict().items()}
    runner = Runner(
        model=frozen, work_dir=str(tmp_path), default_scope='mmpretrain',
        train_dataloader=dict(dataset=Batches(), batch_size=2, collate_fn=dict(
            type='pseudo_collate'), sampler=dict(type='DefaultSampler', shuffle=False)),
        train_cfg=dict(by_epoch=False, max_iters=3, val_interval=100),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1), checkpoint=None),
        log_level='WARNING')
    runner.train()
    assert runner.iter == 3
    state = frozen.state_dict()
    assert all(torch.equal(state[k], v) for k, v in before.items())


def test_landmark_checkpoint_loads_into_the_landmark_branch(model, tmp_path):
    from mmpose.registry import MODELS as POSE_MODELS
    cfg = Config.fromfile(str(REPO / 'configs' / 'landmark' /
                               'psnet-landmark_hrnet-narrow_20e_synthetic-128.py'))
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
    a, p, n = design_triplets(ids, torch.Generator().manual_seed(0),
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
    model.head.copy_loss_weight = 1.0  # what the *_copy-triplets configs set
    try:
        losses = model(torch.rand(6, 3, 128, 128), samples, mode='loss')
    finally:
        model.head.copy_loss_weight = 0.0
    assert losses['loss_copy'].item() > 0 and 0 <= losses['active_copy'].item() <= 1
    model.zero_grad()
    losses['loss_copy'].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.image_encoder.parameters())
    samples[2].set_metainfo(dict(modified_region_mask=np.zeros(4, bool)))
    model.head.copy_loss_weight = 1.0
    try:
        with pytest.raises(ValueError, match='modified_region_mask'):
            model(torch.rand(6, 3, 128, 128), samples, mode='loss')
    finally:
        model.head.copy_loss_weight = 0.0


def test_hard_negatives_pick_the_closest_other_design(model):
    from ps_net.models.losses import region_distance_matrix
    from ps_net.models.retrievers import PSNetRetriever
    ids = [0, 0, 1, 1, 2, 2]
    feats = torch.nn.functional.normalize(torch.rand(6, 5, 8), dim=-1)
    feats[4] = feats[0] + 0.01  # design 2's first image is nearly image 0
    dist = region_distance_matrix(feats)
    gen = torch.Generator().manual_seed(0)
    a, p, n = design_triplets(ids, gen, distances=dist)
    assert a == [0, 1, 2, 3, 4, 5] and p == [1, 0, 3, 2, 5, 4]
    for i, j in zip(a, n):
        others = [k for k in range(6) if ids[k] != ids[i]]
        assert ids[j] != ids[i] and dist[i, j] == dist[i, others].min()
    assert n[0] == 4 and n[4] == 0
    # copies are never mined as negatives when not eligible
    eligible = [True, True, True, True, False, True]
    _, _, n2 = design_triplets(ids, gen, eligible, dist)
    assert 4 not in n2
    with pytest.raises(ValueError, match=r'distances must have shape \(6, 6\)'):
        design_triplets(ids, gen, distances=dist[:5])


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
    cfg.model.update(landmark_checkpoint=None, prototype=torch.zeros(1, 5 * 64 + 6))
    cfg.model.head.hard_negatives = 'yes'
    with DefaultScope.overwrite_default_scope('mmpretrain'), \
            pytest.raises(TypeError, match="hard_negatives must be a bool, got 'yes'"):
        MODELS.build(cfg.model)
    model.train()
    model.head.hard_negatives = True
    try:
        losses = model(torch.rand(4, 3, 128, 128), _samples([0, 0, 1, 1], [1, 1, 2, 2]),
                       mode='loss')
    finally:
        model.head.hard_negatives = False
    assert torch.isfinite(losses['loss_region'])


def test_landmarks_are_decoded_by_the_landmark_codec(model, monkeypatch):
    """The region boxes see the landmarks of the landmark head's codec (MSRAHeatmap: argmax, a
    quarter heatmap pixel towards the higher neighbour, times input / heatmap size), the
    landmarks of mmpose's predict."""
    import numpy as np
    from mmpose.codecs import MSRAHeatmap
    codec = model.landmarks.head.decoder
    assert isinstance(codec, MSRAHeatmap) and tuple(codec.heatmap_size) == (32, 32)
    hm = torch.zeros(1, 294, 32, 32)
    hm[0, 0, 5, 10], hm[0, 0, 5, 11] = 1.0, 0.5  # right neighbour higher: x + 1/4
    hm[0, 1, 20, 3], hm[0, 1, 19, 3] = 0.8, 0.3  # upper neighbour higher: y - 1/4
    locs, scores = model.landmarks.decode(hm)
    assert locs.shape == (1, 294, 2) and scores.shape == (1, 294)
    assert locs[0, 0].tolist() == [41.0, 20.0]  # (10.25, 5) * 4
    assert locs[0, 1].tolist() == [12.0, 79.0]  # (3, 19.75) * 4
    assert scores[0, :2].tolist() == pytest.approx([1.0, 0.8])
    hm = torch.rand(2, 294, 32, 32)
    locs, scores = model.landmarks.decode(hm)
    for i in range(2):
        keypoints, kscores = codec.decode(hm[i].numpy())
        np.testing.assert_array_equal(locs[i], keypoints[0])
        np.testing.assert_array_equal(scores[i], kscores[0])
    with pytest.raises(ValueError, match='heatmap_size'):
        model.landmarks.decode(torch.rand(1, 294, 16, 16))
    seen = []
    decode = model.landmarks.decode
    monkeypatch.setattr(model.landmarks, 'decode', lambda h: seen.append(h) or decode(h))
    model.regions(hm, _samples([0, 1], [1, 1]))
    assert len(seen) == 1 and seen[0] is hm


def test_codec_and_retriever_input_sizes_must_agree():
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.update(landmark_checkpoint=None, prototype=torch.zeros(1, 5 * 64 + 6),
                     input_size=(224, 224))
    with DefaultScope.overwrite_default_scope('mmpretrain'), \
            pytest.raises(ValueError, match=r'decodes to input_size \(128, 128\)'):
        MODELS.build(cfg.model)


def test_head_config_is_completed_and_checked_by_the_retriever(model):
    assert (model.head.num_regions, model.head.in_channels) == (5, 128)
    assert 'head.embed.0.1.weight' in model.state_dict()
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.update(landmark_checkpoint=None, prototype=torch.zeros(1, 5 * 64 + 6))
    cfg.model.head.num_regions = 6
    with DefaultScope.overwrite_default_scope('mmpretrain'), \
            pytest.raises(ValueError, match='head.num_regions must be 5'):
        MODELS.build(cfg.model)


def test_region_embeddings_saved_on_the_retriever_load_into_the_head(model):
    """A state dict with ``embed.N`` keys (region embeddings on the retriever) loads strictly,
    into ``head.embed.N``."""
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.update(landmark_checkpoint=None, prototype=torch.zeros(1, 5 * 64 + 6))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        other = MODELS.build(cfg.model)
    state = {(k[len('head.'):] if k.startswith('head.embed.') else k): v + 1
             if v.is_floating_point() else v for k, v in model.state_dict().items()}
    assert 'embed.3.1.bias' in state and not any(k.startswith('head.') for k in state)
    other.load_state_dict(state, strict=True)
    torch.testing.assert_close(other.head.embed[3][1].bias, model.head.embed[3][1].bias + 1)
