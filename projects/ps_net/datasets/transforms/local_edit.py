"""PSNetRandomLocalEdit: a random local edit of an image, as copy-detection training uses.

Copy detectors learn to ignore local changes from augmentations that change one part of an
image (SSCD's overlays, emoji and text; Pizzi et al., CVPR 2022). This transform changes one
or a few random rectangles of the (uint8, BGR) image by one of generic, garment-agnostic
operations, none of them a benchmark's edit operator:

* ``patch``: a same-size patch copied from another place of the image;
* ``hue``: the hue rotated by a random angle and the saturation scaled;
* ``fill``: a flat fill with a random colour;
* ``blur``: a strong Gaussian blur;
* ``noise``: random coloured noise blended in;
* ``shuffle``: the rectangle cut into a 2 x 2 grid whose cells are permuted.

The rectangles are drawn uniformly (area ``area`` as a share of the image, aspect ratio in
``[1/2, 2]``). What was edited is recorded in ``results['local_edits']`` (a list of
``(op, x1, y1, x2, y2)``).
"""
from typing import Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

LOCAL_EDIT_OPS = ('patch', 'hue', 'fill', 'blur', 'noise', 'shuffle')


def _rectangle(rng: np.random.Generator, h: int, w: int,
               area: Tuple[float, float]) -> Tuple[int, int, int, int]:
    share = rng.uniform(*area)
    aspect = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
    rw = int(np.clip(round(np.sqrt(share * h * w * aspect)), 2, w))
    rh = int(np.clip(round(np.sqrt(share * h * w / aspect)), 2, h))
    x1 = int(rng.integers(0, w - rw + 1))
    y1 = int(rng.integers(0, h - rh + 1))
    return x1, y1, x1 + rw, y1 + rh


def local_edit(img: np.ndarray, op: str, box: Tuple[int, int, int, int],
               rng: np.random.Generator) -> np.ndarray:
    """Apply one edit ``op`` (of :data:`LOCAL_EDIT_OPS`) to ``box`` of a uint8 BGR image.

    Returns a new image; pixels outside ``box`` are unchanged.
    """
    if op not in LOCAL_EDIT_OPS:
        raise ValueError(f'op must be one of {LOCAL_EDIT_OPS}, got {op!r}')
    x1, y1, x2, y2 = box
    out = img.copy()
    roi = out[y1:y2, x1:x2]
    rh, rw = roi.shape[:2]
    h, w = img.shape[:2]
    if op == 'patch':
        sx = int(rng.integers(0, w - rw + 1))
        sy = int(rng.integers(0, h - rh + 1))
        roi[:] = img[sy:sy + rh, sx:sx + rw]
    elif op == 'hue':
        hsv = cv2.cvtColor(np.ascontiguousarray(roi), cv2.COLOR_BGR2HSV).astype(np.int32)
        hsv[..., 0] = (hsv[..., 0] + int(rng.integers(30, 150))) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.6, 1.6) + 20, 0, 255)
        roi[:] = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)
    elif op == 'fill':
        roi[:] = rng.integers(0, 256, 3, dtype=np.uint8)
    elif op == 'blur':
        k = max(3, (min(rh, rw) // 3) | 1)
        roi[:] = cv2.GaussianBlur(np.ascontiguousarray(roi), (k, k), 0)
    elif op == 'noise':
        noise = rng.integers(0, 256, roi.shape, dtype=np.uint8)
        roi[:] = cv2.addWeighted(np.ascontiguousarray(roi), 0.4, noise, 0.6, 0)
    else:  # shuffle
        my, mx = rh // 2, rw // 2
        cells = [roi[:my, :mx].copy(), roi[:my, mx:2 * mx].copy(),
                 roi[my:2 * my, :mx].copy(), roi[my:2 * my, mx:2 * mx].copy()]
        order = rng.permutation(4)
        if (order == np.arange(4)).all():
            order = np.array([3, 2, 1, 0])
        slots = [(0, 0), (0, mx), (my, 0), (my, mx)]
        for (oy, ox), k in zip(slots, order):
            roi[oy:oy + my, ox:ox + mx] = cells[k]
    return out


@TRANSFORMS.register_module()
class PSNetRandomLocalEdit(BaseTransform):
    """With probability ``prob``, edit ``1..max_edits`` random rectangles of ``img``.

    Args:
        prob: chance that the image is edited at all.
        max_edits: most rectangles per image (drawn uniformly from 1..max_edits).
        area: range of each rectangle's area as a share of the image.
        ops: operations to draw from (uniformly), a subset of :data:`LOCAL_EDIT_OPS`.
        seed: seed of a private generator (None: numpy's global state, which mmengine seeds
            per worker).
    """

    def __init__(self, prob: float = 0.5, max_edits: int = 2,
                 area: Tuple[float, float] = (0.02, 0.12),
                 ops: Sequence[str] = LOCAL_EDIT_OPS, seed=None) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob!r}')
        if not isinstance(max_edits, int) or max_edits < 1:
            raise ValueError(f'max_edits must be an int >= 1, got {max_edits!r}')
        if not (len(area) == 2 and 0 < area[0] <= area[1] < 1):
            raise ValueError(f'area must be (low, high) with 0 < low <= high < 1, got {area!r}')
        unknown = [op for op in ops if op not in LOCAL_EDIT_OPS]
        if unknown or not ops:
            raise ValueError(f'ops must be a non-empty subset of {LOCAL_EDIT_OPS}, got '
                             f'{tuple(ops)!r}')
        self.prob, self.max_edits = float(prob), max_edits
        self.area = (float(area[0]), float(area[1]))
        self.ops = tuple(ops)
        self.rng = np.random.default_rng(seed) if seed is not None else None

    def transform(self, results: dict) -> dict:
        rng = self.rng if self.rng is not None else np.random.default_rng(
            np.random.randint(2**31))
        edits = []
        img = results['img']
        if rng.random() < self.prob:
            h, w = img.shape[:2]
            for _ in range(int(rng.integers(1, self.max_edits + 1))):
                op = self.ops[int(rng.integers(len(self.ops)))]
                box = _rectangle(rng, h, w, self.area)
                img = local_edit(img, op, box, rng)
                edits.append((op, *box))
        results['img'] = img
        results['local_edits'] = edits
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, max_edits={self.max_edits}, '
                f'area={self.area}, ops={self.ops})')
