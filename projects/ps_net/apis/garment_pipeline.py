"""Image -> garments: detect (mmdet) -> crop with a margin (mmpose transforms) -> landmarks.

One reusable piece for everything downstream (indexing, search, the retrieval branch):

* :func:`crop_garment` / :func:`crop_to_image` (from :mod:`ps_net.datasets.transforms`): the
  crop of a box with mmpose's own ``GetBBoxCenterScale`` + ``TopdownAffine`` (so training and
  inference crop identically), and the inverse map of crop pixels back to the image through
  the kept ``input_center`` and ``input_scale``;
* :class:`GarmentPipeline`: runs a detector and a top-down landmark model in one process. Both
  libraries resolve types through a global default scope and their ``init_*`` / inference calls
  reset it, so every call here runs inside ``DefaultScope.overwrite_default_scope`` of its own
  library, and the detector's test pipeline is adapted with mmpose's ``adapt_mmdet_pipeline``.

Categories follow :mod:`ps_net.datasets.category_map`: every DeepFashion2 category is reported;
lower-body garments (shorts, trousers, skirt) have ``psnet_category=None`` and
``searched=False``. An image with no garment above the threshold gives a
:class:`GarmentPipelineResult` with ``status='no_garment'``, an unreadable image
``status='unreadable'`` with the reason: never an exception from deep in a stack.

Arrays (:func:`as_bgr_uint8`, docs/bad_inputs.md): a BGR uint8 ``(H, W, 3)`` array is used as
it is; a grey ``(H, W)`` / ``(H, W, 1)`` array is repeated to three channels, a ``(H, W, 4)``
BGRA array loses its alpha channel (not composited), a float array with every value in
``[0, 1]`` is scaled by 255 and rounded, a uint16 array is divided by 257 (65535 -> 255), a bool
array maps True to 255 and an integer array with values in ``[0, 255]`` is cast; the result's
``conversion`` says which. Anything else (empty, another shape or channel count, NaN, values
out of range, a side under ``PF_MIN_IMAGE_SIDE``) is ``status='unreadable'`` with the reason. A
path is read from its header first (:func:`~ps_net.datasets.pf_format.read_image_header`:
missing, empty, not an image, over ``PF_MAX_IMAGE_PIXELS``), then decoded by mmcv with its EXIF
orientation applied.
"""
import dataclasses
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.registry import DefaultScope

from ..structures import DF2_CATEGORIES, df2_to_psnet
from ..datasets.pf_format import PF_MIN_IMAGE_SIDE, garment_box_check, read_image_header
from ..datasets.transforms.garment_crop import (  # noqa: F401  (re-exported)
    crop_garment, crop_to_image, image_to_crop)


def _as_uint8(img: np.ndarray) -> Tuple[np.ndarray, str]:
    """The array's values as uint8 levels, and the conversion made (``''``: none)."""
    if img.dtype == np.uint8:
        return img, ''
    if img.dtype == np.bool_:
        return img.astype(np.uint8) * 255, 'bool as 0 / 255'
    if np.issubdtype(img.dtype, np.floating):
        if not np.isfinite(img).all():
            raise ValueError(f'{img.dtype} image with NaN or inf values')
        low, high = float(img.min()), float(img.max())
        if low < 0 or high > 1:
            raise ValueError(f'{img.dtype} image with values in [{low:g}, {high:g}]: a float '
                             f'image must lie in [0, 1] (pass 8-bit levels as uint8)')
        return np.rint(img * 255).astype(np.uint8), 'float in [0, 1] scaled by 255'
    if img.dtype == np.uint16:
        return np.rint(img / 257.0).astype(np.uint8), 'uint16 divided by 257'
    if np.issubdtype(img.dtype, np.integer):
        low, high = int(img.min()), int(img.max())
        if low < 0 or high > 255:
            raise ValueError(f'{img.dtype} image with values in [{low}, {high}], expected '
                             f'[0, 255]')
        return img.astype(np.uint8), f'{img.dtype} cast to uint8'
    raise ValueError(f'expected a numeric image array, got dtype {img.dtype}')


def as_bgr_uint8(img: np.ndarray, min_side: int = PF_MIN_IMAGE_SIDE) -> Tuple[np.ndarray, str]:
    """An array as the BGR uint8 ``(H, W, 3)`` image the models read, with the conversion made.

    Args:
        img (np.ndarray): The array (see the module docstring for what is converted).
        min_side (int): The smallest height and width accepted.

    Returns:
        tuple[np.ndarray, str]: The image and the conversion (``''`` when none was needed).

    Raises:
        ValueError: For an array that is neither an image nor convertible, naming why.

    Examples:
        >>> out, how = as_bgr_uint8(np.full((8, 8, 4), 0.5, np.float32))
        >>> out.shape, out.dtype.name, int(out[0, 0, 0]), how
        ((8, 8, 3), 'uint8', 128, 'float in [0, 1] scaled by 255; alpha channel dropped')
        >>> as_bgr_uint8(np.zeros((0, 0, 3), np.uint8))
        Traceback (most recent call last):
        ...
        ValueError: empty array of shape (0, 0, 3)
    """
    if not isinstance(img, np.ndarray):
        raise ValueError(f'expected a numpy array, got {type(img).__name__}')
    if img.size == 0:
        raise ValueError(f'empty array of shape {img.shape}')
    notes = []
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
        notes.append('grey repeated to BGR')
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f'expected an (H, W), (H, W, 1), (H, W, 3) BGR or (H, W, 4) BGRA array, '
                         f'got shape {img.shape}')
    img, note = _as_uint8(img)
    if note:
        notes.append(note)
    if img.shape[2] == 4:
        img = img[:, :, :3]
        notes.append('alpha channel dropped')
    refusal, _ = garment_box_check(img.shape[1], img.shape[0], min_side=min_side)
    if refusal:
        raise ValueError(refusal)
    return np.ascontiguousarray(img), '; '.join(notes)


@dataclasses.dataclass
class Garment:
    """One detected garment.

    Attributes:
        df2_category_id: DeepFashion2 category id (1-13).
        category_name: its DeepFashion2 name.
        psnet_category: PS-Net category, or None for lower-body garments.
        searched: whether PS-Net searches this garment for plagiarism.
        bbox: ``[x1, y1, x2, y2]`` in image pixels.
        score: detection score.
        keypoints: ``(K, 2)`` landmarks in image pixels (the category's slots of the 294).
        keypoint_scores: ``(K,)`` heatmap maxima.
        slots: the 294-layout slot of each row of ``keypoints``.
        input_center, input_scale: the crop (image pixels) the landmark model saw.
    """
    df2_category_id: int
    category_name: str
    psnet_category: Optional[str]
    searched: bool
    bbox: np.ndarray
    score: float
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    slots: np.ndarray
    input_center: np.ndarray
    input_scale: np.ndarray


@dataclasses.dataclass
class GarmentPipelineResult:
    """The garments of one image; ``status`` is ``ok``, ``no_garment`` or ``unreadable``
    (``reason`` says why); ``conversion`` names what :func:`as_bgr_uint8` did to an array."""
    image: str
    status: str
    garments: List[Garment]
    reason: str = ''
    conversion: str = ''


class GarmentPipeline:
    """Detector + landmark model in one process.

    Args:
        det_config, det_checkpoint: mmdet config (13 DeepFashion2 classes) and weights.
        pose_config, pose_checkpoint: the landmark config (294 slots) and weights; a None
            config gives a detector only (:meth:`detect`, as ``PSNetSearcher`` uses it).
        score_thr: keep detections at or above this score.
        device: torch device.
    """

    def __init__(self, det_config, det_checkpoint: Optional[str], pose_config,
                 pose_checkpoint: Optional[str], score_thr: float = 0.5,
                 device: str = 'cpu') -> None:
        if not 0 <= score_thr <= 1:
            raise ValueError(f'score_thr must be in [0, 1], got {score_thr!r}')
        from mmdet.apis import init_detector
        from mmpose.apis import init_model
        from mmpose.utils import adapt_mmdet_pipeline
        with DefaultScope.overwrite_default_scope('mmdet'):
            self.detector = init_detector(det_config, det_checkpoint, device=device)
        self.detector.cfg = adapt_mmdet_pipeline(self.detector.cfg)
        self.pose = None
        if pose_config is not None:
            with DefaultScope.overwrite_default_scope('mmpose'):
                self.pose = init_model(pose_config, pose_checkpoint, device=device)
        self.score_thr = score_thr

    def detect(self, img: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes ``(N, 4)``, scores and DeepFashion2 category ids above the threshold."""
        from mmdet.apis import inference_detector
        with DefaultScope.overwrite_default_scope('mmdet'):
            pred = inference_detector(self.detector, img).pred_instances.cpu().numpy()
        keep = pred.scores >= self.score_thr
        return pred.bboxes[keep], pred.scores[keep], pred.labels[keep].astype(int) + 1

    def landmarks(self, img: np.ndarray, boxes: np.ndarray,
                  category_ids: Sequence[int]) -> List[Tuple[np.ndarray, ...]]:
        """Per box: keypoints, scores and slots of its category, and the crop's center/scale.

        The keypoints are the landmark head's codec decode (``head.decode`` in mmpose's
        ``predict``, the decode of PS-Net's landmark branch) mapped back to image pixels.
        """
        from mmpose.apis import inference_topdown
        from ..structures.df2_layout import df2_slot_range
        if self.pose is None:
            raise RuntimeError('this GarmentPipeline has no landmark model (pose_config=None)')
        with DefaultScope.overwrite_default_scope('mmpose'):
            samples = inference_topdown(self.pose, img, np.asarray(boxes, np.float32))
        out = []
        for sample, cid in zip(samples, category_ids):
            start, stop = df2_slot_range(int(cid))
            inst = sample.pred_instances
            out.append((inst.keypoints[0, start:stop], inst.keypoint_scores[0, start:stop],
                        np.arange(start, stop), np.asarray(sample.metainfo['input_center']),
                        np.asarray(sample.metainfo['input_scale'])))
        return out

    def __call__(self, image: Union[str, np.ndarray]) -> GarmentPipelineResult:
        """Run on one image (a path or a BGR array); never raises for a bad image."""
        import mmcv
        name = image if isinstance(image, str) else '<array>'
        conversion = ''
        try:
            if isinstance(image, str):
                read_image_header(image)  # missing, empty, not an image, over the pixel limit
                img = mmcv.imread(image)
                if img is None:
                    raise ValueError('not a decodable image')
            img, conversion = as_bgr_uint8(img if isinstance(image, str) else image)
        except Exception as err:  # noqa: BLE001  (one bad image must not stop a batch)
            return GarmentPipelineResult(name, 'unreadable', [], f'{type(err).__name__}: {err}')
        boxes, scores, cids = self.detect(img)
        if len(boxes) == 0:
            return GarmentPipelineResult(name, 'no_garment', [],
                                         f'no garment scored >= {self.score_thr}', conversion)
        garments = []
        for box, score, cid, (kpts, kscores, slots, center, scale) in zip(
                boxes, scores, cids, self.landmarks(img, boxes, cids)):
            psnet = df2_to_psnet(int(cid))
            garments.append(Garment(int(cid), DF2_CATEGORIES[int(cid)], psnet, psnet is not None,
                                    box, float(score), kpts, kscores, slots, center, scale))
        return GarmentPipelineResult(name, 'ok', garments, conversion=conversion)
