"""PSNetTemplateRetriever: template regions of the garment crop, PS-Net's head and losses."""
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from ps_net.models import PSNetTemplateRetriever
from ps_net.models.regions import template_regions
from ps_net.structures import PSNET_CATEGORIES, REGIONS


def _model(**kw):
    backbone = dict(_scope_='mmpretrain', type='PSNetEfficientNetLite', out_indices=(3, 5),
                    pretrained=False)
    neck = dict(_scope_='mmpose', type='PSNetFeatureNeck', in_channels=(112, 1280),
                out_channels=16, out_index=0)
    head = dict(type='PSNetRegionHead', embed_dim=8, roi_size=2, feature_stride=16,
                copy_loss_weight=1.0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return PSNetTemplateRetriever(backbone, neck, prototype=torch.zeros(1, 4), head=head,
                                      feat_channels=16, input_size=(64, 64), **kw)


def test_template_boxes_per_category_and_flags():
    model = _model()
    samples = [DataSample(metainfo=dict(category=c)) for c in ('dress', 'outwear')]
    info = model.stripe_regions(2, samples)
    garment = [6.4, 6.4, 57.6, 57.6]  # the middle 80 % of the 64 px crop
    assert np.allclose(info['boxes'][0].numpy(), template_regions('dress', garment), atol=1e-4)
    assert np.allclose(info['boxes'][1].numpy(), template_regions('top', garment), atol=1e-4)
    assert info['category'].tolist() == [PSNET_CATEGORIES.index('dress'),
                                         PSNET_CATEGORIES.index('outwear')]
    assert info['valid'].all() and info['fallback'].all()
    collar = REGIONS.index('collar')
    assert info['boxes'][1, collar].tolist() == pytest.approx([21.76, 6.4, 42.24, 16.64])


def test_flat_vector_and_copy_loss():
    torch.manual_seed(0)
    model = _model()
    x = torch.randn(4, 3, 64, 64)
    mask = [False] * 5
    changed = list(mask)
    changed[REGIONS.index('collar')] = True
    samples = [DataSample(metainfo=dict(design_id=d, relation=r, category='dress',
                                        modified_region_mask=np.array(m)))
               for d, r, m in [(0, 'original', mask), (0, 'plagiarized', changed),
                               (1, 'original', mask), (1, 'identical', mask)]]
    vec = model.extract_feat(x, samples)
    assert vec.shape == (4, 5 * 8 + 5 + 1)
    losses = model.loss(x, samples)
    assert {'loss_region', 'loss_fashion', 'loss_copy'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    assert model.head.copy_loss_weight == 1.0


def test_bad_garment_box():
    with pytest.raises(ValueError, match='garment_box must be fractions'):
        _model(garment_box=(0.5, 0.1, 0.4, 0.9))


def test_backbone_as_it_is_pooled_over_the_regions():
    """neck=None, embed_dim=None: region features are the backbone map's RoIAligned means."""
    from mmcv.ops import roi_align
    backbone = dict(_scope_='mmpretrain', type='PSNetEfficientNetLite', out_indices=(5, ),
                    pretrained=False)
    head = dict(type='PSNetRegionHead', embed_dim=None, roi_size=2, feature_stride=32)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = PSNetTemplateRetriever(backbone, None, prototype=torch.zeros(1, 4), head=head,
                                       feat_channels=1280, input_size=(128, 128)).eval()
    assert model.head.embed is None and model.head.embed_dim == 1280
    assert not [n for n, _ in model.head.named_parameters()]
    x = torch.randn(2, 3, 128, 128)
    samples = [DataSample(metainfo=dict(category='short_sleeved_top'))] * 2
    with torch.no_grad():
        info = model.region_features(x, samples)
        fmap = model.image_encoder(x)[-1]
    rois = torch.cat([torch.tensor([[0.0]]).repeat(5, 1), info['boxes'][0]], 1)
    ref = roi_align(fmap[:1], rois, (2, 2), 1 / 32, 2, 'avg', True).mean((-2, -1))
    assert torch.allclose(info['feats'][0], torch.nn.functional.normalize(ref, dim=-1),
                          atol=1e-5)
