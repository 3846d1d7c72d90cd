"""ONNX export of PS-Net's embedding model (tools/deployment/pytorch2onnx.py): onnxruntime gives
PyTorch's heatmaps, region boxes and region features on the same garments (max |difference|
<= 1e-4), for the narrow synthetic PS-Net (landmark regions) and the real-photo template model
(EfficientNet-Lite0, fixed regions) at random initialisation; the export is atomic and refuses
to clobber; the ONNX embedder refuses altered or foreign files; the export-time rewrites change
no value and are undone."""
import json

import numpy as np
import pytest
import torch

from tests.conftest import REPO_ROOT, load_tool
from tests.search_world import CONFIG

pytest.importorskip('onnxruntime', reason='onnxruntime is not installed '
                    '(requirements/deploy.txt)')
pytest.importorskip('onnx', reason='onnx is not installed (requirements/deploy.txt)')

DEPLOY_CFG = 'configs/deploy/region-embedding_onnxruntime_dynamic-batch.py'
#: the real-photo template models: a trained region head (fusion neck, 128-d embeddings) and the
#: shipped architecture (the stride-16 map pooled, no learned layer after the backbone)
TEMPLATE_CONFIGS = [str(REPO_ROOT / 'configs' / 'real' / name) for name in (
    'psnet-template_efficientnet-lite0_1e_photos-192.py',
    'psnet-template_efficientnet-lite0_imagenet-0e_photos-192.py')]
ATOL = 1e-4


def _build(config: str, seed: int):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config)
    cfg.model.landmark_checkpoint = None
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    if model.attention is not None:
        # the config starts the attention at zero (F' = F): give it weights, so that the
        # exported graph is checked with the heatmaps really modulating F
        torch.nn.init.normal_(model.attention.attention_conv.weight, std=0.05)
        torch.nn.init.normal_(model.attention.attention_conv.bias, std=0.5)
    model.region_weights.copy_(torch.rand(model.region_weights.shape))
    return model


def _export(root, config: str, tool) -> dict:
    """A random-initialised checkpoint of ``config`` and its export under ``root``."""
    ckpt = root / 'model.pth'
    torch.save(dict(state_dict=_build(config, 0).state_dict(), meta=dict(epoch=0)), ckpt)
    out = root / 'export' / 'psnet.onnx'
    assert tool.main([config, str(ckpt), str(REPO_ROOT / DEPLOY_CFG), '--out', str(out)]) == 0
    return dict(ckpt=ckpt, out=out, config=config, tool=tool)


@pytest.fixture(scope='module')
def garments(tmp_path_factory):
    """A small synthetic set (half of its garments sleeveless)."""
    import ps_net  # noqa: F401
    from ps_net.datasets.synthetic import generate_synthetic
    data_root = tmp_path_factory.mktemp('deploy_set') / 'set'
    generate_synthetic(str(data_root), seed=21, num_designs=12, img_size=64)
    entries = json.loads((data_root / 'annotations' / 'pf_test.json').read_text())['data_list']
    return dict(data_root=data_root, entries=entries)


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """The narrow PS-Net (landmark regions) and its export."""
    return _export(tmp_path_factory.mktemp('deploy'), CONFIG,
                   load_tool('tools/deployment/pytorch2onnx.py'))


@pytest.fixture(scope='module')
def repo_root_module():
    return REPO_ROOT


def _packed(embedder, garments):
    """Every test-split garment with its box, packed by ``embedder``; every other one with its
    PS-Net category (for the others the model picks it)."""
    out = []
    for i, e in enumerate(garments['entries']):
        img = embedder.load_image(str(garments['data_root'] / e['img_path']))
        out.append(embedder.pack(img, e.get('bbox'), e.get('category') if i % 2 else None))
    return out


def _compare_embeddings(torch_emb, onnx_emb, garments) -> dict:
    """The embedders' arrays on every garment, batched across the batch-size boundary."""
    from ps_net.apis import OnnxGarmentEmbedder
    assert isinstance(onnx_emb, OnnxGarmentEmbedder)
    assert onnx_emb.fingerprint == torch_emb.fingerprint
    assert onnx_emb.categories == torch_emb.categories
    np.testing.assert_array_equal(onnx_emb.region_weights,
                                  torch_emb.model.region_weights.numpy())
    ref = torch_emb.embed(_packed(torch_emb, garments), 3)
    got = onnx_emb.embed(_packed(onnx_emb, garments), 3)
    assert len(got['flat']) >= 6 and set(got) == set(ref)
    for key in ('boxes', 'valid', 'fallback', 'crops', 'garment_boxes'):
        np.testing.assert_array_equal(got[key], ref[key], err_msg=key)
    np.testing.assert_array_equal(got['region_boxes'], ref['region_boxes'])  # NaN rows too
    assert np.abs(got['flat'] - ref['flat']).max() <= ATOL
    r, d = torch_emb.model.head.num_regions, torch_emb.model.head.embed_dim
    np.testing.assert_array_equal(got['flat'][:, r * d:], ref['flat'][:, r * d:])  # valid, cat
    norms = np.linalg.norm(got['flat'][:, :r * d].reshape(-1, r, d), axis=-1)
    np.testing.assert_allclose(norms[got['valid']], 1, atol=1e-5)
    assert np.all(norms[~got['valid']] == 0)
    return got


def test_onnxruntime_equals_pytorch_on_heatmaps_boxes_and_region_features(exported, garments):
    from ps_net.apis import GarmentEmbedder
    torch_emb = GarmentEmbedder(CONFIG, str(exported['ckpt']))
    onnx_emb = GarmentEmbedder(CONFIG, str(exported['out']))
    got = _compare_embeddings(torch_emb, onnx_emb, garments)
    assert got['valid'].any() and not got['valid'].all()  # sleeveless garments among them

    # intermediate: the landmark heatmaps and F' of the first graph, per batch size
    model, packed = torch_emb.model, _packed(torch_emb, garments)
    for size in (1, 4):
        data = model.data_preprocessor(dict(inputs=[p['inputs'] for p in packed[:size]]),
                                       False)
        with torch.no_grad():
            heatmaps = model.landmarks(data['inputs'])
            attended = model.attention(model.feature_map(data['inputs']), heatmaps)
        res = onnx_emb.forward_crops(np.stack([p['inputs'].numpy() for p in packed[:size]]),
                                     [p['data_samples'] for p in packed[:size]])
        assert res['heatmaps'].shape == tuple(heatmaps.shape)
        assert np.abs(res['heatmaps'] - heatmaps.numpy()).max() <= ATOL
        assert np.abs(res['feature_map'] - attended.numpy()).max() <= ATOL
        assert not torch.allclose(attended, model.feature_map(data['inputs']))


@pytest.mark.parametrize('template_config', TEMPLATE_CONFIGS,
                         ids=['trained-head', 'stride16-pooled'])
def test_template_model_without_landmarks_exports_exactly(tmp_path, garments, template_config):
    """The real-photo model (EfficientNet-Lite0, template regions): graph 1 gives F only and the
    regions come from the per-category table of its own ``stripe_regions``."""
    from ps_net.apis import GarmentEmbedder
    from ps_net.deploy import read_embedding_metadata
    world = _export(tmp_path, template_config, load_tool('tools/deployment/pytorch2onnx.py'))
    meta = read_embedding_metadata(world['out'])
    assert meta['regions']['type'] == 'fixed' and meta['input_size'] == [192, 192]
    onnx_emb = GarmentEmbedder(template_config, str(world['out']))
    assert [o.name for o in onnx_emb.sessions[0].get_outputs()] == ['feature_map']
    got = _compare_embeddings(GarmentEmbedder(template_config, str(world['ckpt'])), onnx_emb,
                              garments)
    assert got['valid'].all() and got['fallback'].all()  # every region from the template


def test_export_records_the_model_and_refuses_to_overwrite(exported, repo_root_module):
    from ps_net.deploy import read_embedding_metadata
    meta = read_embedding_metadata(exported['out'])
    head = exported['out'].with_name('psnet.head.onnx')
    assert meta['partition_files'] == [str(exported['out']), str(head)]
    assert meta['input_size'] == [128, 128] and meta['num_regions'] == 5
    assert meta['regions']['type'] == 'landmarks'
    assert meta['regions']['codec']['type'] == 'MSRAHeatmap'
    assert [t['type'] for t in meta['test_pipeline']][-1] == 'PackInputs'
    assert meta['source']['checkpoint'] == str(exported['ckpt'])
    assert meta['deploy']['onnx_config']['opset_version'] == 17
    before = exported['out'].read_bytes(), head.read_bytes()
    code = exported['tool'].main([CONFIG, str(exported['ckpt']),
                                  str(repo_root_module / DEPLOY_CFG), '--out',
                                  str(exported['out']), '--no-verify'])
    assert code == 2
    assert (exported['out'].read_bytes(), head.read_bytes()) == before
    assert sorted(p.name for p in exported['out'].parent.iterdir()) == ['psnet.head.onnx',
                                                                         'psnet.onnx']


def test_onnx_embedder_refuses_altered_missing_and_foreign_files(exported, tmp_path):
    import shutil

    import onnx
    from ps_net.apis import OnnxGarmentEmbedder
    copy = tmp_path / 'psnet.onnx'
    shutil.copy(exported['out'], copy)
    with pytest.raises(ValueError, match='head graph .* is missing'):
        OnnxGarmentEmbedder(None, str(copy))
    head = tmp_path / 'psnet.head.onnx'
    proto = onnx.load(str(exported['out'].with_name('psnet.head.onnx')))
    proto.graph.initializer[0].raw_data = bytes(len(proto.graph.initializer[0].raw_data))
    onnx.save(proto, str(head))
    with pytest.raises(ValueError, match='sha256 differs'):
        OnnxGarmentEmbedder(None, str(copy))
    with pytest.raises(ValueError, match='is not a PS-Net embedding export'):
        OnnxGarmentEmbedder(None, str(head))
    other = tmp_path / 'other.py'
    other.write_text(f"_base_ = ['{CONFIG}']\n"
                     "test_dataloader = dict(dataset=dict(pipeline=[\n"
                     "    dict(type='LoadImageFromFile'),\n"
                     "    dict(type='PSNetGarmentCrop', input_size=(128, 128), padding=1.5),\n"
                     "    dict(type='PackInputs')]))\n")
    with pytest.raises(ValueError, match='test pipeline differs'):
        OnnxGarmentEmbedder(str(other), str(exported['out']))


def test_rewrites_change_no_value_and_are_undone():
    import torch.nn.functional as F
    from ps_net.deploy import export_rewrites
    from ps_net.models.regions import RegionPooling
    pool = RegionPooling(4, 1 / 8)
    gen = torch.Generator().manual_seed(0)
    feat = torch.randn(2, 8, 16, 16, generator=gen)
    xy = torch.rand(2, 5, 2, generator=gen) * 128
    wh = torch.rand(2, 5, 2, generator=gen) * 96
    boxes = torch.cat([xy - 16, xy + wh], -1)  # partly outside the map, as region boxes may be
    x = torch.randn(1, 3, 32, 32, generator=gen)
    before = pool(feat, boxes), F.adaptive_avg_pool2d(x, (16, 16))
    adaptive = F.adaptive_avg_pool2d
    with export_rewrites(pool):
        assert pool.roi_align.use_torchvision
        during = pool(feat, boxes), F.adaptive_avg_pool2d(x, torch.Size([16, 16]))
    assert not pool.roi_align.use_torchvision and F.adaptive_avg_pool2d is adaptive
    assert torch.equal(before[1], during[1])
    assert (before[0] - during[0]).abs().max().item() <= 1e-6


@pytest.mark.parametrize('change, message', [
    ("onnx_config = dict(type='onnx', opset_version=12)", 'opset_version must be an int >= 16'),
    ("codebase_config = dict(type='mmpretrain', task='Classification')", 'codebase_config'),
    ("partition_config = dict(partition_cfg=[dict(name='backbone')])", 'must list the 2 graphs'),
])
def test_deploy_config_is_checked(tmp_path, repo_root_module, change, message):
    from ps_net.deploy import load_deploy_config
    bad = tmp_path / 'deploy.py'
    bad.write_text(f"_base_ = ['{repo_root_module / DEPLOY_CFG}']\n{change}\n")
    if 'partition' in change:
        bad.write_text(bad.read_text().replace('dict(partition_cfg', 'dict(_delete_=True, '
                                               'partition_cfg'))
    with pytest.raises(ValueError, match=message):
        load_deploy_config(bad)
