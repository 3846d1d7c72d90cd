"""PSNetTemplateRetriever: PS-Net's five regions placed by a garment-box template, no landmarks.

PS-Net's retrieval branch, region head and eq. 1 similarity, with the five regions of
:data:`~ps_net.structures.REGIONS` taken from the per-family template of the garment box
(:func:`~ps_net.models.regions.template_regions`, the same boxes region division falls back
to when landmarks are not confident) instead of from predicted landmarks. The garment box is
the garment crop's: ``PSNetGarmentCrop`` enlarges the box by 1.25, so the garment spans the
middle 80 % of the input.

This is the PS-Net variant for photographs where no landmark model has been trained: no
landmark branch to run, no attention (F' = F); every region is valid and flagged as placed by
the template (``fallback``). The regions are the labelled ones, so copy region triplets
(``copy_loss_weight``) and the per-category region weights apply as in PS-Net.
"""
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmpretrain.registry import MODELS
from torch import Tensor

from ...structures import REGIONS
from ..regions import template_regions
from .pcb import PSNetPCBRetriever


@MODELS.register_module()
class PSNetTemplateRetriever(PSNetPCBRetriever):
    """PS-Net's region head over template regions of the garment crop.

    Args:
        backbone, neck, prototype, head: as :class:`PSNetRetriever` (``head.copy_loss_weight``
            allowed: the regions are the labelled ones).
        garment_box: the garment box in the input as fractions ``(x1, y1, x2, y2)`` (the
            1.25 crop margin: ``(0.1, 0.1, 0.9, 0.9)``).
        **kwargs: the other :class:`PSNetRetriever` arguments.
    """

    def __init__(self, backbone: dict, neck: dict, prototype, head: dict,
                 garment_box: Sequence[float] = (0.1, 0.1, 0.9, 0.9), **kwargs) -> None:
        garment_box = tuple(float(v) for v in garment_box)
        if len(garment_box) != 4 or not (0 <= garment_box[0] < garment_box[2] <= 1
                                         and 0 <= garment_box[1] < garment_box[3] <= 1):
            raise ValueError(f'garment_box must be fractions (x1, y1, x2, y2) with x1 < x2 and '
                             f'y1 < y2 in [0, 1], got {garment_box!r}')
        copy_weight = head.get('copy_loss_weight', 0)
        super().__init__(backbone, neck, prototype, dict(head, copy_loss_weight=0),
                         num_stripes=len(REGIONS), **kwargs)
        self.head.copy_loss_weight = float(copy_weight)
        self.garment_box = garment_box
        w, h = self.input_size
        box = np.array(garment_box) * [w, h, w, h]
        self.register_buffer('templates', torch.as_tensor(np.stack(
            [template_regions('dress' if c == 'dress' else 'top', box)
             for c in self.categories]), dtype=torch.float32), persistent=False)

    def stripe_regions(self, batch_size: int, data_samples: Optional[Sequence] = None,
                       device=None) -> Dict[str, Tensor]:
        """Template boxes of each sample's category, all valid, all flagged as template."""
        r = self.num_regions
        cat = torch.as_tensor(
            [self._category_index(data_samples[i] if data_samples is not None else None)
             for i in range(batch_size)], dtype=torch.long, device=device)
        return dict(boxes=self.templates.to(device)[cat],
                    valid=torch.ones(batch_size, r, dtype=torch.bool, device=device),
                    fallback=torch.ones(batch_size, r, dtype=torch.bool, device=device),
                    category=cat)
