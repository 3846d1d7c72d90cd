"""Grad-CAM with a similarity target (grad-cam 1.5.7) for the triplet retrievers, and its CLI."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

pytest.importorskip('pytorch_grad_cam', reason='grad-cam==1.5.7 (requirements/optional.txt)')

import ps_net.models.retrievers.triplet_retriever  # noqa: E402,F401  PSNetTripletRetriever
from ps_net.visualization.similarity_cam import (  # noqa: E402
    EmbeddingModel, SimilarityTarget, default_target_layer, embed, load_image, make_panel,
    overlay_cam, resolve_layer, similarity_cam)
from tests.conftest import load_tool  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'cbam' / 'triplet_cbam-resnet50-narrow_20e_synthetic-128.py'


@pytest.fixture(scope='module')
def model():
    """The narrow CBAM ResNet50 of the synthetic config, random weights, eval mode."""
    torch.manual_seed(0)
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.prototype = torch.zeros(1, 512)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg.model).eval()


def _images(n, h=128, w=128, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(1, 3, h, w, generator=g) for _ in range(n)]


def test_cam_has_the_image_size_and_values_in_unit_range(model):
    query, gallery = _images(2)
    cam, score = similarity_cam(model, query, gallery)
    assert cam.shape == (128, 128) and cam.dtype == np.float32
    assert np.isfinite(cam).all() and cam.min() >= 0 and cam.max() <= 1
    assert cam.max() > cam.min()  # not a blank map
    q, g = embed(model, torch.cat([query, gallery]))
    assert score == pytest.approx(float(q @ g), abs=1e-5)  # cosine of unit embeddings
    wide, _ = similarity_cam(model, torch.randn(3, 96, 160), gallery[0], metric='neg_euclidean')
    assert wide.shape == (96, 160) and wide.min() >= 0 and wide.max() <= 1


def test_cam_changes_with_the_gallery_image(model):
    query, gallery_a, gallery_b = _images(3, seed=1)
    cam_a, score_a = similarity_cam(model, query, gallery_a)
    cam_b, score_b = similarity_cam(model, query, gallery_b)
    assert score_a != score_b
    assert np.abs(cam_a - cam_b).max() > 1e-2
    again, _ = similarity_cam(model, query, gallery_a)  # deterministic
    np.testing.assert_allclose(again, cam_a, atol=1e-6)
    # a gallery embedding instead of an image gives the same map
    by_vec, _ = similarity_cam(model, query, embed(model, gallery_a)[0])
    np.testing.assert_allclose(by_vec, cam_a, atol=1e-5)


def test_similarity_target_values_and_checks():
    g = torch.tensor([3., 4.])
    assert SimilarityTarget(g, 'neg_euclidean')(torch.zeros(2)).item() == pytest.approx(-5)
    assert SimilarityTarget(g[None])(torch.tensor([6., 8.])).item() == pytest.approx(1)
    q = torch.tensor([1., 0.], requires_grad=True)
    SimilarityTarget(g)(q).backward()
    assert q.grad is not None and torch.isfinite(q.grad).all()
    with pytest.raises(ValueError, match="got 'dot'"):
        SimilarityTarget(g, 'dot')
    with pytest.raises(ValueError, match=r'\(2, 2\)'):
        SimilarityTarget(torch.zeros(2, 2))
    with pytest.raises(ValueError, match='differ in shape'):
        SimilarityTarget(g)(torch.zeros(3))


def test_target_layers(model):
    assert default_target_layer(model) == 'image_encoder.backbone.layer4'
    layer4 = model.image_encoder.backbone.layer4
    assert resolve_layer(model, 'image_encoder.backbone.layer4') is layer4
    assert resolve_layer(model, 'backbone.layer4') is layer4  # short name
    assert resolve_layer(model, 'backbone.final_attention') is \
        model.image_encoder.backbone.final_attention
    with pytest.raises(ValueError, match="no module 'backbone.layer9'"):
        resolve_layer(model, 'backbone.layer9')
    with pytest.raises(ValueError, match='extract_feat'):
        EmbeddingModel(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r'got \(2, 3, 8, 8\)'):
        similarity_cam(model, torch.zeros(2, 3, 8, 8), torch.zeros(4))
    with pytest.raises(ValueError, match="got 'l1'"):
        similarity_cam(model, torch.zeros(3, 8, 8), torch.zeros(4), metric='l1')


def test_overlay_and_panel():
    img = np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    cam = np.linspace(0, 1, 20 * 30, dtype=np.float32).reshape(20, 30)
    out = overlay_cam(img, cam)  # the map is resized to the image
    assert out.shape == (40, 60, 3) and out.dtype == np.uint8
    assert not np.array_equal(out, img)
    panel = make_panel(img, cam, img, cam, score=0.5)
    assert panel.dtype == np.uint8 and panel.shape == (60, 4 * 60 + 3 * 4, 3)
    with pytest.raises(ValueError, match=r'image_weight .* got 2'):
        overlay_cam(img, cam, image_weight=2)


def _write_image(path, seed):
    rng = np.random.default_rng(seed)
    img = np.full((100, 80, 3), 230, np.uint8)
    cv2.rectangle(img, (20, 15), (60, 85), tuple(int(v) for v in rng.integers(0, 200, 3)), -1)
    cv2.imwrite(str(path), img)
    return path


def test_load_image_runs_the_config_pipeline(model, tmp_path):
    cfg = Config.fromfile(str(CONFIG))
    path = _write_image(tmp_path / 'a.png', 0)
    inputs, shown = load_image(str(path), cfg.test_dataloader.dataset.pipeline,
                               model.data_preprocessor)
    assert inputs.shape == (1, 3, 128, 128) and inputs.dtype == torch.float32
    assert shown.shape == (128, 128, 3) and shown.dtype == np.uint8


def test_cli_writes_the_picture(model, tmp_path, capsys):
    ckpt = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    query = _write_image(tmp_path / 'q.png', 1)
    gallery = _write_image(tmp_path / 'g.png', 2)
    out = tmp_path / 'cam' / 'cam.png'
    tool = load_tool('tools/visualization/similarity_cam.py')
    argv = [str(CONFIG), str(ckpt), '--query', str(query), '--gallery', str(gallery),
            '--out', str(out), '--target-layer', 'backbone.final_attention']
    assert tool.main(argv) == 0
    picture = cv2.imread(str(out))
    assert picture is not None and picture.shape[0] == 128 + 20
    assert 'cosine similarity' in capsys.readouterr().out
    assert tool.main(argv) == 2  # no overwrite without --force
    assert 'exists' in capsys.readouterr().err
    bad = argv[:3] + [str(tmp_path / 'missing.png')] + argv[4:] + ['--force']
    assert tool.main(bad) == 2
    assert 'does not exist' in capsys.readouterr().err
