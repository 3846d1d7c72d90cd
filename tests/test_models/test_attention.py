"""Attention blocks: PS-Net landmark attention, CBAM / SE, and the attention ResNet backbone."""
import pytest
import torch
from mmpretrain.models.backbones import ResNet
from mmpretrain.registry import MODELS

from ps_net.models.attention.cbam import (PSNetCBAM, PSNetChannelAttention, PSNetSE,
                                          PSNetSpatialAttention)
from ps_net.models.attention.landmark_attention import PSNetLandmarkAttention
from ps_net.models.backbones.attention_resnet import PSNetAttentionResNet


# --------------------------------------------------------------------- landmark attention


@pytest.mark.parametrize('scale', [1.0, 1e3, 1e6])
def test_landmark_attention_factor_lies_in_half_to_three_halves(scale):
    """``1/2 + A`` stays in [1/2, 3/2], also for extreme inputs that saturate the sigmoid."""
    torch.manual_seed(0)
    att = PSNetLandmarkAttention(in_channels=16, num_landmarks=5).eval()
    feats = torch.randn(3, 16, 7, 7) * scale
    heatmaps = torch.randn(3, 5, 28, 28) * scale
    out, a = att(feats, heatmaps, return_attention=True)
    factor = 0.5 + a
    assert factor.shape == feats.shape == out.shape
    assert torch.isfinite(factor).all()
    assert factor.min() >= 0.5 and factor.max() <= 1.5
    torch.testing.assert_close(out, feats * factor)
    torch.testing.assert_close(att.attention_map(feats, heatmaps), a)
    if scale == 1e6:  # saturated: both ends of the closed interval are reached
        assert factor.min() == 0.5 and factor.max() == 1.5
    else:
        assert factor.min() < 1 < factor.max()  # strengthens some, damps others


def test_landmark_attention_structure_and_resize():
    """M is a 1x1 conv K -> 32 on heatmaps bilinearly resized to F's size; A via 1x1 conv."""
    att = PSNetLandmarkAttention(in_channels=24, num_landmarks=8)
    assert att.landmark_conv.kernel_size == (1, 1)
    assert (att.landmark_conv.in_channels, att.landmark_conv.out_channels) == (8, 32)
    assert att.attention_conv.kernel_size == (1, 1)
    assert (att.attention_conv.in_channels, att.attention_conv.out_channels) == (24 + 32, 24)
    feats = torch.rand(2, 24, 28, 28)
    for size in [(224, 224), (56, 40), (28, 28), (14, 14)]:
        heatmaps = torch.rand(2, 8, *size)
        assert att(feats, heatmaps).shape == feats.shape
        m = att.landmark_information(heatmaps, feats.shape[-2:])
        assert m.shape == (2, 32, 28, 28)
        resized = torch.nn.functional.interpolate(heatmaps, size=(28, 28), mode='bilinear',
                                                  align_corners=False)
        torch.testing.assert_close(m, att.landmark_conv(resized))
    # the heatmaps matter: another landmark layout gives another attention
    h1, h2 = torch.zeros(2, 8, 64, 64), torch.zeros(2, 8, 64, 64)
    h1[:, :, 10, 10] = h2[:, :, 50, 50] = 1.0
    assert not torch.allclose(att(feats, h1), att(feats, h2))


def test_landmark_attention_kernel_size_option_keeps_shape():
    att = PSNetLandmarkAttention(in_channels=8, num_landmarks=3, kernel_size=3)
    assert att(torch.rand(1, 8, 9, 11), torch.rand(1, 3, 36, 44)).shape == (1, 8, 9, 11)


def test_landmark_attention_disabled_is_identity_without_parameters():
    att = PSNetLandmarkAttention(in_channels=16, num_landmarks=5, enabled=False)
    assert list(att.parameters()) == [] and att.state_dict() == {}
    feats = torch.randn(2, 16, 7, 7)
    out = att(feats, torch.rand(2, 5, 56, 56))
    assert out is feats
    assert att(feats) is feats  # heatmaps may be omitted
    out, a = att(feats, None, return_attention=True)
    assert torch.equal(out, feats) and torch.equal(feats * (0.5 + a), feats)


def test_landmark_attention_zero_init_starts_as_identity_and_detach():
    att = PSNetLandmarkAttention(in_channels=4, num_landmarks=2, zero_init=True,
                                 detach_heatmaps=True)
    feats = torch.randn(1, 4, 5, 5)
    heatmaps = torch.rand(1, 2, 20, 20, requires_grad=True)
    out = att(feats, heatmaps)
    torch.testing.assert_close(out, feats)
    out.sum().backward()
    assert heatmaps.grad is None


def test_landmark_attention_registered_and_bad_args_echoed():
    att = MODELS.build(dict(type='PSNetLandmarkAttention', in_channels=8, num_landmarks=4))
    assert isinstance(att, PSNetLandmarkAttention)
    with pytest.raises(ValueError, match='kernel_size must be odd.*2'):
        PSNetLandmarkAttention(8, 4, kernel_size=2)
    with pytest.raises(ValueError, match='num_landmarks must be an int >= 1, got 0'):
        PSNetLandmarkAttention(8, 0)
    with pytest.raises(ValueError, match=r'feats must be \(B, 8, h, w\), got \(1, 9, 4, 4\)'):
        att(torch.rand(1, 9, 4, 4), torch.rand(1, 4, 8, 8))
    with pytest.raises(ValueError, match=r'heatmaps must be \(1, 4, H, W\).*got \(1, 3, 8, 8\)'):
        att(torch.rand(1, 8, 4, 4), torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError, match='heatmaps are required'):
        att(torch.rand(1, 8, 4, 4))


# --------------------------------------------------------------------------- CBAM / SE


@pytest.mark.parametrize('cls', [PSNetCBAM, PSNetSE, PSNetChannelAttention])
def test_cbam_and_se_keep_the_shape(cls):
    block = cls(64)
    for shape in [(2, 64, 7, 7), (1, 64, 13, 9)]:
        assert block(torch.rand(*shape)).shape == shape
    assert MODELS.build(dict(type=cls.__name__, channels=32))(torch.rand(1, 32, 3, 3)).shape \
        == (1, 32, 3, 3)


def test_reduction_sixteen():
    ca, se = PSNetChannelAttention(64), PSNetSE(64)
    assert ca.fc1.out_channels == se.conv1.conv.out_channels == 4
    assert PSNetChannelAttention(8).fc1.out_channels == 1  # floor of 1 for narrow nets
    assert PSNetSE(8).conv1.conv.out_channels == 1  # not SELayer's multiple of 8


def test_se_is_mmpretrains_se_layer_with_the_papers_width():
    """s = sigmoid(W2 relu(W1 avgpool(U))), both 1x1 convs with biases; output s * U."""
    from mmpretrain.models.utils import SELayer
    torch.manual_seed(0)
    se = PSNetSE(32)
    assert isinstance(se, SELayer) and se.conv1.conv.bias is not None
    x = torch.randn(2, 32, 5, 4)
    z = x.mean((2, 3), keepdim=True)
    hidden = torch.relu(torch.nn.functional.conv2d(z, se.conv1.conv.weight, se.conv1.conv.bias))
    s = torch.sigmoid(torch.nn.functional.conv2d(hidden, se.conv2.conv.weight,
                                                 se.conv2.conv.bias))
    torch.testing.assert_close(se.attention_map(x), s)
    torch.testing.assert_close(se(x), x * s)
    torch.testing.assert_close(SELayer.forward(se, x), se(x))


def test_channel_attention_uses_avg_and_max():
    """Eq. (2) exactly; inputs with the same mean but different max get different maps."""
    torch.manual_seed(0)
    ca = PSNetChannelAttention(32)
    x = torch.rand(2, 32, 6, 6)
    avg, mx = x.mean((2, 3), keepdim=True), x.amax((2, 3), keepdim=True)
    torch.testing.assert_close(ca.attention_map(x), torch.sigmoid(ca.mlp(avg) + ca.mlp(mx)))
    torch.testing.assert_close(ca(x), x * ca.attention_map(x))
    # positive W0 so that the ReLU passes both descriptors (a random W0 on constant
    # descriptors may zero every hidden unit and hide the difference)
    torch.nn.init.uniform_(ca.fc1.weight, 0.1, 1.0)
    # max pooling matters: same average (0.5 per channel), different maxima
    flat = torch.full((1, 32, 4, 4), 0.5)
    spiky = torch.zeros(1, 32, 4, 4)
    spiky[..., 0, 0] = 8.0  # mean 8 / 16 = 0.5, max 8
    assert torch.equal(flat.mean((2, 3)), spiky.mean((2, 3)))
    assert not torch.allclose(ca.attention_map(flat), ca.attention_map(spiky))
    # average pooling matters too: same maximum, different averages
    low = torch.zeros(1, 32, 4, 4)
    low[..., 0, 0] = 1.0
    high = torch.ones(1, 32, 4, 4)
    assert not torch.allclose(ca.attention_map(low), ca.attention_map(high))
    # SE squeezes with the average only: it cannot tell flat from spiky
    se = PSNetSE(32)
    torch.testing.assert_close(se.attention_map(flat), se.attention_map(spiky))


def test_spatial_attention_kernel_seven_and_eq3():
    sa = PSNetSpatialAttention().eval()
    assert sa.conv.kernel_size == (7, 7) and sa.conv.padding == (3, 3)
    assert (sa.conv.in_channels, sa.conv.out_channels) == (2, 1)
    x = torch.randn(2, 16, 9, 8)
    pooled = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)
    ms = sa.attention_map(x)
    assert ms.shape == (2, 1, 9, 8)
    torch.testing.assert_close(ms, torch.sigmoid(sa.norm(sa.conv(pooled))))
    plain = PSNetSpatialAttention(with_norm=False)
    assert plain.conv.bias is not None and isinstance(plain.norm, torch.nn.Identity)
    with pytest.raises(ValueError, match='odd int >= 1, got 6'):
        PSNetSpatialAttention(kernel_size=6)


def test_cbam_is_channel_then_spatial():
    """Eq. (1): F' = Mc(F) * F, F'' = Ms(F') * F'."""
    torch.manual_seed(0)
    cbam = PSNetCBAM(32).eval()
    x = torch.randn(2, 32, 5, 5)
    f1 = cbam.channel_attention.attention_map(x) * x
    f2 = cbam.spatial_attention.attention_map(f1) * f1
    torch.testing.assert_close(cbam(x), f2)
    with pytest.raises(ValueError, match='built for 32 channels.*got input of shape'):
        cbam(torch.rand(1, 16, 5, 5))
    with pytest.raises(ValueError, match='reduction must be an int >= 1, got 0'):
        PSNetSE(32, reduction=0)


# ------------------------------------------------------------------ attention ResNet


@pytest.mark.parametrize('attention', ['cbam', 'se'])
def test_attention_resnet50_shapes_at_224(attention):
    torch.manual_seed(0)
    net = PSNetAttentionResNet(depth=50, attention=attention, out_indices=(2, 3))
    assert net.eval() is net
    assert net.stem_attention.channels == 64 and net.final_attention.channels == 2048
    with torch.no_grad():
        c4, c5 = net(torch.rand(1, 3, 224, 224))
    assert c4.shape == (1, 1024, 14, 14) and c5.shape == (1, 2048, 7, 7)


def test_narrow_attention_resnet_at_128():
    """stem_channels / base_channels of mmpretrain's ResNet make it narrow."""
    net = MODELS.build(dict(type='PSNetAttentionResNet', depth=50, stem_channels=16,
                            base_channels=16, out_indices=(0, 1, 2, 3)))
    net.eval()
    assert net.feat_dim == 512
    with torch.no_grad():
        outs = net(torch.rand(2, 3, 128, 128))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 32, 32), (2, 128, 16, 16),
                                            (2, 256, 8, 8), (2, 512, 4, 4)]
    assert isinstance(net.stem_attention, PSNetCBAM) and net.stem_attention.channels == 16


def test_plain_resnet50_state_dict_loads_with_only_attention_keys_missing():
    sd = ResNet(depth=50).state_dict()
    for attention in ['cbam', 'se']:
        net = PSNetAttentionResNet(depth=50, attention=attention)
        result = net.load_state_dict(sd, strict=False)
        assert result.unexpected_keys == []
        assert result.missing_keys
        top = sorted({k.split('.')[0] for k in result.missing_keys})
        assert top == ['final_attention', 'stem_attention']  # nothing else is missing
        own = {k for k in net.state_dict() if 'attention' not in k}
        assert own == set(sd)  # every ResNet tensor keeps its name and gets loaded
        torch.testing.assert_close(net.layer4[2].conv3.weight, sd['layer4.2.conv3.weight'])


def test_no_attention_equals_plain_resnet():
    kw = dict(depth=18, stem_channels=8, base_channels=8, out_indices=(1, 3))
    plain, net = ResNet(**kw), PSNetAttentionResNet(attention=None, **kw)
    plain.eval()
    net.eval()
    assert net.stem_attention is None and net.final_attention is None
    assert net.load_state_dict(plain.state_dict(), strict=True)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(plain(x), net(x)):
            torch.testing.assert_close(a, b)


def test_attention_positions_and_bad_args():
    kw = dict(depth=18, stem_channels=8, base_channels=8)
    only_final = PSNetAttentionResNet(attention='se', attention_positions=('final', ), **kw)
    assert only_final.stem_attention is None and isinstance(only_final.final_attention, PSNetSE)
    cfg = PSNetAttentionResNet(attention='cbam', attention_cfg=dict(reduction=4), **kw)
    assert cfg.final_attention.channel_attention.fc1.out_channels == 64 // 4
    with pytest.raises(ValueError, match="got 'eca'"):
        PSNetAttentionResNet(attention='eca', **kw)
    with pytest.raises(ValueError, match=r"got \('stem', 'middle'\)"):
        PSNetAttentionResNet(attention_positions=('stem', 'middle'), **kw)
    with pytest.raises(ValueError, match="the string 'stem'"):
        PSNetAttentionResNet(attention_positions='stem', **kw)


def test_final_attention_gets_last_stage_layer_depth():
    net = PSNetAttentionResNet(depth=50, stem_channels=8, base_channels=8)
    last = net.get_layer_depth('backbone.layer4.0.conv1.weight', 'backbone.')
    assert net.get_layer_depth('backbone.final_attention.channel_attention.fc1.weight',
                               'backbone.') == last
    assert net.get_layer_depth('backbone.stem_attention.spatial_attention.conv.weight',
                               'backbone.')[0] == 0
