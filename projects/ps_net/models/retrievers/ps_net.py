"""PSNetRetriever: PS-Net (Lang et al., CVPR 2020) as an mmpretrain image-to-image retriever.

Two branches with the same backbone type and separate weights (section 3.1):

* landmark branch (``landmark_branch``: mmpose HRNet -> ``PSNetFeatureNeck`` ->
  ``PSNetLandmarkHead``; usually loaded from a trained landmark checkpoint and frozen): heatmaps
  of the 294 DeepFashion2 slots, decoded to landmarks of the garment's category;
* retrieval branch (``backbone`` -> ``neck``): F; ``PSNetLandmarkAttention`` gives
  F' = F o (1/2 + A); the landmarks give five region boxes (``divide_regions``); each region is
  RoIAligned on F' and embedded by its own small head into an L2-normalised ``f_r``.

Outputs: the five region features (plagiarism output) and their normalised concatenation (the
"Fashion Output", identical retrieval). Similarity is eq. 1 with the per-category region weights
lambda, a persistent buffer ``region_weights`` of shape ``[categories, 5]`` (learned by
``PSNetRegionWeightHook``, saved in every checkpoint, used by ``tools/test.py``).

The number of regions is :attr:`PSNetRetriever.num_regions` (5, :data:`REGIONS`) and the boxes
and the map they are pooled from come from one hook, :meth:`PSNetRetriever.region_layout`, so a
baseline with another division (``PSNetPCBRetriever``: six stripes on F) shares the rest.

``forward(mode='tensor')`` returns one flat vector per image, ``[f_1..f_5 (5 * D), valid (5),
category index (1)]``, which is what mmpretrain's prototype (gallery) extraction stores;
``predict`` scores queries against it with eq. 1 (``task='plagiarized'``) or with the cosine of
the Fashion Outputs (``task='identical'``).

Category of an image: ``df2_category_id`` from the data sample when known (the synthetic set,
a detector); otherwise the DeepFashion2 category, among those of the sample's PS-Net
``category`` (or among all searched ones), whose slots get the highest mean heatmap score.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.retrievers import ImageToImageRetriever
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from ...datasets.category_map import DF2_SEARCHED, DF2_TO_PSNET, PSNET_CATEGORIES
from ...datasets.df2_layout import df2_slot_range
from ..losses import copy_region_triplets, region_distance_matrix, region_triplet_loss
from ..losses.copy_triplets import REFERENCE_RELATIONS
from ..regions import REGIONS, RegionPooling, divide_regions
from .score_matching import ScoreMatchingMixin
from .similarity import region_similarity


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

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.neck(self.backbone(x)))


@MODELS.register_module()
class PSNetRetriever(ScoreMatchingMixin, ImageToImageRetriever):
    """PS-Net retriever.

    Args:
        backbone, neck: retrieval branch (mmpose ``HRNet`` + ``PSNetFeatureNeck`` configs).
        landmark_branch: ``dict(backbone, neck, head)`` mmpose configs of the landmark model.
        landmark_checkpoint: checkpoint of a trained landmark config to load into the landmark
            branch (keys ``backbone.``, ``neck.``, ``head.``), or None.
        freeze_landmarks: keep the landmark branch frozen (eval mode, no gradient).
        attention: ``PSNetLandmarkAttention`` config (``enabled=False``: the no-attention rows).
        feat_channels: channels of F.
        embed_dim: ``D`` of each region feature.
        roi_size: RoIAlign output side.
        input_size: model input ``(w, h)``; F is at stride ``feature_stride``.
        feature_stride: input size / F size (8 for PS-Net's 28 x 28 at 224).
        categories: row names of ``region_weights`` (PS-Net's four).
        margin: triplet margin (eq. 2).
        fashion_loss_weight: weight of the Fashion Output's triplet loss (identical retrieval).
        copy_loss_weight: weight of the region triplets from plagiarized copies in the batch
            (:func:`~ps_net.models.losses.copy_region_triplets`; an extension of the paper that
            makes region features local). 0 (default) is the paper's pre-train.
        hard_negatives: pick each anchor's negative as the batch image of another design
            closest to it (mean ``D_r`` over the regions both have, no gradient; batch-hard
            mining, Hermans et al. 2017) instead of a random one. False (default) is the
            paper's.
        landmark_score_thr: landmark confidence for region division (else template fallback).
        task: ``'plagiarized'`` (eq. 1 on region features) or ``'identical'`` (Fashion Output).
        init_retrieval_from_landmarks: also initialise the retrieval branch (backbone + neck)
            from ``landmark_checkpoint`` (see :meth:`load_retrieval_from_landmarks`).
        train_network: False for the region-weight phase with a frozen network (the default
            of the paper's fine-tune): ``loss`` then returns a zero loss without a forward
            pass and ``PSNetRegionWeightHook`` does the work; True continues eq. 2-3.
        prototype, data_preprocessor, init_cfg: as mmpretrain's ``ImageToImageRetriever``.
    """

    #: Regions per image (rows of every region tensor, columns of ``region_weights``): the five
    #: of :data:`REGIONS`; a subclass with another division sets its own before ``__init__``.
    num_regions: int = len(REGIONS)

    def __init__(self, backbone: dict, neck: dict, landmark_branch: dict,
                 prototype, landmark_checkpoint: Optional[str] = None,
                 freeze_landmarks: bool = True, attention: Optional[dict] = None,
                 feat_channels: int = 1024, embed_dim: int = 128, roi_size: int = 4,
                 input_size: Tuple[int, int] = (224, 224), feature_stride: int = 8,
                 categories: Sequence[str] = PSNET_CATEGORIES, margin: float = 0.2,
                 fashion_loss_weight: float = 1.0, copy_loss_weight: float = 0.0,
                 hard_negatives: bool = False, landmark_score_thr: float = 0.3,
                 task: str = 'plagiarized', train_network: bool = True,
                 init_retrieval_from_landmarks: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if task not in ('plagiarized', 'identical'):
            raise ValueError(f"task must be 'plagiarized' or 'identical', got {task!r}")
        if not copy_loss_weight >= 0:
            raise ValueError(f'copy_loss_weight must be >= 0, got {copy_loss_weight!r}')
        if not isinstance(hard_negatives, bool):
            raise TypeError(f'hard_negatives must be a bool, got {hard_negatives!r}')
        if embed_dim < 1 or roi_size < 1 or feature_stride < 1:
            raise ValueError(f'embed_dim, roi_size and feature_stride must be >= 1, got '
                             f'{embed_dim!r}, {roi_size!r}, {feature_stride!r}')
        retrieval = nn.Sequential(_build_mmpose(backbone), _build_mmpose(neck))
        super().__init__(image_encoder=retrieval, prototype=prototype,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self._init_landmark_branch(landmark_branch, landmark_checkpoint, freeze_landmarks,
                                   attention, feat_channels)
        self.input_size = tuple(input_size)
        self.pool = RegionPooling(roi_size, 1.0 / feature_stride)
        self.embed = nn.ModuleList(
            nn.Sequential(nn.Flatten(), nn.Linear(feat_channels * roi_size**2, embed_dim))
            for _ in range(self.num_regions))
        self.categories = tuple(categories)
        self.register_buffer('region_weights', torch.full((len(self.categories), self.num_regions),
                                                          1 / self.num_regions))
        self.embed_dim = embed_dim
        self.margin = margin
        self.fashion_loss_weight = fashion_loss_weight
        self.copy_loss_weight = float(copy_loss_weight)
        self.hard_negatives = hard_negatives
        self.landmark_score_thr = landmark_score_thr
        self.task = task
        self.train_network = train_network
        self.init_retrieval_from_landmarks = bool(init_retrieval_from_landmarks)
        if not train_network:
            self.requires_grad_(False)

    # ------------------------------------------------------------------ landmark branch
    def _init_landmark_branch(self, landmark_branch: Optional[dict],
                              landmark_checkpoint: Optional[str], freeze_landmarks: bool,
                              attention: Optional[dict], feat_channels: int) -> None:
        """Build ``landmarks`` and ``attention`` (a subclass without them overrides this)."""
        self.landmarks = LandmarkBranch(**landmark_branch)
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

        The paper starts both branches from an ImageNet HRNet; configs without one (the CPU
        configs: no download here) start the retrieval branch from the trained landmark
        branch's HRNet and neck instead (``init_retrieval_from_landmarks=True``). The two
        branches keep separate weights: only the retrieval copy is trained.
        """
        state = self._landmark_state(path)
        mapped = {('0.' if k.startswith('backbone.') else '1.') + k.split('.', 1)[1]: v
                  for k, v in state.items() if k.split('.')[0] in ('backbone', 'neck')}
        self.image_encoder.load_state_dict(mapped, strict=True)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_landmarks:
            self.landmarks.eval()
        return self

    def _decode(self, heatmaps: Tensor) -> Tuple[np.ndarray, np.ndarray]:
        """Argmax landmarks (input pixels) and their heatmap maxima."""
        from mmpose.codecs.utils import get_heatmap_maximum
        hm = heatmaps.detach().float().cpu().numpy()
        locs, vals = get_heatmap_maximum(hm.reshape(-1, *hm.shape[2:]))
        b, k = hm.shape[:2]
        scale = np.array([self.input_size[0] / hm.shape[3], self.input_size[1] / hm.shape[2]])
        locs = locs.reshape(b, k, 2) * scale + scale / 2 - 0.5
        return locs, vals.reshape(b, k)

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
        locs, vals = self._decode(heatmaps)
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
        """Region features ``(B, R, D)`` (zero where invalid) and the region bookkeeping."""
        info, feat = self.region_layout(inputs, data_samples)
        pooled = self.pool(feat, info['boxes'])
        f = torch.stack([F.normalize(head(pooled[:, r]), dim=-1)
                         for r, head in enumerate(self.embed)], 1)
        info['feats'] = f * info['valid'][..., None].to(f.dtype)
        return info

    def extract_feat(self, inputs: Tensor, data_samples=None) -> Tensor:
        """Flat ``[f_1..f_R, valid, category]`` vectors (what the prototype stores)."""
        return self.flatten(self.region_features(inputs, data_samples))

    @staticmethod
    def flatten(info: Dict[str, Tensor]) -> Tensor:
        """The flat vectors of :meth:`region_features`' output (layout of ``split_flat``)."""
        b = info['feats'].shape[0]
        return torch.cat([info['feats'].reshape(b, -1), info['valid'].float(),
                          info['category'].float()[:, None]], 1)

    def split_flat(self, vecs: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Inverse of :meth:`extract_feat`'s layout: feats, valid, category index."""
        r, d = self.num_regions, self.embed_dim
        feats = vecs[:, :r * d].reshape(-1, r, d)
        valid = vecs[:, r * d:r * d + r] > 0.5
        cat = vecs[:, -1].round().long()
        return feats, valid, cat

    # ------------------------------------------------------------------ matching
    def scores(self, query: Tensor, gallery: Tensor) -> Tensor:
        """``(Q, G)`` similarity of flat vectors: eq. 1, or the Fashion Output cosine."""
        qf, qv, qc = self.split_flat(query)
        gf, gv, _ = self.split_flat(gallery)
        if self.task == 'identical':
            return F.normalize(qf.flatten(1), dim=-1) @ F.normalize(gf.flatten(1), dim=-1).T
        return region_similarity(qf, qv, gf, gv, self.region_weights[qc])

    # ------------------------------------------------------------------ training
    @staticmethod
    def _triplets(design_ids: Sequence[int], generator: torch.Generator,
                  eligible: Optional[Sequence[bool]] = None,
                  distances: Optional[Tensor] = None
                  ) -> Tuple[List[int], List[int], List[int]]:
        """Anchor, positive (same design), negative (another design) per anchor, among the
        ``eligible`` images (all by default; the references when a batch also holds
        plagiarized copies, which are no identical positives).

        The negative is random, or with ``distances`` (an ``(N, N)`` matrix) the closest
        eligible image of another design (batch-hard mining).

        Example:
            >>> ids, g = [7, 7, 8, 8, 9, 9], torch.Generator().manual_seed(0)
            >>> d = torch.full((6, 6), 2.0)
            >>> d[0, 5] = 0.5  # image 5 (design 9) is image 0's closest other design
            >>> a, p, n = PSNetRetriever._triplets(ids, g, distances=d)
            >>> a, p, n[0]
            ([0, 1, 2, 3, 4, 5], [1, 0, 3, 2, 5, 4], 5)
        """
        ids = np.asarray(design_ids)
        ok = np.ones(len(ids), bool) if eligible is None else np.asarray(eligible, bool)
        if distances is not None and tuple(distances.shape) != (len(ids), len(ids)):
            raise ValueError(f'distances must have shape ({len(ids)}, {len(ids)}), got '
                             f'{tuple(distances.shape)}')
        a, p, n = [], [], []
        for i, d in enumerate(ids):
            if not ok[i]:
                continue
            pos = np.nonzero((ids == d) & (np.arange(len(ids)) != i) & ok)[0]
            neg = np.nonzero((ids != d) & ok)[0]
            if len(pos) and len(neg):
                a.append(i)
                p.append(int(pos[torch.randint(len(pos), (1, ), generator=generator)]))
                if distances is None:
                    n.append(int(neg[torch.randint(len(neg), (1, ), generator=generator)]))
                else:
                    n.append(int(neg[int(distances[i, torch.as_tensor(neg)].argmin())]))
        return a, p, n

    def loss(self, inputs: Tensor, data_samples) -> Dict[str, Tensor]:
        """Eq. 2-3 on region features and a triplet loss on the Fashion Output.

        Triplets come from the batch (a P x K design sampler gives every anchor a positive):
        I+ shares the design, I- is a random other design in the batch (the closest one with
        ``hard_negatives``); only references (``original`` / ``identical``) form these. With
        ``copy_loss_weight > 0`` the batch's plagiarized copies add the kept / changed region
        triplets of :func:`~ps_net.models.losses.copy_region_triplets` (``loss_copy``).
        """
        if not self.train_network:  # frozen: the region-weight hook learns lambda
            anchor = next(iter(self.embed.parameters()))
            return dict(loss_frozen=anchor.sum() * 0 + torch.zeros((), requires_grad=True))
        info = self.region_features(inputs, data_samples)
        ids = [int(s.get('design_id')) for s in data_samples]
        rel = [s.get('relation', 'original') for s in data_samples]
        gen = torch.Generator().manual_seed(int(sum(ids)) % (2**31))
        f, valid = info['feats'], info['valid']
        a, p, n = self._triplets(ids, gen, [r in REFERENCE_RELATIONS for r in rel],
                                 region_distance_matrix(f, valid) if self.hard_negatives
                                 else None)
        zero = f.sum() * 0
        losses = dict(loss_region=zero, loss_fashion=zero, active=zero.detach(),
                      fallback=info['fallback'].float().mean().detach())
        if a:
            loss, active = region_triplet_loss(f[a], f[p], f[n], self.margin,
                                               valid=[valid[a], valid[p], valid[n]])
            g = F.normalize(f.flatten(1), dim=-1)
            d_ap = (g[a] - g[p]).norm(dim=-1)
            d_an = (g[a] - g[n]).norm(dim=-1)
            fashion = F.relu(d_ap - d_an + self.margin).mean()
            losses.update(loss_region=loss, loss_fashion=fashion * self.fashion_loss_weight,
                          active=active.detach().float())
        if self.copy_loss_weight > 0:
            losses.update(self._copy_loss(f, valid, ids, rel, data_samples, gen))
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
        loss, active = region_triplet_loss(f[a], f[p], f[n], self.margin,
                                           valid=[counted, valid[a], valid[p], valid[n]])
        return dict(loss_copy=loss * self.copy_loss_weight, active_copy=active.float())

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
        ids = np.array([int(s.get('design_id')) for s in samples])
        rel = [s.get('relation') for s in samples]
        cat = info['category'].cpu().numpy()
        f, valid = info['feats'], info['valid']
        a, p, n = [], [], []
        for i in range(len(samples)):
            if rel[i] != 'original':
                continue
            pos = [j for j in range(len(samples)) if ids[j] == ids[i] and rel[j] == 'plagiarized']
            neg = [j for j in range(len(samples)) if ids[j] != ids[i] and cat[j] == cat[i]]
            for j in pos:
                for k in neg:
                    a.append(i), p.append(j), n.append(k)
        if not a:
            empty = f.new_zeros((0, self.num_regions))
            return dict(category_index=torch.zeros(0, dtype=torch.long), d_ap=empty,
                        d_an=empty, valid=empty.bool())
        return dict(category_index=info['category'][a].cpu(),
                    d_ap=(f[a] - f[p]).norm(dim=-1).cpu(), d_an=(f[a] - f[n]).norm(dim=-1).cpu(),
                    valid=(valid[a] & valid[p] & valid[n]).cpu())
