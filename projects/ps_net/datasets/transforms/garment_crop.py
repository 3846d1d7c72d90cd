"""PSNetGarmentCrop: crop the garment box to the model input, keeping the map back.

The retrieval branch and the landmark branch must see the same crop: :func:`crop_garment` uses mmpose's own ``GetBBoxCenterScale`` (margin 1.25) and
``TopdownAffine``, and moves the annotation into crop pixels (``landmarks`` with their
visibility kept, ``region_boxes`` as the box of their moved corners). ``input_center`` and
``input_scale`` (image pixels) are kept so predictions map back to the photo
(:func:`ps_net.apis.crop_to_image`). An entry without ``bbox`` uses the whole image.
"""
from typing import Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS



def crop_garment(img: np.ndarray, bbox: Sequence[float], input_size: Tuple[int, int],
                 padding: float = 1.25) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crop a box with a margin and resize it to the model's input, as mmpose does.

    Args:
        img: ``(H, W, 3)`` image.
        bbox: ``[x1, y1, x2, y2]``.
        input_size: model input ``(w, h)``.
        padding: box enlargement (mmpose's ``GetBBoxCenterScale`` default 1.25).

    Returns:
        ``(crop, input_center, input_scale)``; the crop is ``(h, w, 3)`` and
        ``input_center`` / ``input_scale`` (image pixels, aspect ratio of the input) are what
        :func:`crop_to_image` needs to map crop points back.
    """
    from mmpose.datasets.transforms import GetBBoxCenterScale, TopdownAffine
    x1, y1, x2, y2 = (float(v) for v in bbox)
    if not (x2 > x1 and y2 > y1):
        raise ValueError(f'bbox must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1, got '
                         f'{list(bbox)!r}')
    results = dict(img=img, bbox=np.array([[x1, y1, x2, y2]], np.float32),
                   img_shape=img.shape[:2])
    results = GetBBoxCenterScale(padding=padding).transform(results)
    results = TopdownAffine(input_size=tuple(input_size)).transform(results)
    return results['img'], results['input_center'], results['input_scale']


def _warp(center: np.ndarray, scale: np.ndarray, input_size: Tuple[int, int]) -> np.ndarray:
    from mmpose.structures.bbox import get_warp_matrix
    return get_warp_matrix(np.asarray(center, np.float32), np.asarray(scale, np.float32), 0,
                           output_size=tuple(input_size))


def crop_to_image(points: np.ndarray, input_center: np.ndarray, input_scale: np.ndarray,
                  input_size: Tuple[int, int]) -> np.ndarray:
    """Map ``(N, 2)`` crop pixels back to image pixels (the inverse of the crop's affine)."""
    warp = np.vstack([_warp(input_center, input_scale, input_size), [0, 0, 1]])
    pts = np.concatenate([np.asarray(points, np.float64).reshape(-1, 2),
                          np.ones((len(points), 1))], 1)
    return (pts @ np.linalg.inv(warp).T)[:, :2]


def image_to_crop(points: np.ndarray, input_center: np.ndarray, input_scale: np.ndarray,
                  input_size: Tuple[int, int]) -> np.ndarray:
    """Map ``(N, 2)`` image pixels into the crop (the crop's affine)."""
    warp = _warp(input_center, input_scale, input_size)
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    return pts @ warp[:, :2].T + warp[:, 2]



@TRANSFORMS.register_module()
class PSNetGarmentCrop(BaseTransform):
    """Crop ``results['bbox']`` (or the whole image) to ``input_size``.

    Args:
        input_size: model input ``(w, h)``.
        padding: box enlargement (mmpose's default 1.25).

    Added / changed keys: ``img``, ``img_shape``, ``input_center``, ``input_scale``,
    ``input_size``, ``landmarks`` (crop pixels), ``region_boxes`` (crop pixels).
    """

    def __init__(self, input_size: Tuple[int, int] = (128, 128), padding: float = 1.25) -> None:
        if len(tuple(input_size)) != 2 or min(input_size) < 8:
            raise ValueError(f'input_size must be (w, h) >= 8, got {input_size!r}')
        if not padding >= 1:
            raise ValueError(f'padding must be >= 1, got {padding!r}')
        self.input_size = tuple(int(v) for v in input_size)
        self.padding = padding

    def transform(self, results: dict) -> dict:
        img = results['img']
        bbox: Optional[Sequence[float]] = results.get('bbox')
        if bbox is None:
            h, w = img.shape[:2]
            bbox = (0, 0, w, h)
        crop, center, scale = crop_garment(img, bbox, self.input_size, self.padding)
        results.update(img=crop, img_shape=crop.shape[:2], input_center=center,
                       input_scale=scale, input_size=self.input_size)
        landmarks = results.get('landmarks')
        if landmarks is not None and len(landmarks):
            moved = landmarks.copy()
            moved[:, :2] = image_to_crop(landmarks[:, :2], center, scale, self.input_size)
            moved[landmarks[:, 2] == 0, :2] = 0
            results['landmarks'] = moved.astype(np.float32)
        boxes = results.get('region_boxes')
        if boxes:
            out = {}
            for name, (x1, y1, x2, y2) in boxes.items():
                c = image_to_crop([[x1, y1], [x2, y1], [x1, y2], [x2, y2]], center, scale,
                                  self.input_size)
                out[name] = np.concatenate([c.min(0), c.max(0)]).astype(np.float32)
            results['region_boxes'] = out
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(input_size={self.input_size}, padding={self.padding})'
