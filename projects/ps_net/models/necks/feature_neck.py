"""PSNetFeatureNeck: HRNet's four branches -> the one feature map F of PS-Net.

PS-Net (Lang et al., CVPR 2020, section 3.1) takes "the feature map F (28 x 28 x 1024)" of HRNet
at a 224 x 224 input, i.e. at stride 8, and both branches (landmark and retrieval) read it. HRNet
(mmpose's ``HRNet`` with ``multiscale_output=True``) returns four maps at strides 4, 8, 16 and
32; this neck resizes all of them to the stride of ``out_index`` (bilinear; the stride-4 map is
average-pooled down), concatenates them and fuses them with one 1x1 conv + BN + ReLU into
``out_channels`` (1024 in the real configs), as HRNet's own "V2" representation head does,
but at stride 8 instead of 4.
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmpose.registry import MODELS


@MODELS.register_module()
class PSNetFeatureNeck(BaseModule):
    """Fuse HRNet branches into one map at the stride of branch ``out_index``.

    Args:
        in_channels: channels of each HRNet branch, e.g. ``(32, 64, 128, 256)`` for W32.
        out_channels: channels of F (the paper's 1024).
        out_index: which branch's resolution F takes (1: stride 8, 28 x 28 at 224 input).
        init_cfg: mmengine init config.

    Example:
        >>> import torch
        >>> neck = PSNetFeatureNeck((8, 16, 32, 64), 24)
        >>> feats = [torch.rand(1, c, 32 // 2**i, 32 // 2**i)
        ...          for i, c in enumerate((8, 16, 32, 64))]
        >>> tuple(neck(feats)[0].shape)
        (1, 24, 16, 16)
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int, out_index: int = 1,
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        in_channels = tuple(in_channels)
        if not in_channels or not 0 <= out_index < len(in_channels):
            raise ValueError(f'out_index must index in_channels {in_channels!r}, got '
                             f'{out_index!r}')
        if out_channels < 1:
            raise ValueError(f'out_channels must be >= 1, got {out_channels!r}')
        self.in_channels = in_channels
        self.out_index = out_index
        self.fuse = ConvModule(sum(in_channels), out_channels, 1, norm_cfg=dict(type='BN'),
                               act_cfg=dict(type='ReLU'))

    def forward(self, feats: Sequence[Tensor]) -> Tuple[Tensor]:
        if len(feats) != len(self.in_channels):
            raise ValueError(f'expected {len(self.in_channels)} branch maps (HRNet with '
                             f'multiscale_output=True), got {len(feats)}')
        size = feats[self.out_index].shape[-2:]
        resized = []
        for x in feats:
            if x.shape[-2:] == size:
                resized.append(x)
            elif x.shape[-1] > size[-1]:
                resized.append(F.adaptive_avg_pool2d(x, size))
            else:
                resized.append(F.interpolate(x, size=size, mode='bilinear', align_corners=False))
        return (self.fuse(torch.cat(resized, 1)), )
