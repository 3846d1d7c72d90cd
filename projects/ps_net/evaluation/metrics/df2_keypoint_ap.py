"""DeepFashion2 keypoint OKS-AP for mmpose: official per-slot sigmas and per-category scoring.

mmpose's ``CocoMetric`` cannot score DeepFashion2 as it ships:

(a) mmpose's DeepFashion2 metainfo (``configs/_base_/datasets/deepfashion2.py``) has
    ``sigmas=[]``, so the OKS of ``xtcocotools.COCOeval`` has no per-keypoint constants;
(b) ``CocoMetric.process`` takes ``data_sample.get('category_id', 1)``: when the sample carries
    no category (a custom ``PackPoseInputs(meta_keys=...)``, mmpose's detection-box test mode)
    every result is silently written as category 1, and ``COCOeval`` (``useCats=1``) then
    matches them only against category-1 ground truth, scoring every other garment 0.

:class:`PSNetDF2CocoMetric` supplies the 294 sigmas of the official DeepFashion2 evaluation,
takes each result's category from its data sample (or raises), and adds ``AP/<category>``.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from xtcocotools.cocoeval import COCOeval

from mmpose.evaluation.metrics import CocoMetric
from mmpose.registry import METRICS

__all__ = ['PSNetDF2CocoMetric', 'DF2_OKS_SIGMAS']

#: Per-slot OKS sigmas of the 294-slot DeepFashion2 layout, copied from the official
#: DeepFashion2 evaluation API: ``COCOeval.computeOks`` in
#: ``deepfashion2_api/PythonAPI/pycocotools/cocoeval.py`` of github.com/switchablenorms/DeepFashion2
#: (the array hard-coded there; values unchanged). They are per-point estimates, not forced
#: symmetric: three left/right pairs of ``ps_net.datasets.df2_flip_indices`` differ (slots
#: 59/83, 61/63 of short-sleeved outwear, 233/247 of long-sleeved dress).
DF2_OKS_SIGMAS: Tuple[float, ...] = (
    # 1 short_sleeved_shirt: slots 0-24
    0.012, 0.0158, 0.0169, 0.0165, 0.0169, 0.0158, 0.0298, 0.0329, 0.0321, 0.0323, 0.034, 0.0388,
    0.0452, 0.0574, 0.0492, 0.0352, 0.0492, 0.0574, 0.0452, 0.0388, 0.034, 0.0323, 0.0321, 0.0329,
    0.0298,
    # 2 long_sleeved_shirt: slots 25-57
    0.0194, 0.017, 0.0185, 0.0193, 0.0185, 0.017, 0.0286, 0.0471, 0.0547, 0.0526, 0.043, 0.0392,
    0.0513, 0.0566, 0.0509, 0.0564, 0.0542, 0.0604, 0.0599, 0.052, 0.0599, 0.0604, 0.0542, 0.0564,
    0.0509, 0.0566, 0.0513, 0.0392, 0.043, 0.0526, 0.0547, 0.0471, 0.0286,
    # 3 short_sleeved_outwear: slots 58-88
    0.0074, 0.0085, 0.0165, 0.0248, 0.0165, 0.0085, 0.0156, 0.0231, 0.0296, 0.0137, 0.0195, 0.025,
    0.0347, 0.038, 0.0257, 0.037, 0.0257, 0.038, 0.0347, 0.025, 0.0195, 0.0137, 0.0296, 0.0231,
    0.0156, 0.0248, 0.0469, 0.0632, 0.037, 0.0469, 0.0632,
    # 4 long_sleeved_outwear: slots 89-127
    0.0137, 0.0153, 0.0243, 0.0377, 0.0243, 0.0153, 0.0203, 0.0366, 0.0467, 0.0433, 0.0393, 0.0329,
    0.0418, 0.0477, 0.0399, 0.0331, 0.042, 0.0492, 0.0436, 0.0478, 0.0436, 0.0492, 0.042, 0.0331,
    0.0399, 0.0477, 0.0418, 0.0329, 0.0393, 0.0433, 0.0467, 0.0366, 0.0203, 0.0377, 0.0645, 0.0573,
    0.0478, 0.0645, 0.0573,
    # 5 vest: slots 128-142
    0.0352, 0.0158, 0.021, 0.0214, 0.021, 0.0158, 0.0196, 0.05, 0.0489, 0.0404, 0.0401, 0.0404,
    0.0489, 0.05, 0.0196,
    # 6 sling: slots 143-157
    0.0276, 0.0548, 0.0283, 0.0204, 0.0283, 0.0548, 0.0369, 0.0726, 0.0677, 0.064, 0.0251, 0.064,
    0.0677, 0.0726, 0.0369,
    # 7 shorts: slots 158-167
    0.0308, 0.0216, 0.0308, 0.0506, 0.0494, 0.0463, 0.0477, 0.0463, 0.0494, 0.0506,
    # 8 trousers: slots 168-181
    0.0275, 0.0202, 0.0275, 0.0651, 0.0451, 0.035, 0.028, 0.0392, 0.0362, 0.0392, 0.028, 0.035,
    0.0451, 0.0651,
    # 9 skirt: slots 182-189
    0.0253, 0.0195, 0.0253, 0.0513, 0.0543, 0.0415, 0.0543, 0.0513,
    # 10 short_sleeved_dress: slots 190-218
    0.0153, 0.023, 0.0167, 0.0145, 0.0167, 0.023, 0.0332, 0.0391, 0.0391, 0.0396, 0.044, 0.0452,
    0.0498, 0.0514, 0.0585, 0.0655, 0.0635, 0.0602, 0.0635, 0.0655, 0.0585, 0.0514, 0.0498, 0.0452,
    0.044, 0.0396, 0.0391, 0.0391, 0.0332,
    # 11 long_sleeved_dress: slots 219-255
    0.0121, 0.0134, 0.0158, 0.0162, 0.0158, 0.0134, 0.0246, 0.0406, 0.047, 0.0404, 0.0463, 0.0466,
    0.0435, 0.0499, 0.0455, 0.044, 0.0411, 0.049, 0.0576, 0.0685, 0.0618, 0.0483, 0.0618, 0.0685,
    0.0576, 0.049, 0.0411, 0.044, 0.0486, 0.0499, 0.0435, 0.0466, 0.0463, 0.0404, 0.047, 0.0406,
    0.0246,
    # 12 vest_dress: slots 256-274
    0.0116, 0.0167, 0.016, 0.018, 0.016, 0.0167, 0.0196, 0.0385, 0.0421, 0.0497, 0.0562, 0.0528,
    0.0428, 0.0528, 0.0562, 0.0497, 0.0421, 0.0385, 0.0196,
    # 13 sling_dress: slots 275-293
    0.0244, 0.0297, 0.0244, 0.0208, 0.0244, 0.0297, 0.0173, 0.0616, 0.0659, 0.0712, 0.0707, 0.0685,
    0.0339, 0.0685, 0.0707, 0.0712, 0.0659, 0.0616, 0.0173,
)

#: Names of ``COCOeval.stats`` for ``iou_type='keypoints'``, as ``CocoMetric`` reports them.
_STATS_NAMES = ('AP', 'AP .5', 'AP .75', 'AP (M)', 'AP (L)', 'AR', 'AR .5', 'AR .75', 'AR (M)',
                'AR (L)')


@METRICS.register_module()
class PSNetDF2CocoMetric(CocoMetric):
    """COCO keypoint OKS-AP on DeepFashion2 (294 slots, 13 garment categories).

    Protocol (DeepFashion2 evaluation, ``evaluation/evaluation.md`` of the official repository):
    landmark estimation is scored like COCO keypoints, by AP over OKS thresholds 0.50:0.05:0.95,
    with ``OKS = sum_i exp(-d_i^2 / (2 s^2 k_i^2)) / #labelled`` over the labelled slots
    (v > 0) of a garment, ``s^2`` the annotation area and ``k_i = 2 sigma_i`` (``sigma_i``:
    :data:`DF2_OKS_SIGMAS`). Detections are matched per category (``useCats=1``), and the
    overall AP is the mean of the per-category APs over the categories with ground truth.

    Differences from ``CocoMetric``:

    - ``dataset_meta['sigmas']`` is replaced by ``sigmas`` (default :data:`DF2_OKS_SIGMAS`),
      for the OKS of both ``COCOeval`` and OKS-NMS; the dataset's ``num_keypoints`` must equal
      its length.
    - Each result's ``category_id`` is the data sample's ``category_id`` metainfo (kept by
      ``PackPoseInputs``' default ``meta_keys``, set by mmpose's COCO-style datasets in
      top-down mode), else its ``raw_ann_info['category_id']``; with neither, or with several
      categories in one sample (bottom-up), a ``ValueError`` is raised instead of writing 1.
    - ``per_category`` adds ``AP/<category name>`` (from the COCO ``categories``, blanks as
      ``_``) for every category with ground truth, read from the same ``COCOeval`` run.
    - ``nms_mode`` defaults to ``'none'``: with ground-truth boxes there is one prediction per
      garment, and OKS-NMS across categories would compare all 294 slots, most of them outside
      both garments. Set ``'oks_nms'`` for detected boxes if needed.
    - ``iou_type`` must be ``'keypoints'``.

    Args:
        sigmas: Per-slot OKS sigmas; ``None`` uses :data:`DF2_OKS_SIGMAS`.
        per_category: Report ``AP/<category name>`` too.
        nms_mode: As in ``CocoMetric``, default ``'none'`` (see above).
        **kwargs: The other ``CocoMetric`` arguments (``ann_file``, ``use_area``,
            ``score_mode``, ``outfile_prefix``, ``prefix``, ...). The default prefix stays
            ``'coco'``, so keys read ``coco/AP``, ``coco/AP/short_sleeved_shirt``.

    Example:
        >>> len(DF2_OKS_SIGMAS), DF2_OKS_SIGMAS[0]
        (294, 0.012)
        >>> PSNetDF2CocoMetric(sigmas=[0.1, -1.0])
        Traceback (most recent call last):
        ...
        ValueError: sigmas must be a non-empty 1-D sequence of finite values > 0, got [0.1, -1.0]
    """

    def __init__(self,
                 sigmas: Optional[Sequence[float]] = None,
                 per_category: bool = True,
                 nms_mode: str = 'none',
                 **kwargs: Any) -> None:
        sig = np.asarray(DF2_OKS_SIGMAS if sigmas is None else sigmas, dtype=object)
        try:
            sig = sig.astype(np.float64)
        except (TypeError, ValueError):
            sig = np.zeros(0)
        if sig.ndim != 1 or sig.size == 0 or not (np.isfinite(sig) & (sig > 0)).all():
            raise ValueError('sigmas must be a non-empty 1-D sequence of finite values > 0, '
                             f'got {sigmas!r}')
        if not isinstance(per_category, bool):
            raise ValueError(f'per_category must be a bool, got {per_category!r}')
        iou_type = kwargs.get('iou_type', 'keypoints')
        if iou_type != 'keypoints':
            raise ValueError(f"iou_type must be 'keypoints' for DeepFashion2, got {iou_type!r}")
        super().__init__(nms_mode=nms_mode, **kwargs)
        self.sigmas = sig
        self.per_category = per_category

    @property
    def dataset_meta(self) -> Optional[dict]:
        """Optional[dict]: Meta info of the dataset, with ``sigmas`` replaced."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        meta = dict(dataset_meta)  # do not write into the dataset's own metainfo
        if meta.get('num_keypoints') != len(self.sigmas):
            raise ValueError(f'{self.__class__.__name__} has {len(self.sigmas)} sigmas but the '
                             f"dataset has num_keypoints={meta.get('num_keypoints')!r}")
        meta['sigmas'] = self.sigmas.copy()
        CocoMetric.dataset_meta.fset(self, meta)

    @staticmethod
    def _category_of(sample: dict) -> int:
        """The single garment category id of a data sample (see the class docstring)."""
        if 'category_id' in sample:
            value = sample['category_id']
        else:
            raw = sample.get('raw_ann_info')
            anns = [a for a in (raw if isinstance(raw, list) else [raw]) if a]
            if not anns or not all(isinstance(a, dict) and 'category_id' in a for a in anns):
                raise ValueError(
                    f'data sample id={sample.get("id")!r} has no category_id: keep '
                    "'category_id' (or 'raw_ann_info') in PackPoseInputs' meta_keys; mmpose's "
                    'detection-box test mode (bbox_file) does not provide it')
            value = [a['category_id'] for a in anns]
        cats = np.unique(np.asarray(value).reshape(-1))
        if cats.size != 1 or not float(cats[0]).is_integer() or cats[0] < 1:
            raise ValueError(f'data sample id={sample.get("id")!r} must carry one positive '
                             f'integer category_id (top-down), got {value!r}')
        return int(cats[0])

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        """Run ``CocoMetric.process``, then set each stored prediction's ``category_id``.

        Args:
            data_batch: The batch from the dataloader.
            data_samples: Model outputs as dicts, as for ``CocoMetric`` (one entry is appended
                to ``self.results`` per data sample).

        Raises:
            ValueError: When a sample's category is unknown or not unique.
        """
        start = len(self.results)
        super().process(data_batch, data_samples)
        for (pred, _), sample in zip(self.results[start:], data_samples):
            pred['category_id'] = self._category_of(sample)

    def _do_python_keypoint_eval(self, outfile_prefix: str) -> List[Tuple[str, float]]:
        """COCO keypoint evaluation with the DF2 sigmas, plus ``AP/<category>``.

        Args:
            outfile_prefix: The prefix of ``<prefix>.keypoints.json``, the results file.

        Returns:
            list: ``(name, value)`` pairs: ``CocoMetric``'s ten stats, then the per-category APs.
        """
        coco_det = self.coco.loadRes(f'{outfile_prefix}.keypoints.json')
        coco_eval = COCOeval(self.coco, coco_det, self.iou_type, self.dataset_meta['sigmas'],
                             self.use_area)
        coco_eval.params.useSegm = None
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
        info = list(zip(_STATS_NAMES, (float(v) for v in coco_eval.stats)))
        if self.per_category:
            info.extend(self._per_category_ap(coco_eval).items())
        return info

    def _per_category_ap(self, coco_eval: COCOeval) -> Dict[str, float]:
        """AP (OKS 0.50:0.95, all areas, most detections) of each category with ground truth."""
        params = coco_eval.params
        precision = coco_eval.eval['precision']  # T x R x K x A x M, -1 where no ground truth
        area_all = params.areaRngLbl.index('all')
        aps: Dict[str, float] = {}
        for k, cat_id in enumerate(params.catIds):
            p = precision[:, :, k, area_all, -1]
            p = p[p > -1]
            if p.size:
                name = '_'.join(str(self.coco.cats[int(cat_id)]['name']).split())
                aps[f'AP/{name}'] = float(p.mean())
        return aps
