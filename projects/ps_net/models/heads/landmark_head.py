"""PSNetLandmarkHead: the landmark branch of PS-Net (Lang et al., CVPR 2020, section 3.1).

"The feature map F is fed into a 1 x 1 convolution layer with 128 channels, followed by groups of
transposed convolution layers ... to generate heatmaps with the same size as the input image, one
for each landmark", trained with the MSE between predicted and Gaussian target heatmaps.

mmpose's ``HeatmapHead`` runs deconvs first and convs after, so it cannot put the 1x1 conv first.
This head subclasses it to *reuse* its machinery unchanged (deconv groups, final layer, the codec
decode, flip test in ``predict`` and the ``KeypointMSELoss`` + PCK accuracy in ``loss``) and only
adds the 1x1 reduction in front: ``forward`` = reduce -> ``HeatmapHead.forward``.

Heatmap sizes: three stride-2 deconvs turn the stride-8 map F (28 x 28 at 224) into 224 x 224
heatmaps (the paper); each deconv group doubles the resolution. Keypoint weights come from the
codec: 0 for absent points (v = 0, which includes every slot outside the garment's category in
the DeepFashion2 layout), 1 for visible and occluded ones.
"""
from typing import Sequence, Tuple, Union

from mmcv.cnn import ConvModule
from mmengine.registry import DefaultScope
from torch import Tensor

from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS


@MODELS.register_module()
class PSNetLandmarkHead(HeatmapHead):
    """1x1 conv to ``reduce_channels`` (the paper's 128), then ``HeatmapHead``'s deconvs.

    Args:
        in_channels: channels of F.
        out_channels: number of landmarks (294 for the DeepFashion2 layout, 8 for FLD).
        reduce_channels: width of the 1x1 reduction (128 in the paper).
        deconv_out_channels / deconv_kernel_sizes: the transposed-convolution groups (each
            doubles the resolution).
        **kwargs: the rest of :class:`mmpose.models.heads.HeatmapHead` (loss, decoder, ...).

    Example:
        >>> import torch
        >>> head = PSNetLandmarkHead(16, 5, reduce_channels=8, deconv_out_channels=(8, ),
        ...                          deconv_kernel_sizes=(4, ))
        >>> tuple(head((torch.rand(2, 16, 16, 16), )).shape)
        (2, 5, 32, 32)
    """

    def __init__(self, in_channels: int, out_channels: int, reduce_channels: int = 128,
                 deconv_out_channels: Sequence[int] = (128, 128, 128),
                 deconv_kernel_sizes: Sequence[int] = (4, 4, 4), **kwargs) -> None:
        if not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(f'in_channels must be an int >= 1 (channels of F), got '
                             f'{in_channels!r}')
        if reduce_channels < 1 or out_channels < 1:
            raise ValueError(f'reduce_channels and out_channels must be >= 1, got '
                             f'{reduce_channels!r} and {out_channels!r}')
        # children (loss, codec) are mmpose types: build them in mmpose's scope even when the
        # head sits inside an mmpretrain model (PSNetRetriever's landmark branch)
        with DefaultScope.overwrite_default_scope('mmpose'):
            super().__init__(in_channels=reduce_channels, out_channels=out_channels,
                             deconv_out_channels=deconv_out_channels,
                             deconv_kernel_sizes=deconv_kernel_sizes, **kwargs)
        self.feature_channels = in_channels
        self.reduce = ConvModule(in_channels, reduce_channels, 1, norm_cfg=dict(type='BN'),
                                 act_cfg=dict(type='ReLU'))

    def forward(self, feats: Union[Tensor, Tuple[Tensor, ...]]) -> Tensor:
        """Heatmaps ``(B, K, H, W)`` from the last map of ``feats`` (F)."""
        feats = (feats, ) if isinstance(feats, Tensor) else tuple(feats)
        return super().forward(feats[:-1] + (self.reduce(feats[-1]), ))
