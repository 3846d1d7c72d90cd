"""ResNet with CBAM / SE blocks after the stem and after the last stage (Xuan et al., 2022).

The clothing-retrieval method of Xuan, Liao and Su (CSA 2022, section 3) adds CBAM to ResNet50
"after the first convolution layer and after the last convolution layer": not inside the
residual blocks, because that would change the network and the ImageNet weights could no
longer be used. ``PSNetAttentionResNet`` does the same on top of mmpretrain's ``ResNet``::

    conv1 -> norm1 -> relu  [-> stem_attention]  -> maxpool
      -> layer1 -> ... -> layer{num_stages}  [-> final_attention]

(the stem attention sits right after the first convolution's activation, before the max
pool, at stride 2). All ResNet parameters keep their names, so a plain ResNet state dict
(``conv1.*``, ``bn1.*``, ``layer*.*``) loads unchanged and, with ``strict=False``, only the
``stem_attention.*`` / ``final_attention.*`` keys are reported missing. ``attention=None``
is the plain ResNet (the "no attention" baseline).

Narrow networks (for CPU tests and the synthetic demo): mmpretrain's ``ResNet`` already takes
``stem_channels`` (output channels of the stem, 64 for ResNet50) and ``base_channels``
(mid channels of the first stage, 64; stage ``i`` has ``base_channels * 2**i`` mid channels
and ``base_channels * 2**i * expansion`` outputs). E.g. ``depth=50, stem_channels=16,
base_channels=16`` has a quarter of the width (~1/16 of the FLOPs) and outputs
``16 * 8 * 4 = 512`` channels instead of 2048. Such a network of course cannot load the
ImageNet weights.
"""
from typing import Optional, Sequence

import torch.nn as nn
from torch import Tensor

from mmpretrain.models.backbones import ResNet
from mmpretrain.registry import MODELS

from ..attention.cbam import ATTENTION_BLOCKS, check_attention_args

_POSITIONS = ('stem', 'final')


@MODELS.register_module()
class PSNetAttentionResNet(ResNet):
    """mmpretrain ``ResNet`` with an attention block after the stem and after the last stage.

    Args:
        depth: ResNet depth, one of 18, 34, 50, 101, 152.
        attention: ``'cbam'`` (``PSNetCBAM``, eq. (1)-(3) of CBAM), ``'se'`` (``PSNetSE``) or
            ``None`` (plain ResNet, no extra modules).
        attention_positions: where to insert the blocks, a subset of ``('stem', 'final')``:
            ``'stem'`` after the first convolution (conv1-norm1-relu, or the deep stem),
            ``'final'`` after the last stage ``layer{num_stages}``.
        attention_cfg: extra keyword arguments of the attention block, e.g.
            ``dict(reduction=16, kernel_size=7)`` for CBAM.
        **kwargs: the arguments of mmpretrain's ``ResNet`` (``stem_channels``,
            ``base_channels``, ``out_indices``, ``frozen_stages``, ``init_cfg``...).

    The attention blocks are new, randomly initialised modules and are never frozen by
    ``frozen_stages``. When the last stage is in ``out_indices`` its output is taken after
    ``final_attention``; earlier stages' outputs are unaffected by it.

    Example:
        >>> import torch
        >>> net = PSNetAttentionResNet(depth=18, stem_channels=8, base_channels=8).eval()
        >>> tuple(net(torch.rand(1, 3, 64, 64))[0].shape)
        (1, 64, 2, 2)
        >>> sorted(n for n, _ in net.named_children() if n.endswith('attention'))
        ['final_attention', 'stem_attention']
    """

    def __init__(self, depth: int, attention: Optional[str] = 'cbam',
                 attention_positions: Sequence[str] = ('stem', 'final'),
                 attention_cfg: Optional[dict] = None, **kwargs) -> None:
        positions = check_attention_args(attention, attention_positions, _POSITIONS,
                                         attention_cfg)
        super().__init__(depth=depth, **kwargs)
        self.attention = attention
        self.attention_positions = positions if attention is not None else ()
        self.stem_attention: Optional[nn.Module] = None
        self.final_attention: Optional[nn.Module] = None
        if attention is None:
            return
        block, cfg = ATTENTION_BLOCKS[attention], dict(attention_cfg or {})
        if 'stem' in positions:
            self.stem_attention = block(self.stem_channels, **cfg)
        if 'final' in positions:
            self.final_attention = block(self.feat_dim, **cfg)

    def forward(self, x: Tensor) -> tuple:
        """mmpretrain ``ResNet.forward`` with the two attention blocks inserted."""
        if self.deep_stem:
            x = self.stem(x)
        else:
            x = self.relu(self.norm1(self.conv1(x)))
        if self.stem_attention is not None:
            x = self.stem_attention(x)
        x = self.maxpool(x)
        outs = []
        last = len(self.res_layers) - 1
        for i, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if i == last and self.final_attention is not None:
                x = self.final_attention(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> 'PSNetAttentionResNet':
        """``ResNet.train`` (frozen stages, ``norm_eval``), returning ``self`` like
        ``nn.Module.train`` does (mmpretrain's returns ``None``), so ``net.eval()`` chains."""
        super().train(mode)
        return self

    def get_layer_depth(self, param_name: str, prefix: str = ''):
        """Layer-wise learning-rate decay ids: the stem attention counts as the stem (0), the
        final attention as the last stage."""
        if param_name.startswith(f'{prefix}final_attention'):
            param_name = f'backbone.layer{self.num_stages}.0.' + param_name[len(prefix):]
            prefix = 'backbone.'
        return super().get_layer_depth(param_name, prefix)
