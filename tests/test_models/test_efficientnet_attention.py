"""PSNetEfficientNetLite with the CBAM paper's blocks (row (c) of the real-photo table)."""
import pytest
import torch

from ps_net.models.attention import PSNetCBAM, PSNetSE
from ps_net.models.backbones import PSNetEfficientNetLite


def _pair(**kwargs):
    """A plain network and one with attention sharing its EfficientNet weights."""
    plain = PSNetEfficientNetLite(pretrained=False, **{k: v for k, v in kwargs.items()
                                                       if not k.startswith('attention')})
    att = PSNetEfficientNetLite(pretrained=False, **kwargs)
    att.net.load_state_dict(plain.net.state_dict())
    return plain.eval(), att.eval()


@pytest.mark.parametrize('attention,cls', [('cbam', PSNetCBAM), ('se', PSNetSE)])
def test_blocks_sit_at_the_positions_with_their_channels(attention, cls):
    net = PSNetEfficientNetLite(pretrained=False, out_indices=(3, 5), attention=attention,
                                attention_positions=('stem', 'level2', 'final'))
    assert sorted(net.attention_blocks) == ['final', 'level2', 'stem']
    assert all(isinstance(b, cls) for b in net.attention_blocks.values())
    chans = {p: b.channels if hasattr(b, 'channels') else None
             for p, b in net.attention_blocks.items()}
    # stem: 32 channels at stride 2; level 2: 40 at stride 8; final: conv_head's 1280
    assert chans == {'stem': 32, 'level2': 40, 'final': 1280}
    outs = net.eval()(torch.zeros(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 112, 4, 4), (1, 1280, 2, 2)]
    # 'final' follows the deepest returned map: level 3 when conv_head is not returned
    shallow = PSNetEfficientNetLite(pretrained=False, out_indices=(3, ), attention=attention,
                                    attention_positions=('final', ))
    assert shallow.attention_blocks['final'].channels == 112


def test_a_final_block_changes_only_the_last_map():
    plain, att = _pair(out_indices=(3, 5), attention='cbam', attention_positions=('final', ))
    x = torch.randn(2, 3, 64, 64)
    (p3, p5), (a3, a5) = plain(x), att(x)
    assert torch.equal(p3, a3)
    assert not torch.allclose(p5, a5)
    # the block is eq. (1) of CBAM applied to conv_head's map
    assert torch.allclose(a5, att.attention_blocks['final'](p5), atol=1e-6)


def test_a_stem_block_changes_every_map():
    plain, att = _pair(out_indices=(0, ), attention='se', attention_positions=('stem', ))
    x = torch.randn(1, 3, 64, 64)
    assert not torch.allclose(plain(x)[0], att(x)[0])


def test_no_attention_adds_no_module_and_imagenet_keys_are_unchanged():
    net = PSNetEfficientNetLite(pretrained=False)
    assert len(net.attention_blocks) == 0
    att = PSNetEfficientNetLite(pretrained=False, attention='cbam')
    new = {k for k in att.state_dict() if not k.startswith('net.')}
    assert new and all(k.startswith('attention_blocks.') for k in new)
    assert {k for k in att.state_dict() if k.startswith('net.')} == set(net.state_dict())


def test_blocks_behind_frozen_stages_train_without_gradients_into_them():
    net = PSNetEfficientNetLite(pretrained=False, frozen_stages=3, attention='cbam',
                                attention_positions=('level2', 'final')).train()
    net(torch.randn(2, 3, 64, 64))[0].mean().backward()
    assert all(p.grad is not None for p in net.attention_blocks.parameters())
    assert all(p.grad is None for p in net.net.blocks[2].parameters())
    assert net.attention_blocks['level2'].training  # new blocks are never frozen


def test_bad_attention_arguments():
    with pytest.raises(ValueError, match='attention must be one of'):
        PSNetEfficientNetLite(pretrained=False, attention='eca')
    with pytest.raises(ValueError, match='distinct names from'):
        PSNetEfficientNetLite(pretrained=False, attention='se', attention_positions=('level5', ))
    with pytest.raises(ValueError, match='got the string'):
        PSNetEfficientNetLite(pretrained=False, attention='se', attention_positions='stem')
