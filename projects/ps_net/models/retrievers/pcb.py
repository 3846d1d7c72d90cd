"""PCB baseline (PS-Net paper, Table 2): PS-Net's retrieval branch with horizontal stripes.

PCB, the Part-based Convolutional Baseline (Sun, Zheng, Yang, Tian and Wang, "Beyond Part
Models: Person Retrieval with Refined Part Pooling (and A Strong Convolutional Baseline)",
ECCV 2018), cuts the feature map into six horizontal stripes, pools and embeds each stripe with
its own branch and matches two images by their concatenated stripe features.

:class:`PSNetPCBRetriever` is that baseline on PS-Net's code path: the same retrieval backbone
and neck (F), the same region head (``PSNetRegionHead``: RoIAlign, one embedding per region,
eq. 2-3 and the Fashion Output triplet) and the same eq. 1 similarity, with

* no landmark branch and no landmark attention: the stripes are pooled from F itself (F' = F);
* region division replaced by ``num_stripes`` (6) horizontal stripes that tile the whole input
  (boxes in input pixels, ``x`` from 0 to ``w``, ``y`` from ``i * h / 6`` to
  ``(i + 1) * h / 6``), all valid, none a fallback;
* uniform region weights, so eq. 1 is the mean of the stripe cosines.

The flat vector of an image is PS-Net's layout with ``R = num_stripes``; the category (of
``df2_category_id`` or the sample's PS-Net ``category``, else the first) only selects a row of
the uniform ``region_weights``.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmpretrain.registry import MODELS
from torch import Tensor

from ...structures import DF2_TO_PSNET
from .ps_net import PSNetRetriever


@MODELS.register_module()
class PSNetPCBRetriever(PSNetRetriever):
    """PCB (Sun et al., ECCV 2018) on PS-Net's retrieval branch: six horizontal stripes of F.

    Args:
        backbone, neck, prototype: as :class:`PSNetRetriever` (the retrieval branch, F).
        head: ``PSNetRegionHead`` config, as :class:`PSNetRetriever`'s (``num_regions`` is
            ``num_stripes``; ``copy_loss_weight`` must be 0).
        num_stripes: number of horizontal stripes ``R`` (PCB's six).
        landmark_branch, attention: must be None (PCB has no landmark branch and no
            attention; a config inheriting PS-Net's sets them to None).
        landmark_checkpoint: only with ``init_retrieval_from_landmarks=True``: the checkpoint
            whose HRNet + neck initialise the retrieval branch, as in PS-Net's CPU configs.
        **kwargs: the other :class:`PSNetRetriever` arguments (``feat_channels``,
            ``input_size``, ``categories``, ``task``, ``train_network``,
            ``data_preprocessor``, ``init_cfg``); ``freeze_landmarks`` and
            ``landmark_score_thr`` are accepted and ignored.
    """

    def __init__(self, backbone: dict, neck: dict, prototype, head: dict, num_stripes: int = 6,
                 landmark_branch: Optional[dict] = None,
                 landmark_checkpoint: Optional[str] = None,
                 attention: Optional[dict] = None, **kwargs) -> None:
        given = {k: v for k, v in dict(landmark_branch=landmark_branch,
                                       attention=attention).items() if v is not None}
        if given:
            raise ValueError(f'PSNetPCBRetriever has no landmark branch and no attention: set '
                             f'{", ".join(sorted(given))} to None')
        if landmark_checkpoint is not None and not kwargs.get('init_retrieval_from_landmarks'):
            raise ValueError(f'PSNetPCBRetriever has no landmark branch: landmark_checkpoint '
                             f'({landmark_checkpoint!r}) is only used with '
                             f'init_retrieval_from_landmarks=True')
        if head.get('copy_loss_weight', 0):
            raise ValueError(f'PSNetPCBRetriever: stripes are not the labelled regions of a '
                             f'copy\'s modified_regions, so head.copy_loss_weight must be 0, '
                             f'got {head["copy_loss_weight"]!r}')
        if not isinstance(num_stripes, int) or num_stripes < 1:
            raise ValueError(f'num_stripes must be an int >= 1, got {num_stripes!r}')
        kwargs.pop('freeze_landmarks', None)
        # read by PSNetRetriever.__init__ (head, region_weights); a plain int may be set on an
        # nn.Module before Module.__init__
        self.num_regions = num_stripes
        super().__init__(backbone, neck, landmark_branch=None, prototype=prototype, head=head,
                         landmark_checkpoint=landmark_checkpoint, freeze_landmarks=False,
                         attention=None, **kwargs)

    def _init_landmark_branch(self, landmark_branch, landmark_checkpoint, freeze_landmarks,
                              attention, feat_channels) -> None:
        """No landmark branch and no attention (neither is built nor run)."""
        self.landmarks = None
        self.attention = None
        self.freeze_landmarks = False
        self.landmark_checkpoint = landmark_checkpoint  # only to initialise the retrieval branch

    def load_landmark_checkpoint(self, path: str) -> None:
        raise RuntimeError(f'PSNetPCBRetriever has no landmark branch to load {path!r} into')

    # ------------------------------------------------------------------ regions
    def stripe_boxes(self) -> Tensor:
        """``(R, 4)`` stripe boxes ``x1, y1, x2, y2`` in input pixels, top to bottom: full
        width, heights ``h / R``, tiling the input (each ``y2`` is the next ``y1``)."""
        w, h = self.input_size
        edges = torch.linspace(0, h, self.num_regions + 1, dtype=torch.float64)
        edges[-1] = h  # exact bottom edge
        boxes = torch.zeros(self.num_regions, 4, dtype=torch.float64)
        boxes[:, 1], boxes[:, 3] = edges[:-1], edges[1:]
        boxes[:, 2] = w
        return boxes.float()

    def _category_index(self, sample) -> int:
        """Row of ``region_weights`` (all rows are uniform): the sample's PS-Net category."""
        if sample is None:
            return 0
        cid = sample.get('df2_category_id')
        psnet = DF2_TO_PSNET.get(int(cid)) if cid is not None else sample.get('category')
        return self.categories.index(psnet) if psnet in self.categories else 0

    def stripe_regions(self, batch_size: int, data_samples: Optional[Sequence] = None,
                device=None) -> Dict[str, Tensor]:
        """Stripe boxes, validity (all), fallback flags (none) and categories of a batch."""
        r = self.num_regions
        boxes = self.stripe_boxes().to(device)[None].repeat(batch_size, 1, 1)
        cat = [self._category_index(data_samples[i] if data_samples is not None else None)
               for i in range(batch_size)]
        return dict(boxes=boxes,
                    valid=torch.ones(batch_size, r, dtype=torch.bool, device=device),
                    fallback=torch.zeros(batch_size, r, dtype=torch.bool, device=device),
                    category=torch.as_tensor(cat, dtype=torch.long, device=device))

    def region_layout(self, inputs: Tensor, data_samples=None
                      ) -> Tuple[Dict[str, Tensor], Tensor]:
        """The stripes and F (no attention: F' = F)."""
        return self.stripe_regions(inputs.shape[0], data_samples, inputs.device), \
            self.feature_map(inputs)
