"""PSNetRegionHead: PS-Net's region features, Fashion Output and triplet losses (section 3.1-3.2).

Each region box is RoIAligned on the attended feature map F' (:class:`RegionPooling`) and
embedded by its own linear layer into an L2-normalised ``f_r`` (zero where the region is
invalid); the Fashion Output is the normalised concatenation of the ``f_r``. Losses, on
triplets mined in the batch (:mod:`ps_net.models.losses.miners`):

* ``loss_region``: the region triplet loss built from ``loss`` (``PSNetRegionTripletLoss``,
  eq. 2-3) on identical triplets (same design, another design);
* ``loss_fashion``: the triplet loss of the Fashion Output on the same triplets, with the
  region loss's margin;
* ``loss_copy`` (``copy_loss_weight > 0``): the region loss on the kept / changed region
  triplets of the batch's plagiarized copies (:func:`copy_region_triplets`).

The flat vector of an image (what :meth:`PSNetRegionHead.predict` returns and the prototype
stores) is ``[f_1..f_R (R * D), valid (R), category index (1)]``.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from ..losses import (REFERENCE_RELATIONS, copy_region_triplets, design_triplets,
                      region_distance_matrix, triplet_hinge)
from ..regions import RegionPooling


@MODELS.register_module()
class PSNetRegionHead(BaseModule):
    """Region embeddings, Fashion Output and the triplet losses of PS-Net.

    Args:
        num_regions: ``R``, regions per image (5 for PS-Net, 6 stripes for PCB).
        in_channels: channels of the pooled map F'.
        embed_dim: ``D`` of each region feature; None: no learned embedding, each region's
            feature is its RoIAligned map averaged over the ``roi_size`` bins (``D = C``), the
            regional pooling of a backbone used as it is.
        roi_size: RoIAlign output side.
        feature_stride: input size / F' size (8 for PS-Net's 28 x 28 at 224).
        loss: config of the region triplet loss (``PSNetRegionTripletLoss``); its ``margin``
            is also the Fashion Output triplet's.
        fashion_loss_weight: weight of the Fashion Output's triplet loss.
        copy_loss_weight: weight of the copy region triplets (0: off, the paper's pre-train).
        hard_negatives: pick each anchor's negative as the batch image of another design
            closest to it (mean ``D_r`` over the regions both have; batch-hard mining) instead
            of a random one.
        init_cfg: as mmengine's ``BaseModule``.

    Example:
        >>> import torch
        >>> from mmengine.registry import DefaultScope
        >>> with DefaultScope.overwrite_default_scope('mmpretrain'):
        ...     head = PSNetRegionHead(num_regions=2, in_channels=4, embed_dim=3, roi_size=2,
        ...                            feature_stride=1)
        >>> boxes = torch.tensor([[[0., 0., 4., 4.], [2., 2., 6., 6.]]])
        >>> f = head(torch.rand(1, 4, 8, 8), boxes, torch.tensor([[True, False]]))
        >>> tuple(f.shape), f[0, 1].abs().sum().item()
        ((1, 2, 3), 0.0)
    """

    def __init__(self, num_regions: int = 5, in_channels: int = 1024,
                 embed_dim: Optional[int] = 128,
                 roi_size: int = 4, feature_stride: int = 8,
                 loss: dict = dict(type='PSNetRegionTripletLoss', margin=0.2),
                 fashion_loss_weight: float = 1.0, copy_loss_weight: float = 0.0,
                 hard_negatives: bool = False, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('num_regions', num_regions), ('in_channels', in_channels),
                            ('embed_dim', in_channels if embed_dim is None else embed_dim),
                            ('roi_size', roi_size),
                            ('feature_stride', feature_stride)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be an int >= 1, got {value!r}')
        if not copy_loss_weight >= 0:
            raise ValueError(f'copy_loss_weight must be >= 0, got {copy_loss_weight!r}')
        if not isinstance(hard_negatives, bool):
            raise TypeError(f'hard_negatives must be a bool, got {hard_negatives!r}')
        self.num_regions = num_regions
        self.in_channels = in_channels
        self.embed_dim = in_channels if embed_dim is None else embed_dim
        self.pool = RegionPooling(roi_size, 1.0 / feature_stride)
        self.embed = None if embed_dim is None else nn.ModuleList(
            nn.Sequential(nn.Flatten(), nn.Linear(in_channels * roi_size**2, embed_dim))
            for _ in range(num_regions))
        self.loss_module = MODELS.build(loss)
        if not hasattr(self.loss_module, 'margin'):
            raise TypeError(f'loss must build a region triplet loss with a margin, got '
                            f'{type(self.loss_module).__name__}')
        self.fashion_loss_weight = fashion_loss_weight
        self.copy_loss_weight = float(copy_loss_weight)
        self.hard_negatives = hard_negatives

    @property
    def margin(self) -> float:
        """``m`` of the region loss (eq. 2), shared by the Fashion Output triplet."""
        return self.loss_module.margin

    @property
    def flat_dim(self) -> int:
        """Length of a flat vector, ``R * D + R + 1``."""
        return self.num_regions * (self.embed_dim + 1) + 1

    # ------------------------------------------------------------------ features
    def forward(self, feat: Tensor, boxes: Tensor, valid: Tensor) -> Tensor:
        """Region features ``(B, R, D)``: ``feat`` F' ``(B, C, h, w)``, ``boxes`` ``(B, R, 4)``
        in input pixels, ``valid`` ``(B, R)``; L2-normalised, zero where ``valid`` is False."""
        if boxes.shape[1] != self.num_regions:
            raise ValueError(f'expected {self.num_regions} boxes per image, got '
                             f'{tuple(boxes.shape)}')
        pooled = self.pool(feat, boxes)
        if self.embed is None:
            f = F.normalize(pooled.mean((-2, -1)), dim=-1)
        else:
            f = torch.stack([F.normalize(embed(pooled[:, r]), dim=-1)
                             for r, embed in enumerate(self.embed)], 1)
        return f * valid[..., None].to(f.dtype)

    @staticmethod
    def fashion_output(feats: Tensor) -> Tensor:
        """The Fashion Output ``(B, R * D)``: the normalised concatenation of ``(B, R, D)``."""
        return F.normalize(feats.flatten(1), dim=-1)

    def predict(self, feat: Tensor, boxes: Tensor, valid: Tensor, category: Tensor) -> Tensor:
        """Flat vectors ``[f_1..f_R, valid, category]`` ``(B, flat_dim)`` (the prototype's)."""
        return self.flatten(self(feat, boxes, valid), valid, category)

    @staticmethod
    def flatten(feats: Tensor, valid: Tensor, category: Tensor) -> Tensor:
        """``(B, R, D)`` features, ``(B, R)`` validity and ``(B,)`` category -> flat vectors."""
        return torch.cat([feats.reshape(feats.shape[0], -1), valid.float(),
                          category.float()[:, None]], 1)

    def split_flat(self, vecs: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Inverse of :meth:`flatten`: features ``(N, R, D)``, validity, category index."""
        r, d = self.num_regions, self.embed_dim
        feats = vecs[:, :r * d].reshape(-1, r, d)
        valid = vecs[:, r * d:r * d + r] > 0.5
        cat = vecs[:, -1].round().long()
        return feats, valid, cat

    # ------------------------------------------------------------------ losses
    def loss(self, feat: Tensor, boxes: Tensor, valid: Tensor,
             data_samples: Sequence) -> Dict[str, Tensor]:
        """The losses of a batch (module docstring) from F', the boxes and their validity."""
        return self.loss_by_feat(self(feat, boxes, valid), valid, data_samples)

    def loss_by_feat(self, feats: Tensor, valid: Tensor,
                     data_samples: Sequence) -> Dict[str, Tensor]:
        """The losses from region features ``(B, R, D)`` and validity ``(B, R)``.

        Triplets come from the batch (a P x K design sampler gives every anchor a positive),
        drawn from a generator seeded by the sum of the design ids: I+ shares the design, I-
        is a random other design (the closest one with ``hard_negatives``); only references
        (``original`` / ``identical``) form these.

        Returns:
            dict: ``loss_region``, ``loss_fashion`` and ``active`` (share of region triplets
            with a positive loss); with ``copy_loss_weight > 0`` also ``loss_copy`` and
            ``active_copy``.
        """
        ids = [int(s.get('design_id')) for s in data_samples]
        rel = [s.get('relation', 'original') for s in data_samples]
        gen = torch.Generator().manual_seed(int(sum(ids)) % (2**31))
        a, p, n = design_triplets(ids, gen, [r in REFERENCE_RELATIONS for r in rel],
                                  region_distance_matrix(feats, valid) if self.hard_negatives
                                  else None)
        zero = feats.sum() * 0
        losses = dict(loss_region=zero, loss_fashion=zero, active=zero.detach())
        if a:
            loss, active = self.loss_module(feats[a], feats[p], feats[n],
                                            valid=[valid[a], valid[p], valid[n]])
            g = self.fashion_output(feats)
            fashion = triplet_hinge((g[a] - g[p]).norm(dim=-1), (g[a] - g[n]).norm(dim=-1),
                                    self.margin).mean()
            losses.update(loss_region=loss, loss_fashion=fashion * self.fashion_loss_weight,
                          active=active.detach().float())
        if self.copy_loss_weight > 0:
            losses.update(self._copy_loss(feats, valid, ids, rel, data_samples, gen))
        return losses

    def _copy_loss(self, f: Tensor, valid: Tensor, ids: List[int], rel: List[str],
                   data_samples, gen: torch.Generator) -> Dict[str, Tensor]:
        """``loss_copy``: the kept / changed region triplets of the batch's copies."""
        r = self.num_regions
        mods = []
        for s in data_samples:
            m = np.asarray(s.get('modified_region_mask', np.zeros(r, bool)), bool)
            if m.shape != (r, ):
                raise ValueError(f'modified_region_mask of {s.get("img_path")!r} must have '
                                 f'{r} entries (one per region), got shape {m.shape!r}')
            mods.append(m)
        a, p, n, regions = copy_region_triplets(ids, rel, np.stack(mods), gen)
        if not a:
            return dict(loss_copy=f.sum() * 0, active_copy=f.new_zeros(()))
        counted = torch.as_tensor(regions, device=f.device)
        loss, active = self.loss_module(f[a], f[p], f[n],
                                        valid=[counted, valid[a], valid[p], valid[n]])
        return dict(loss_copy=loss * self.copy_loss_weight, active_copy=active.float())
