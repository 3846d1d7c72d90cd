"""PSNetRetriever: PS-Net (Lang et al., CVPR 2020) as an mmpretrain image-to-image retriever.

Two branches with the same backbone type and separate weights (section 3.1):

* the landmark branch (``landmark_branch``: mmpose HRNet -> ``PSNetFeatureNeck`` ->
  ``PSNetLandmarkHead``, usually loaded from a trained landmark checkpoint and frozen) gives
  heatmaps of the 294 DeepFashion2 slots; the landmark head's codec decodes them (the path of
  mmpose's ``predict``) into the landmarks of the garment's category, which give the region
  boxes (``divide_regions``);
* the retrieval branch (``backbone`` -> ``neck``) gives F; ``PSNetLandmarkAttention`` gives
  F' = F o (1/2 + A); the head (``head``, a ``PSNetRegionHead``) pools and embeds the regions
  of F' into L2-normalised region features ``f_r``, their Fashion Output and the losses.

``forward(mode='tensor')`` returns the head's flat vector per image, ``[f_1..f_R, valid,
category index]``, which the prototype (gallery) stores; ``predict`` scores queries against
it with eq. 1 (:func:`~ps_net.structures.region_similarity`, ``task='plagiarized'``) using
the per-category region weights lambda, the persistent buffer ``region_weights`` of shape
``[categories, R]``, or with the cosine of the Fashion Outputs (``task='identical'``).

Category of an image: ``df2_category_id`` from the data sample when known; otherwise the
DeepFashion2 category, among those of the sample's PS-Net ``category`` (or among all searched
ones), whose slots get the highest mean heatmap score.
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.model import BaseModule, Sequential
from mmpretrain.models.retrievers import ImageToImageRetriever
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from ...structures import (DF2_SEARCHED, DF2_TO_PSNET, PSNET_CATEGORIES, REGIONS, df2_slot_range,
                           region_similarity)
from ..losses import plagiarism_triplet_distances
from ..regions import divide_regions
from .score_matching import ScoreMatchingMixin


def _build_mmpose(cfg: dict) -> nn.Module:
    from mmpose.registry import MODELS as POSE_MODELS
    return POSE_MODELS.build(cfg)


class LandmarkBranch(BaseModule):
    """HRNet -> neck -> landmark head (mmpose modules), heatmaps at the head's resolution."""

    def __init__(self, backbone: dict, neck: dict, head: dict) -> None:
        super().__init__()
        self.backbone = _build_mmpose(backbone)
        self.neck = _build_mmpose(neck)
        self.head = _build_mmpose(head)
        if getattr(self.head, 'decoder', None) is None:
            raise ValueError(f'the landmark head needs a decoder (its codec, e.g. '
                             f"dict(type='MSRAHeatmap', ...)), got head config {head!r}")

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.neck(self.backbone(x)))

    def decode(self, heatmaps: Tensor) -> Tuple[np.ndarray, np.ndarray]:
        """Landmarks ``(B, K, 2)`` in input pixels and their scores ``(B, K)``: the head's
        ``decode`` (its codec's, e.g. ``MSRAHeatmap.decode``), as in mmpose's ``predict``."""
        size = tuple(self.head.decoder.heatmap_size)
        if tuple(heatmaps.shape[-1:-3:-1]) != size:
            raise ValueError(f'heatmaps of shape {tuple(heatmaps.shape)} do not match the '
                             f'codec heatmap_size (w, h) = {size}')
        preds = self.head.decode(heatmaps)
        return (np.stack([p.keypoints[0] for p in preds]),
                np.stack([p.keypoint_scores[0] for p in preds]))


@MODELS.register_module()
class PSNetRetriever(ScoreMatchingMixin, ImageToImageRetriever):
    """PS-Net retriever.

    Args:
        backbone, neck: retrieval branch (mmpose ``HRNet`` + ``PSNetFeatureNeck`` configs);
            ``neck=None``: F is the backbone's last map.
        landmark_branch: ``dict(backbone, neck, head)`` mmpose configs of the landmark model
            (the head with a ``decoder``, the codec its heatmaps are decoded with).
        prototype: the gallery, as mmpretrain's ``ImageToImageRetriever``.
        head: ``PSNetRegionHead`` config; ``num_regions`` and ``in_channels`` default to the
            retriever's :attr:`num_regions` and ``feat_channels``.
        landmark_checkpoint: checkpoint of a trained landmark config to load into the landmark
            branch (keys ``backbone.``, ``neck.``, ``head.``), or None.
        freeze_landmarks: keep the landmark branch frozen (eval mode, no gradient).
        attention: ``PSNetLandmarkAttention`` config (``enabled=False``: the no-attention rows).
        feat_channels: channels of F.
        input_size: model input ``(w, h)``, the landmark codec's ``input_size``.
        categories: row names of ``region_weights`` (PS-Net's four).
        landmark_score_thr: landmark confidence for region division (else template fallback).
        task: ``'plagiarized'`` (eq. 1 on region features) or ``'identical'`` (Fashion Output).
        train_network: False for the region-weight phase with a frozen network: every
            parameter is frozen and :meth:`train_step` does nothing (``PSNetRegionWeightHook``
            fits lambda); True trains with the head's losses (eq. 2-3).
        init_retrieval_from_landmarks: also initialise the retrieval branch (backbone + neck)
            from ``landmark_checkpoint`` (see :meth:`load_retrieval_from_landmarks`).
        data_preprocessor, init_cfg: as mmpretrain's ``ImageToImageRetriever``.
    """

    #: Regions per image (rows of every region tensor, columns of ``region_weights``): the five
    #: of :data:`REGIONS`; a subclass with another division sets its own before ``__init__``.
    num_regions: int = len(REGIONS)

    def __init__(self, backbone: dict, neck: Optional[dict], landmark_branch: Optional[dict],
                 prototype, head: dict, landmark_checkpoint: Optional[str] = None,
                 freeze_landmarks: bool = True, attention: Optional[dict] = None,
                 feat_channels: int = 1024, input_size: Tuple[int, int] = (224, 224),
                 categories: Sequence[str] = PSNET_CATEGORIES, landmark_score_thr: float = 0.3,
                 task: str = 'plagiarized', train_network: bool = True,
                 init_retrieval_from_landmarks: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if task not in ('plagiarized', 'identical'):
            raise ValueError(f"task must be 'plagiarized' or 'identical', got {task!r}")
        # mmengine's Sequential, not torch's: its init_weights reaches the backbone's
        # init_cfg (a torch Sequential is skipped by BaseModule.init_weights)
        retrieval = Sequential(_build_mmpose(backbone),
                                  *([] if neck is None else [_build_mmpose(neck)]))
        super().__init__(image_encoder=retrieval, prototype=prototype,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.input_size = tuple(input_size)
        self._init_landmark_branch(landmark_branch, landmark_checkpoint, freeze_landmarks,
                                   attention, feat_channels)
        self.head = self._build_head(head, feat_channels)
        self.categories = tuple(categories)
        self.register_buffer('region_weights', torch.full((len(self.categories), self.num_regions),
                                                          1 / self.num_regions))
        self.landmark_score_thr = landmark_score_thr
        self.task = task
        self.train_network = train_network
        self.init_retrieval_from_landmarks = bool(init_retrieval_from_landmarks)
        if not train_network:
            self.requires_grad_(False)

    def _build_head(self, head: dict, feat_channels: int) -> nn.Module:
        """The region head, its ``num_regions`` / ``in_channels`` filled in and checked."""
        cfg = dict(head)
        for key, value in (('num_regions', self.num_regions), ('in_channels', feat_channels)):
            if cfg.setdefault(key, value) != value:
                raise ValueError(f'head.{key} must be {value} (the retriever\'s), got '
                                 f'{cfg[key]!r}')
        return MODELS.build(cfg)

    # ------------------------------------------------------------------ landmark branch
    def _init_landmark_branch(self, landmark_branch: Optional[dict],
                              landmark_checkpoint: Optional[str], freeze_landmarks: bool,
                              attention: Optional[dict], feat_channels: int) -> None:
        """Build ``landmarks`` and ``attention`` (a subclass without them overrides this)."""
        self.landmarks = LandmarkBranch(**landmark_branch)
        codec_size = tuple(self.landmarks.head.decoder.input_size)
        if codec_size != self.input_size:
            raise ValueError(f'the landmark codec decodes to input_size {codec_size}, but the '
                             f'retriever\'s input_size is {self.input_size}')
        self.freeze_landmarks = freeze_landmarks
        self.landmark_checkpoint = landmark_checkpoint
        if freeze_landmarks:
            self.landmarks.requires_grad_(False)
        num_landmarks = landmark_branch['head']['out_channels']
        attention = dict(attention or {})
        attention.setdefault('type', 'PSNetLandmarkAttention')
        attention.update(in_channels=feat_channels, num_landmarks=num_landmarks)
        self.attention = MODELS.build(attention)

    def init_weights(self) -> None:
        """Initialise, then load the landmark checkpoint (after, so the Runner's
        ``init_weights`` cannot overwrite the trained landmark branch)."""
        super().init_weights()
        if self.landmark_checkpoint:
            if self.landmarks is not None:
                self.load_landmark_checkpoint(self.landmark_checkpoint)
            if self.init_retrieval_from_landmarks:
                self.load_retrieval_from_landmarks(self.landmark_checkpoint)

    @staticmethod
    def _landmark_state(path: str) -> Dict[str, Tensor]:
        """The ``backbone.``/``neck.``/``head.`` weights of a landmark config's checkpoint."""
        from mmengine.runner import CheckpointLoader
        state = CheckpointLoader.load_checkpoint(path, map_location='cpu')
        state = state.get('state_dict', state)
        return {k: v for k, v in state.items() if k.split('.')[0] in ('backbone', 'neck', 'head')}

    def load_landmark_checkpoint(self, path: str) -> None:
        """Load a landmark config's checkpoint (``backbone.``/``neck.``/``head.`` keys)."""
        # strict: a checkpoint of another architecture fails loudly here
        self.landmarks.load_state_dict(self._landmark_state(path), strict=True)

    def load_retrieval_from_landmarks(self, path: str) -> None:
        """Initialise the retrieval branch (HRNet + neck) with a landmark checkpoint's.

        The two branches keep separate weights: only the retrieval copy is trained.
        """
        state = self._landmark_state(path)
        mapped = {('0.' if k.startswith('backbone.') else '1.') + k.split('.', 1)[1]: v
                  for k, v in state.items() if k.split('.')[0] in ('backbone', 'neck')}
        self.image_encoder.load_state_dict(mapped, strict=True)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        """Load, mapping region embeddings saved on the retriever (``embed.N``) to the head
        (``head.embed.N``)."""
        for key in [k for k in state_dict if k.startswith(prefix + 'embed.')]:
            state_dict[prefix + 'head.' + key[len(prefix):]] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_landmarks:
            self.landmarks.eval()
        return self

    def _category(self, scores: np.ndarray, sample) -> int:
        cid = sample.get('df2_category_id') if sample is not None else None
        if cid is not None:
            return int(cid)
        psnet = sample.get('category') if sample is not None else None
        cands = [c for c in DF2_SEARCHED if psnet is None or DF2_TO_PSNET[c] == psnet]
        means = [scores[slice(*df2_slot_range(c))].mean() for c in cands]
        return int(cands[int(np.argmax(means))])

    def regions(self, heatmaps: Tensor, data_samples=None) -> Dict[str, Tensor]:
        """Region boxes (input pixels), validity, fallback flags and categories of a batch."""
        locs, vals = self.landmarks.decode(heatmaps)
        b = heatmaps.shape[0]
        boxes, valid, fallback, cat = [], [], [], []
        w, h = self.input_size
        garment = (w * 0.1, h * 0.1, w * 0.9, h * 0.9)  # the crop's margin is 1.25
        for i in range(b):
            sample = data_samples[i] if data_samples is not None else None
            cid = self._category(vals[i], sample)
            s, e = df2_slot_range(cid)
            div = divide_regions(cid, locs[i, s:e], vals[i, s:e], bbox=garment,
                                 score_thr=self.landmark_score_thr)
            boxes.append(np.clip(div.boxes, 0, [w, h, w, h]))
            valid.append(div.valid)
            fallback.append(div.fallback)
            cat.append(self.categories.index(DF2_TO_PSNET[cid]))
        dev = heatmaps.device
        return dict(boxes=torch.as_tensor(np.stack(boxes), dtype=torch.float32, device=dev),
                    valid=torch.as_tensor(np.stack(valid), device=dev),
                    fallback=torch.as_tensor(np.stack(fallback), device=dev),
                    category=torch.as_tensor(cat, device=dev))

    # ------------------------------------------------------------------ features
    def feature_map(self, inputs: Tensor) -> Tensor:
        """F, the retrieval branch's feature map ``(B, feat_channels, h / stride, w / stride)``."""
        feat = self.image_encoder(inputs)
        return feat[-1] if isinstance(feat, (tuple, list)) else feat

    def region_layout(self, inputs: Tensor, data_samples=None
                      ) -> Tuple[Dict[str, Tensor], Tensor]:
        """The region bookkeeping of :meth:`regions` (``boxes`` ``(B, R, 4)`` in input pixels,
        ``valid``, ``fallback``, ``category``) and the map the boxes are pooled from, F'."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_landmarks):
            heatmaps = self.landmarks(inputs)
        info = self.regions(heatmaps, data_samples)
        feat = self.attention(self.feature_map(inputs), heatmaps)
        return info, feat

    def region_features(self, inputs: Tensor, data_samples=None) -> Dict[str, Tensor]:
        """Region features ``feats`` ``(B, R, D)`` (zero where invalid) and the region
        bookkeeping of :meth:`region_layout`."""
        info, feat = self.region_layout(inputs, data_samples)
        info['feats'] = self.head(feat, info['boxes'], info['valid'])
        return info

    def extract_feat(self, inputs: Tensor, data_samples=None) -> Tensor:
        """Flat ``[f_1..f_R, valid, category]`` vectors (what the prototype stores)."""
        info, feat = self.region_layout(inputs, data_samples)
        return self.head.predict(feat, info['boxes'], info['valid'], info['category'])

    def flatten(self, info: Dict[str, Tensor]) -> Tensor:
        """The flat vectors of :meth:`region_features`' output (layout of ``split_flat``)."""
        return self.head.flatten(info['feats'], info['valid'], info['category'])

    def split_flat(self, vecs: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Inverse of :meth:`extract_feat`'s layout: feats, valid, category index."""
        return self.head.split_flat(vecs)

    # ------------------------------------------------------------------ matching
    def scores(self, query: Tensor, gallery: Tensor) -> Tensor:
        """``(Q, G)`` similarity of flat vectors: eq. 1, or the Fashion Output cosine."""
        qf, qv, qc = self.split_flat(query)
        gf, gv, _ = self.split_flat(gallery)
        if self.task == 'identical':
            return self.head.fashion_output(qf) @ self.head.fashion_output(gf).T
        return region_similarity(qf, qv, gf, gv, self.region_weights[qc])

    # ------------------------------------------------------------------ training
    def loss(self, inputs: Tensor, data_samples) -> Dict[str, Tensor]:
        """The head's losses (:meth:`PSNetRegionHead.loss_by_feat`) and ``fallback``, the
        share of regions placed by the template fallback (logged)."""
        info, feat = self.region_layout(inputs, data_samples)
        losses = self.head.loss(feat, info['boxes'], info['valid'], data_samples)
        losses['fallback'] = info['fallback'].float().mean().detach()
        return losses

    def train_step(self, data, optim_wrapper) -> Dict[str, Tensor]:
        """mmengine's training step; with ``train_network=False`` nothing at all: no forward
        pass, no call of ``optim_wrapper``, no log entry (the region-weight hook works on the
        batch after the step)."""
        if not self.train_network:
            return {}
        return super().train_step(data, optim_wrapper)

    @torch.no_grad()
    def plagiarism_distances(self, data_batch: dict) -> Dict[str, Tensor]:
        """Eq. 4-6 inputs for ``PSNetRegionWeightHook``: per-region distances of triplets
        (I an original, I+ a plagiarized copy of it, I- another design of I's category)."""
        data = self.data_preprocessor(data_batch, False)
        samples = data['data_samples']
        was_training = self.training
        self.eval()  # no BatchNorm statistics update from this extra pass
        try:
            info = self.region_features(data['inputs'], samples)
        finally:
            self.train(was_training)
        return plagiarism_triplet_distances(
            info['feats'], info['valid'], info['category'],
            [int(s.get('design_id')) for s in samples], [s.get('relation') for s in samples])
