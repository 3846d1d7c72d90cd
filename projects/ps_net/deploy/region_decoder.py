"""The region step between the two exported graphs, without the network.

* :class:`RegionDecoder` (PS-Net, landmark regions): the heatmaps are decoded and divided
  into regions by the very methods the PyTorch retriever runs (``PSNetRetriever.regions`` and
  ``_category``, ``LandmarkBranch.decode`` and mmpose's ``BaseHead.decode``), on an object that
  holds only what they read: the landmark codec, the input size, the categories and the
  landmark score threshold;
* :class:`FixedRegionLayout` (models whose regions do not depend on the image: the template
  regions of ``PSNetTemplateRetriever``, PCB's stripes): the boxes, validity and fallback flags
  per category, as the model's own ``stripe_regions`` gives them, and its ``_category_index``.

So ONNX and PyTorch embeddings cannot drift apart in the bookkeeping, and no network weights
are needed here.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmpose.models.heads.base_head import BaseHead
from torch import Tensor, nn

from ..models.retrievers.pcb import PSNetPCBRetriever
from ..models.retrievers.ps_net import LandmarkBranch, PSNetRetriever


class _CodecHead:
    """What ``LandmarkBranch.decode`` reads of the landmark head: the codec and its decode."""
    decode = BaseHead.decode

    def __init__(self, decoder) -> None:
        self.decoder = decoder


class _LandmarkDecode:
    """What ``PSNetRetriever.regions`` reads of the landmark branch: its ``decode``."""
    decode = LandmarkBranch.decode

    def __init__(self, head: _CodecHead) -> None:
        self.head = head


class RegionDecoder:
    """``PSNetRetriever.regions`` for heatmaps computed elsewhere (an ONNX graph).

    Args:
        codec: The landmark head's codec config (``cfg.model.landmark_branch.head.decoder``,
            e.g. ``dict(type='MSRAHeatmap', ...)``).
        input_size: The retriever's input ``(w, h)``.
        categories: Its ``categories`` (rows of the region weights).
        landmark_score_thr: Its ``landmark_score_thr``.

    Example:
        >>> import torch
        >>> from ps_net.structures import PSNET_CATEGORIES
        >>> codec = dict(type='MSRAHeatmap', input_size=(128, 128), heatmap_size=(32, 32),
        ...              sigma=1)
        >>> dec = RegionDecoder(codec, (128, 128), PSNET_CATEGORIES, 0.3)
        >>> info = dec.regions(torch.rand(2, 294, 32, 32))
        >>> tuple(info['boxes'].shape), tuple(info['valid'].shape)
        ((2, 5, 4), (2, 5))
    """

    regions = PSNetRetriever.regions
    _category = PSNetRetriever._category

    def __init__(self, codec: dict, input_size: Tuple[int, int], categories: Sequence[str],
                 landmark_score_thr: float) -> None:
        from mmengine.registry import DefaultScope
        from mmpose.registry import KEYPOINT_CODECS
        with DefaultScope.overwrite_default_scope('mmpose'):
            decoder = KEYPOINT_CODECS.build(dict(codec))
        if tuple(decoder.input_size) != tuple(input_size):
            raise ValueError(f'the landmark codec decodes to input_size {tuple(decoder.input_size)}'
                             f', but the model input is {tuple(input_size)}')
        self.landmarks = _LandmarkDecode(_CodecHead(decoder))
        self.input_size = tuple(int(v) for v in input_size)
        self.categories = tuple(categories)
        self.landmark_score_thr = float(landmark_score_thr)

    def __call__(self, heatmaps: Tensor, data_samples: Optional[Sequence] = None
                 ) -> Dict[str, Tensor]:
        """``boxes`` ``(B, R, 4)`` in crop pixels, ``valid``, ``fallback``, ``category``."""
        return self.regions(heatmaps, data_samples)


class FixedRegionLayout:
    """Regions that depend only on the garment's category (``stripe_regions`` models).

    Args:
        categories: The retriever's ``categories``.
        boxes: ``(categories, R, 4)`` boxes in input pixels per category.
        valid, fallback: ``(categories, R)`` bool per category.

    Example:
        >>> import torch
        >>> layout = FixedRegionLayout(('top', 'dress'), torch.arange(16.).view(2, 2, 4),
        ...                            torch.ones(2, 2, dtype=torch.bool),
        ...                            torch.zeros(2, 2, dtype=torch.bool))
        >>> layout(3)['boxes'].shape, layout(3)['category'].tolist()
        (torch.Size([3, 2, 4]), [0, 0, 0])
    """

    _category_index = PSNetPCBRetriever._category_index

    def __init__(self, categories: Sequence[str], boxes, valid, fallback) -> None:
        self.categories = tuple(categories)
        self.boxes = torch.as_tensor(boxes, dtype=torch.float32)
        self.valid = torch.as_tensor(valid, dtype=torch.bool)
        self.fallback = torch.as_tensor(fallback, dtype=torch.bool)
        n = len(self.categories)
        rows = tuple(self.boxes.shape[:2])
        if (self.boxes.dim() != 3 or rows[0] != n or self.boxes.shape[-1] != 4
                or tuple(self.valid.shape) != rows or tuple(self.fallback.shape) != rows):
            raise ValueError(f'boxes must be ({n}, R, 4) and valid / fallback ({n}, R), got '
                             f'{tuple(self.boxes.shape)}, {tuple(self.valid.shape)} and '
                             f'{tuple(self.fallback.shape)}')

    @classmethod
    def from_model(cls, model: nn.Module) -> 'FixedRegionLayout':
        """The table of ``model.stripe_regions`` for one sample of each category."""
        from mmpretrain.structures import DataSample
        samples = [DataSample(metainfo=dict(category=c)) for c in model.categories]
        info = model.stripe_regions(len(samples), samples, torch.device('cpu'))
        if info['category'].tolist() != list(range(len(samples))):
            raise ValueError(f'{type(model).__name__}: the category of a sample does not select '
                             f'its row of the region weights')
        return cls(model.categories, info['boxes'], info['valid'], info['fallback'])

    def __call__(self, batch_size: int, data_samples: Optional[Sequence] = None
                 ) -> Dict[str, Tensor]:
        """``boxes`` ``(B, R, 4)``, ``valid``, ``fallback``, ``category`` of a batch."""
        cat = torch.as_tensor(
            [self._category_index(data_samples[i] if data_samples is not None else None)
             for i in range(batch_size)], dtype=torch.long)
        return dict(boxes=self.boxes[cat], valid=self.valid[cat], fallback=self.fallback[cat],
                    category=cat)
