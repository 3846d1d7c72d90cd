"""Normalized error (NE) of fashion landmarks, as the DeepFashion-C landmark protocol defines it.

In an mmpose top-down pipeline the crop is the box ``input_center`` / ``input_scale`` set by
``TopdownAffine`` (after ``GetBBoxCenterScale``'s padding and the aspect-ratio fix), both in
original-image pixels, and ``PackPoseInputs`` keeps both as data-sample metainfo by default.
Predictions (``pred_instances.keypoints``) and ground truth (``gt_instances.keypoints``) are in
original-image pixels too, so the error is measured against the crop size (see
:class:`PSNetNormalizedError`).
"""
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmpose.registry import METRICS

__all__ = ['PSNetNormalizedError', 'normalized_distances']

_AVERAGES = ('point', 'keypoint')


def _as_array(value: Any, name: str) -> np.ndarray:
    """Convert a numpy array, torch tensor or nested sequence to a float64 numpy array."""
    if hasattr(value, 'detach'):  # torch.Tensor
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f'{name} must be numeric, got {value!r}') from err


def normalized_distances(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray,
                          norm_wh: np.ndarray) -> np.ndarray:
    """Validate the inputs of :meth:`PSNetNormalizedError.calculate` and return the per-point
    normalized distances, ``N x K``, NaN where ``mask`` is False."""
    pred = _as_array(pred, 'pred')
    gt = _as_array(gt, 'gt')
    norm_wh = _as_array(norm_wh, 'norm_wh')
    mask = np.asarray(mask)
    if pred.ndim != 3 or pred.shape[-1] != 2:
        raise ValueError(f'pred must be N x K x 2, got shape {pred.shape}')
    if gt.shape != pred.shape:
        raise ValueError(f'gt must have the shape of pred {pred.shape}, got {gt.shape}')
    if mask.shape != pred.shape[:2]:
        raise ValueError(f'mask must be N x K = {pred.shape[:2]}, got shape {mask.shape}')
    if mask.dtype != np.bool_:
        raise ValueError(f'mask must be boolean, got dtype {mask.dtype}')
    if norm_wh.shape != (pred.shape[0], 2):
        raise ValueError(f'norm_wh must be N x 2 = {(pred.shape[0], 2)}, got shape '
                         f'{norm_wh.shape}')
    used = mask.any(axis=1)
    bad = used & ~(np.isfinite(norm_wh) & (norm_wh > 0)).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f'norm_wh must be finite and > 0 for every instance with a labelled '
                         f'point, got {norm_wh[i].tolist()} for instance {i}')
    dist = np.full(mask.shape, np.nan)
    rel = (pred - gt) / np.where(used[:, None], norm_wh, 1.0)[:, None, :]
    dist[mask] = np.linalg.norm(rel[mask], axis=-1)
    return dist


def _average(dist: np.ndarray, slots: np.ndarray, average: str) -> float:
    """Mean of 1-D ``dist``: over points (``'point'``) or over slots of per-slot means."""
    if dist.size == 0:
        return float('nan')
    if average == 'point':
        return float(dist.mean())
    uniq, inverse = np.unique(slots, return_inverse=True)
    sums = np.bincount(inverse, weights=dist, minlength=len(uniq))
    counts = np.bincount(inverse, minlength=len(uniq))
    return float((sums / counts).mean())


@METRICS.register_module()
class PSNetNormalizedError(BaseMetric):
    """Landmark normalized error (NE), the DeepFashion-C landmark protocol, for mmpose.

    Protocol (DeepFashion, Liu et al. 2016): NE is "the L2 distance between predicted and
    ground-truth landmarks in the normalized coordinate space (i.e. normalized with respect to
    the width/height of the image)", averaged over the labelled landmarks. Here the image is
    the top-down crop (``input_center``, ``input_scale``), so a point's error is
    ``sqrt((dx / scale_w) ** 2 + (dy / scale_h) ** 2)``. Lower is better.

    Which points count: a slot counts when its ground-truth visibility is > 0 (mmpose's
    ``keypoints_visible``; DeepFashion2 v=1 "occluded but labelled" counts, v=0 "absent" does
    not). A slot must also belong to the instance's category; in mmpose's DeepFashion2 data the
    slots outside the garment's category block of the 294-slot layout are stored with v=0, so
    ``keypoints_visible > 0`` already implies it and no category mask is applied.

    Categories (``per_category=True``): ``PackPoseInputs`` keeps the instance's ``category_id``
    as data-sample *metainfo* (its default ``meta_keys`` include it; it is not in
    ``gt_instances``). mmpose's COCO-style datasets set it in top-down mode from the annotation,
    so ``data_sample['category_id']`` is read; names come from ``dataset_meta['CLASSES']`` (the
    COCO ``categories``), else the id is used. Samples without it raise a ``ValueError``
    (e.g. a custom ``meta_keys`` or mmpose's detection-box test mode, which drops it).

    The ground truth must be real: in detection-box test mode (``bbox_file``) mmpose fills
    ``gt_instances.keypoints`` with dummy zeros, and NE is meaningless.

    Args:
        per_category: Also report ``NE/<category name>`` for each category seen.
        average: ``'point'`` (default) pools all labelled points of all instances, as the
            protocol reads. ``'keypoint'`` first averages each slot over the instances where it
            is labelled and then averages the slots, which matches the ``Avg.`` column of
            per-landmark DeepFashion-C tables.
        collect_device: ``'cpu'`` or ``'gpu'``, for collecting results across ranks.
        prefix: Prefix of the metric names; ``None`` (default) keeps mmpose-style plain keys,
            so logs and ``save_best`` read ``NE``.

    Example:
        >>> import numpy as np
        >>> from mmengine.structures import InstanceData
        >>> from mmpose.structures import PoseDataSample
        >>> sample = PoseDataSample(metainfo=dict(input_center=np.array([50., 25.]),
        ...                                       input_scale=np.array([100., 50.])))
        >>> sample.gt_instances = InstanceData(keypoints=np.zeros((1, 2, 2)),
        ...                                    keypoints_visible=np.array([[1., 0.]]))
        >>> sample.pred_instances = InstanceData(keypoints=np.array([[[3., 4.], [90., 9.]]]),
        ...                                      keypoint_scores=np.ones((1, 2)))
        >>> metric = PSNetNormalizedError(prefix='val')  # no prefix: keys read 'NE'
        >>> metric.process([], [sample.to_dict()])
        >>> round(metric.evaluate(1)['val/NE'], 6)
        0.08544
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 per_category: bool = False,
                 average: str = 'point',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        if not isinstance(per_category, bool):
            raise ValueError(f'per_category must be a bool, got {per_category!r}')
        if average not in _AVERAGES:
            raise ValueError(f'average must be one of {_AVERAGES}, got {average!r}')
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.per_category = per_category
        self.average = average

    @staticmethod
    def calculate(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray, norm_wh: np.ndarray,
                  average: str = 'point') -> float:
        """Normalized error of a batch of instances.

        With ``d = pred - gt``, NE is the mean over the ``(n, k)`` where ``mask[n, k]`` of
        ``sqrt((d[n, k, 0] / norm_wh[n, 0]) ** 2 + (d[n, k, 1] / norm_wh[n, 1]) ** 2)``.

        Args:
            pred: Predicted landmarks, ``N x K x 2`` (x, y), in the frame of ``norm_wh``.
            gt: Ground-truth landmarks, ``N x K x 2``, same frame.
            mask: ``N x K`` bool, True for labelled landmarks (visibility > 0).
            norm_wh: ``N x 2``, the width and height of each instance's image (crop). Must be
                finite and > 0 for every instance that has a labelled point.
            average: ``'point'`` pools all labelled points; ``'keypoint'`` averages per-slot
                means over the slots labelled at least once.

        Returns:
            float: The normalized error; NaN when no point is labelled.

        Raises:
            ValueError: On bad shapes, a non-bool mask, a bad ``average`` or a non-positive
                ``norm_wh`` where it is used.

        Example:
            >>> pred = np.array([[[3., 4.], [500., 500.]]])
            >>> gt = np.zeros((1, 2, 2))
            >>> ne = PSNetNormalizedError.calculate(pred, gt, np.array([[True, False]]),
            ...                                     np.array([[100., 50.]]))
            >>> round(ne, 6) == round(float(np.hypot(0.03, 0.08)), 6)
            True
        """
        if average not in _AVERAGES:
            raise ValueError(f'average must be one of {_AVERAGES}, got {average!r}')
        dist = normalized_distances(pred, gt, mask, norm_wh)
        m = np.asarray(mask)
        slots = np.broadcast_to(np.arange(m.shape[1]), m.shape)[m]
        return _average(dist[m], slots, average)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store the labelled points' normalized distances of each data sample.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples: Model outputs as dicts (``PoseDataSample.to_dict()``), each with
                ``pred_instances.keypoints`` (N x K x 2), ``gt_instances.keypoints``
                (N x K x 2), ``gt_instances.keypoints_visible`` (N x K, or N x K x 2 with the
                visibility first), metainfo ``input_scale`` ([2] or N x 2) and, for
                ``per_category``, ``category_id`` (scalar or [N]).

        Raises:
            ValueError: When a required field is missing or the shapes disagree.
        """
        for sample in data_samples:
            for key in ('pred_instances', 'gt_instances', 'input_scale'):
                if key not in sample:
                    raise ValueError(f'{self.__class__.__name__} needs {key!r} in each data '
                                     f'sample, got keys {sorted(sample)}')
            gt_inst = sample['gt_instances']
            for key in ('keypoints', 'keypoints_visible'):
                if key not in gt_inst:
                    raise ValueError(f'{self.__class__.__name__} needs gt_instances.{key}, '
                                     f'got keys {sorted(gt_inst)}')
            pred = _as_array(sample['pred_instances']['keypoints'], 'pred keypoints')
            gt = _as_array(gt_inst['keypoints'], 'gt keypoints')
            if pred.shape != gt.shape:
                raise ValueError(f'predicted keypoints {pred.shape} and ground truth '
                                 f'{gt.shape} differ in shape (NE needs one prediction per '
                                 f'annotated instance, i.e. a top-down model on GT boxes)')
            vis = _as_array(gt_inst['keypoints_visible'], 'keypoints_visible')
            if vis.ndim == 3:  # (visibility, weight) pairs
                vis = vis[..., 0]
            mask = vis.reshape(gt.shape[:2]) > 0
            n = gt.shape[0]
            scale = _as_array(sample['input_scale'], 'input_scale').reshape(-1, 2)
            norm_wh = np.broadcast_to(scale, (n, 2)) if len(scale) in (1, n) else scale
            dist = normalized_distances(pred, gt, mask, norm_wh)
            rows, slots = np.nonzero(mask)
            result = dict(dist=dist[rows, slots], slot=slots.astype(np.int64))
            if self.per_category:
                if 'category_id' not in sample:
                    raise ValueError('per_category=True needs data_sample["category_id"] '
                                     '(PackPoseInputs meta_keys), got keys '
                                     f'{sorted(sample)}')
                cats = np.asarray(sample['category_id']).reshape(-1)
                if len(cats) not in (1, n):
                    raise ValueError(f'category_id must be a scalar or one per instance ({n}), '
                                     f'got {sample["category_id"]!r}')
                result['category'] = np.broadcast_to(cats, (n, ))[rows].astype(np.int64)
            self.results.append(result)

    def _category_names(self) -> Dict[int, str]:
        classes = (self.dataset_meta or {}).get('CLASSES') or []
        return {int(c['id']): str(c['name']) for c in classes
                if isinstance(c, Mapping) and 'id' in c and 'name' in c}

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Average the stored distances.

        Args:
            results: The dicts stored by :meth:`process`, from all ranks.

        Returns:
            dict: ``{'NE': value}``, plus ``'NE/<category name>'`` per category when
            ``per_category`` is set. NaN when no landmark is labelled.
        """
        dist = np.concatenate([r['dist'] for r in results]) if results else np.zeros(0)
        slot = np.concatenate([r['slot'] for r in results]) if results else np.zeros(0, int)
        metrics = {'NE': _average(dist, slot, self.average)}
        if dist.size == 0:
            MMLogger.get_current_instance().warning(
                f'{self.__class__.__name__}: no labelled landmark in {len(results)} samples, '
                'NE is NaN')
        if self.per_category and results:
            cats = np.concatenate([r['category'] for r in results])
            names = self._category_names()
            per_cat: Dict[str, float] = {}
            for cid in np.unique(cats):
                sel = cats == cid
                name = names.get(int(cid), str(int(cid)))
                per_cat[f'NE/{name}'] = _average(dist[sel], slot[sel], self.average)
            metrics.update(per_cat)
        return metrics
