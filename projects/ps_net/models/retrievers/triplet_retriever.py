"""PSNetTripletRetriever: the retrieval baselines of Xuan, Liao and Su (CSA 2022).

The clothing-retrieval method of Xuan et al. ("Clothing Image Retrieval Method Based on
Convolutional Block Attention Model", section 3) is a ResNet50 (ImageNet weights) with CBAM after
its first and its last convolution layer (``PSNetAttentionResNet``), trained with the triplet
loss and ranked by the Euclidean distance of the feature vectors (eq. (4),
:func:`euclidean_distance`). Its table 1 compares three rows, all covered by this class through
the backbone's ``attention`` argument:

* ``attention=None``: ResNet50,
* ``attention='se'``: ResNet50 + SE (channel attention only),
* ``attention='cbam'``: ResNet50 + CBAM (channel then spatial attention).

Embedding (``image_encoder``): backbone -> global average pooling -> optional linear projection
to ``embed_dim`` (None: the pooled backbone feature, as in the paper) -> L2 normalisation (on
unit vectors the Euclidean distance lies in ``[0, 2]``, so a fixed ``margin`` means the same at
every scale, and the Euclidean ranking is the cosine ranking).

The retriever is mmpretrain's ``ImageToImageRetriever`` (forward, predict, gallery) with the
similarity ``-dist`` (higher is better, like every mmpretrain retriever's score: sorting it in
descending order sorts the distance in ascending order) and a loss of its own: the triplet loss
``mean(max(dist(a, p) - dist(a, n) + margin, 0))`` on in-batch triplets of each sample's
``design_id`` (:func:`~ps_net.models.losses.design_triplets`: a random negative of another
design, or the closest one with ``hard_negatives=True``).
"""
from numbers import Real
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.retrievers import ImageToImageRetriever
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from ..losses import design_triplets, triplet_loss

__all__ = ['PSNetTripletRetriever', 'TripletEmbedding', 'euclidean_distance']

#: Side of the dummy image used to find the backbone's output channels.
_PROBE_SIZE = 64


def euclidean_distance(query: Tensor, gallery: Tensor) -> Tensor:
    """Eq. (4) of Xuan et al. for every query / gallery pair::

        dist(a, b) = sqrt((x_1 - y_1)^2 + (x_2 - y_2)^2 + ... + (x_n - y_n)^2)        (4)

    Computed exactly (no ``|a|^2 + |b|^2 - 2ab`` shortcut), so that ties and near-ties rank as
    the distances do.

    Args:
        query (Tensor): ``(Q, D)`` features.
        gallery (Tensor): ``(G, D)`` features.

    Returns:
        Tensor: ``(Q, G)`` distances ``dist(query[i], gallery[j])``.

    Example:
        >>> euclidean_distance(torch.tensor([[0., 0.]]), torch.tensor([[3., 4.], [0., 1.]]))
        tensor([[5., 1.]])
    """
    if query.dim() != 2 or gallery.dim() != 2 or query.shape[1] != gallery.shape[1]:
        raise ValueError(f'query and gallery must be (Q, D) and (G, D) with the same D, got '
                         f'{tuple(query.shape)} and {tuple(gallery.shape)}')
    return torch.cdist(query.float(), gallery.float(),
                       compute_mode='donot_use_mm_for_euclid_dist')


class TripletEmbedding(BaseModule):
    """Backbone -> global average pooling -> optional linear -> L2 normalisation.

    Args:
        backbone (dict | nn.Module): The backbone (config of an mmpretrain ``MODELS`` type, e.g.
            ``PSNetAttentionResNet``) returning a feature map or a tuple of them (the last one is
            used).
        embed_dim (int, optional): Output size of a linear projection after the pooling; None
            keeps the pooled backbone feature.
        init_cfg (dict, optional): Initialisation config of this module.

    Attributes:
        feat_channels (int): Channels of the backbone's (last) output, found with one forward
            pass of a ``64 x 64`` dummy image in eval mode.
        out_dim (int): Size of the embedding.
    """

    def __init__(self, backbone: Union[dict, nn.Module], embed_dim: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = backbone if isinstance(backbone, nn.Module) else MODELS.build(backbone)
        self.feat_channels = self._probe_channels()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.embed = nn.Identity() if embed_dim is None else nn.Linear(self.feat_channels,
                                                                        embed_dim)
        self.out_dim = self.feat_channels if embed_dim is None else embed_dim

    @torch.no_grad()
    def _probe_channels(self) -> int:
        was_training = self.backbone.training
        self.backbone.eval()
        try:
            out = self._last(self.backbone(torch.zeros(1, 3, _PROBE_SIZE, _PROBE_SIZE)))
        finally:
            self.backbone.train(was_training)
        if out.dim() != 4:
            raise ValueError(f'the backbone must return (B, C, H, W) feature maps, got shape '
                             f'{tuple(out.shape)}')
        return int(out.shape[1])

    @staticmethod
    def _last(feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        return feats[-1] if isinstance(feats, (tuple, list)) else feats

    def forward(self, inputs: Tensor) -> Tensor:
        """``(B, 3, H, W)`` images -> ``(B, out_dim)`` unit-length embeddings."""
        feat = self.pool(self._last(self.backbone(inputs))).flatten(1)
        return F.normalize(self.embed(feat), dim=-1)


def _is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


@MODELS.register_module()
class PSNetTripletRetriever(ImageToImageRetriever):
    """ResNet50 (+ SE / CBAM) triplet retriever ranked by the Euclidean distance.

    See the module docstring for the method, the equations and the choices made.

    Args:
        backbone (dict): Backbone config, e.g. ``dict(type='PSNetAttentionResNet', depth=50,
            attention='cbam')``; a pretrained backbone takes an ``init_cfg`` of type
            ``'Pretrained'`` (with ``prefix='backbone'`` for an mmpretrain classifier
            checkpoint).
        prototype (DataLoader | dict | str | Tensor): The gallery, as in mmpretrain's
            ``ImageToImageRetriever`` (a dataloader config, a saved tensor path or a
            ``(G, D)`` tensor of embeddings).
        embed_dim (int, optional): Size of a linear projection after the global average
            pooling; None (default) keeps the pooled backbone feature, as in the paper.
        margin (float): The triplet margin, > 0. Defaults to 0.2 (embeddings are unit vectors,
            so distances are in ``[0, 2]``).
        hard_negatives (bool): Mine each anchor's closest negative in the batch instead of a
            random one. Defaults to False.
        topk (int): Keep the ``topk`` best gallery indices in ``pred_label`` (-1: all); the
            ``pred_score`` always covers the whole gallery.
        data_preprocessor (dict, optional): As in ``ImageToImageRetriever``
            (``ClsDataPreprocessor`` by default).
        init_cfg (dict, optional): Initialisation config of the whole model.

    Raises:
        ValueError: On a bad argument (the value is echoed).

    Example:
        >>> from mmengine.registry import DefaultScope
        >>> with DefaultScope.overwrite_default_scope('mmpretrain'):
        ...     model = PSNetTripletRetriever(
        ...         backbone=dict(type='PSNetAttentionResNet', depth=18, stem_channels=8,
        ...                       base_channels=8, attention='cbam'),
        ...         prototype=torch.zeros(1, 64)).eval()
        >>> tuple(model(torch.rand(2, 3, 64, 64), mode='tensor').shape)
        (2, 64)
    """

    def __init__(self,
                 backbone: dict,
                 prototype: Any,
                 embed_dim: Optional[int] = None,
                 margin: float = 0.2,
                 hard_negatives: bool = False,
                 topk: int = -1,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if not isinstance(backbone, dict) or 'type' not in backbone:
            raise ValueError(f"backbone must be a config dict with a 'type', got {backbone!r}")
        if embed_dim is not None and (not isinstance(embed_dim, int)
                                      or isinstance(embed_dim, bool) or embed_dim < 1):
            raise ValueError(f'embed_dim must be None or an int >= 1, got {embed_dim!r}')
        if not _is_real(margin) or not margin > 0:
            raise ValueError(f'margin must be a number > 0, got {margin!r}')
        if not isinstance(hard_negatives, bool):
            raise ValueError(f'hard_negatives must be a bool, got {hard_negatives!r}')
        if not isinstance(topk, int) or isinstance(topk, bool) or (topk < 1 and topk != -1):
            raise ValueError(f'topk must be -1 or an int >= 1, got {topk!r}')
        encoder = TripletEmbedding(backbone, embed_dim)
        super().__init__(image_encoder=encoder, prototype=prototype,
                         similarity_fn=self.negative_euclidean, topk=topk,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.embed_dim = embed_dim
        self.margin = float(margin)
        self.hard_negatives = hard_negatives

    @staticmethod
    def negative_euclidean(query: Tensor, gallery: Tensor) -> Tensor:
        """The higher-is-better score: ``-dist`` of eq. (4), ``(Q, D), (G, D) -> (Q, G)``."""
        return -euclidean_distance(query, gallery)

    def matching(self, inputs: Tensor) -> Dict[str, Tensor]:
        """mmpretrain's matching (``score``: ``-dist`` to every gallery entry in gallery order;
        ``pred_label`` / ``pred_score``: by descending score) with a stable sort, so that tied
        distances keep their gallery order."""
        score = self.similarity_fn(inputs, self.prototype_vecs)
        sorted_score, indices = torch.sort(score, descending=True, stable=True, dim=-1)
        return dict(score=score, pred_label=indices, pred_score=sorted_score)

    def _get_prototype_vecs_from_dataloader(self, data_loader) -> Tensor:
        """mmpretrain's gallery extraction, re-normalised.

        mmpretrain sums the per-rank gallery tensors with ``all_reduce``; a distributed sampler
        pads the last batches by repeating entries, whose vectors are then summed twice. That
        is harmless for a cosine but not for the Euclidean distance; as every embedding is a
        unit vector, re-normalising restores it.
        """
        return F.normalize(super()._get_prototype_vecs_from_dataloader(data_loader), dim=-1)

    # ------------------------------------------------------------------ training
    @staticmethod
    def _design_ids(data_samples: Optional[Sequence[Any]]) -> List[int]:
        if not data_samples:
            raise ValueError(f"the triplet loss needs data samples with 'design_id', got "
                             f'{data_samples!r}')
        ids = []
        for i, sample in enumerate(data_samples):
            value = sample.get('design_id') if hasattr(sample, 'get') else None
            if value is None:
                raise ValueError(f"data sample {i} has no 'design_id' (add it to "
                                 f'PackInputs(meta_keys=...)), got {sample!r}')
            ids.append(int(value))
        return ids

    def loss(self, inputs: Tensor, data_samples: List[DataSample]) -> Dict[str, Tensor]:
        """The triplet loss on in-batch triplets (see the module docstring).

        Args:
            inputs (Tensor): ``(B, 3, H, W)`` preprocessed images.
            data_samples (list[DataSample]): With ``design_id`` in their metainfo.

        Returns:
            dict: ``loss_triplet`` (0, still attached to the graph, when the batch has no
            triplet) and ``active_triplets``, the share of triplets with a positive loss
            (logged, not optimised).
        """
        ids = self._design_ids(data_samples)
        if len(ids) != inputs.shape[0]:
            raise ValueError(f'got {inputs.shape[0]} images but {len(ids)} data samples')
        feats = self.extract_feat(inputs)
        generator = torch.Generator().manual_seed(int(sum(ids)) % (2**31))
        dist = euclidean_distance(feats, feats).detach() if self.hard_negatives else None
        a, p, n = design_triplets(ids, generator, distances=dist)
        loss, active = triplet_loss(feats[a], feats[p], feats[n], self.margin)
        return dict(loss_triplet=loss, active_triplets=active)
