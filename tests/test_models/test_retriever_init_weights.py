"""The retrievers' ``init_weights`` reaches the backbone's ImageNet weights and ``init_cfg``.

Regression: the retrieval branch was a ``torch.nn.Sequential``, which mmengine's
``BaseModule.init_weights`` skips, so a pretrained backbone or a ``Pretrained`` ``init_cfg``
inside a PS-Net / template retriever was silently left at its random initialisation.
"""
import torch
from mmpretrain.registry import MODELS

import ps_net  # noqa: F401
from ps_net.models.backbones import PSNetEfficientNetLite


def _template_retriever(backbone: dict):
    return MODELS.build(dict(
        type='PSNetTemplateRetriever', backbone=dict(type='PSNetEfficientNetLite', _scope_='mmpretrain', **backbone),
        neck=None, feat_channels=1280, input_size=(64, 64), prototype=torch.zeros(1, 1),
        head=dict(type='PSNetRegionHead', embed_dim=None, roi_size=2, feature_stride=32)))


def _imagenet_state():
    net = PSNetEfficientNetLite(out_indices=(5, ))
    net.init_weights()
    return net.state_dict()


def test_pretrained_backbone_is_loaded_inside_the_retriever():
    model = _template_retriever(dict(out_indices=(5, ), pretrained=True))
    before = model.image_encoder[0].net.conv_head.weight.clone()
    model.init_weights()
    state, imagenet = model.image_encoder[0].state_dict(), _imagenet_state()
    assert not torch.equal(before, imagenet['net.conv_head.weight'])
    assert set(state) == set(imagenet)
    for key in imagenet:
        assert torch.equal(state[key], imagenet[key]), key


def test_backbone_init_cfg_checkpoint_is_loaded(tmp_path):
    imagenet = _imagenet_state()
    shifted = {f'image_encoder.backbone.{k}': v + 1 if v.is_floating_point() else v
               for k, v in imagenet.items()}
    ckpt = tmp_path / 'finetune.pth'
    torch.save(dict(state_dict=shifted), ckpt)
    model = _template_retriever(dict(
        out_indices=(5, ), pretrained=False,
        init_cfg=dict(type='Pretrained', checkpoint=str(ckpt), prefix='image_encoder.backbone.')))
    model.init_weights()
    got = model.image_encoder[0].state_dict()
    assert torch.equal(got['net.conv_stem.weight'], imagenet['net.conv_stem.weight'] + 1)
    assert torch.equal(got['net.bn2.running_var'], imagenet['net.bn2.running_var'] + 1)
