"""PSNetCopyDetectionRetriever: one global embedding trained as a copy detector (SSCD recipe).

The strongest simple thing a user builds from an ImageNet backbone: global average pooling,
an optional linear projection, L2 normalisation (:class:`TripletEmbedding`), trained on two
augmented views of every training photo with the InfoNCE loss
(:func:`~ps_net.models.losses.multiview_info_nce`; Pizzi et al., "A Self-Supervised Descriptor
for Image Copy Detection", CVPR 2022, without its entropy regulariser), other photos of the
same design kept out of the negatives. The views come from the data pipeline (mmpretrain's
``MultiView``) and reach :meth:`loss` as a list of two batches, as in mmpretrain's SimCLR.
Ranking is by cosine, which on unit vectors is the Euclidean ranking of the parent class.
"""
from typing import Dict, List, Optional, Sequence

from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ..losses import multiview_info_nce
from .triplet_retriever import PSNetTripletRetriever


@MODELS.register_module()
class PSNetCopyDetectionRetriever(PSNetTripletRetriever):
    """Global copy-detection embedding trained with two-view InfoNCE.

    Args:
        backbone, prototype, embed_dim, topk, data_preprocessor, init_cfg: as
            :class:`PSNetTripletRetriever` (the data preprocessor must accept a list of view
            batches: mmpretrain's ``SelfSupDataPreprocessor``).
        temperature: InfoNCE temperature (SSCD and SimCLR: 0.1 or below).
        mask_same_design: keep other photos of a sample's ``design_id`` out of its negatives.

    Example:
        >>> import torch
        >>> from mmengine.registry import DefaultScope
        >>> with DefaultScope.overwrite_default_scope('mmpretrain'):
        ...     model = PSNetCopyDetectionRetriever(
        ...         backbone=dict(type='PSNetAttentionResNet', depth=18, stem_channels=8,
        ...                       base_channels=8), prototype=torch.zeros(1, 64))
        >>> x = torch.rand(4, 3, 64, 64)
        >>> sorted(model.loss([x, x.flip(-1)], None))
        ['loss_info_nce']
    """

    def __init__(self, backbone: dict, prototype, embed_dim: Optional[int] = None,
                 temperature: float = 0.1, mask_same_design: bool = True, topk: int = -1,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, prototype=prototype, embed_dim=embed_dim,
                         topk=topk, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature!r}')
        self.temperature = float(temperature)
        self.mask_same_design = bool(mask_same_design)

    def loss(self, inputs: List[Tensor],
             data_samples: Optional[Sequence[DataSample]]) -> Dict[str, Tensor]:
        """InfoNCE of the two views of each image.

        Args:
            inputs: two ``(B, 3, H, W)`` batches, the views of the same ``B`` images.
            data_samples: ``B`` samples (``design_id`` read when ``mask_same_design``), or
                None (no design masking).

        Returns:
            dict: ``loss_info_nce``.
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError('PSNetCopyDetectionRetriever trains on two views per image: the '
                             "pipeline needs MultiView(num_views=2, ...) and the model "
                             "SelfSupDataPreprocessor; got "
                             f'{type(inputs).__name__} of {len(inputs) if isinstance(inputs, (list, tuple)) else "-"}')
        masked = self.mask_same_design and data_samples is not None
        ids = self._design_ids(data_samples) if masked else None
        z1, z2 = self.extract_feat(inputs[0]), self.extract_feat(inputs[1])
        return dict(loss_info_nce=multiview_info_nce(z1, z2, self.temperature, ids))
