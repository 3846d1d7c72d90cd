"""Region pooling: RoIAlign of each region box on the attended feature map F'.

PS-Net pools "the features of the five regions from F' with RoI pooling"; this uses mmcv's
``RoIAlign`` (``aligned=True``, bilinear, no quantisation) rather than a hand-written pooling.
Boxes are in input pixels; ``spatial_scale`` = feature size / input size (1/8 for F).
"""
import math
from typing import Tuple

import torch
from mmcv.ops import RoIAlign
from torch import Tensor, nn


class RegionPooling(nn.Module):
    """Pool ``R`` boxes per image into ``(B, R, C, s, s)`` features.

    Args:
        output_size: side ``s`` of each pooled region.
        spatial_scale: feature-map size / input size.
        sampling_ratio: RoIAlign samples per bin (0: adaptive).

    Example:
        >>> pool = RegionPooling(2, 1.0)
        >>> feat = torch.arange(16.).view(1, 1, 4, 4)
        >>> pool(feat, torch.tensor([[[0., 0., 2., 2.], [2., 2., 4., 4.]]])).shape
        torch.Size([1, 2, 1, 2, 2])
    """

    def __init__(self, output_size: int, spatial_scale: float, sampling_ratio: int = 2) -> None:
        super().__init__()
        if output_size < 1 or not spatial_scale > 0:
            raise ValueError(f'output_size must be >= 1 and spatial_scale > 0, got '
                             f'{output_size!r} and {spatial_scale!r}')
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.roi_align = RoIAlign((output_size, output_size), spatial_scale, sampling_ratio,
                                  aligned=True)

    def forward(self, feat: Tensor, boxes: Tensor) -> Tensor:
        """``feat`` (B, C, h, w), ``boxes`` (B, R, 4) ``x1, y1, x2, y2`` in input pixels."""
        b, r = boxes.shape[:2]
        if boxes.shape[-1] != 4 or b != feat.shape[0]:
            raise ValueError(f'boxes must be (B={feat.shape[0]}, R, 4), got {tuple(boxes.shape)}')
        index = torch.arange(b, dtype=feat.dtype, device=feat.device).repeat_interleave(r)
        rois = torch.cat([index[:, None], boxes.reshape(-1, 4).to(feat)], 1)
        pooled = self.roi_align(feat, rois)
        return pooled.view(b, r, *pooled.shape[1:])

    def receptive_box(self, box: Tensor) -> Tuple[int, int, int, int]:
        """Feature cells a box reads (its box on the feature map dilated by one cell)."""
        s = self.spatial_scale
        x1, y1, x2, y2 = (float(v) * s for v in box)
        return (math.floor(x1) - 1, math.floor(y1) - 1, math.ceil(x2) + 1, math.ceil(y2) + 1)
