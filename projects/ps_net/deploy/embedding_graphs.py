"""The two exportable graphs of PS-Net's embedding model, cut at the region division.

Region division (landmark decode by the head's codec, then :func:`~ps_net.models.regions.
divide_regions`) is numpy code, so the exported model is split there (mmdeploy partitions
two-stage detectors the same way):

1. :class:`PSNetBackboneGraph`: the garment crop, as ``PackInputs`` gives it (BGR, ``(B, 3, H,
   W)``, pixel values), -> the data preprocessor's normalisation -> the landmark heatmaps
   ``(B, K, h, w)`` and the attended feature map F' ``(B, C, H / s, W / s)``; for a model
   without landmarks (``PSNetTemplateRetriever``, PCB) F alone;
2. Python: heatmaps -> region boxes, validity, fallback, category (:class:`~ps_net.deploy.
   RegionDecoder`, the retriever's own ``regions``), or the per-category boxes of a model
   without landmarks (:class:`~ps_net.deploy.FixedRegionLayout`);
3. :class:`PSNetRegionGraph`: F', the boxes ``(B, R, 4)`` in crop pixels and the validity
   ``(B, R)`` -> the L2-normalised region features ``(B, R, D)`` (zero where invalid).

Both wrap the retriever's own modules and methods (``landmarks``, ``feature_map``,
``attention``, ``head``): no layer is re-implemented.
"""
from typing import Tuple

import torch
from torch import Tensor, nn


class PSNetBackboneGraph(nn.Module):
    """Crop -> (heatmaps, F'): both branches' backbones, the landmark head and the attention;
    crop -> (F, ) for a model without landmarks (its regions come from ``stripe_regions``).

    Args:
        model: A ``PSNetRetriever`` (or a subclass), in eval mode.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.with_landmarks = getattr(model, 'landmarks', None) is not None
        if not (self.with_landmarks or hasattr(model, 'stripe_regions')):
            raise TypeError(f'{type(model).__name__} has neither a landmark branch nor '
                            f'stripe_regions: not a PS-Net region model')
        self.model = model
        pre = model.data_preprocessor
        self.to_rgb = bool(getattr(pre, 'to_rgb', False))
        normalise = getattr(pre, '_enable_normalize', False)
        self.register_buffer('mean', pre.mean.clone() if normalise else torch.zeros(3, 1, 1),
                             persistent=False)
        self.register_buffer('std', pre.std.clone() if normalise else torch.ones(3, 1, 1),
                             persistent=False)

    def preprocess(self, crop: Tensor) -> Tensor:
        """The retriever's ``ClsDataPreprocessor`` on a stacked batch: channel flip (BGR ->
        RGB when ``to_rgb``), float, ``(x - mean) / std``, in that order."""
        if self.to_rgb and crop.shape[1] == 3:
            crop = crop.flip(1)
        return (crop.float() - self.mean) / self.std

    def forward(self, crop: Tensor) -> Tuple[Tensor, ...]:
        x = self.preprocess(crop)
        if not self.with_landmarks:
            return (self.model.feature_map(x), )
        heatmaps = self.model.landmarks(x)
        return heatmaps, self.model.attention(self.model.feature_map(x), heatmaps)


class PSNetRegionGraph(nn.Module):
    """(F', boxes, valid) -> region features: the region head's RoIAlign and embeddings.

    Args:
        model: A ``PSNetRetriever`` (its ``head``, a ``PSNetRegionHead``), in eval mode.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.head = model.head

    def forward(self, feature_map: Tensor, boxes: Tensor, valid: Tensor) -> Tensor:
        return self.head(feature_map, boxes, valid)
