"""The five regions laid over a garment silhouette by a fixed geometric layout.

The garment box ``[X1, Y1, X2, Y2]`` (height ``H``, width ``W``) and two measurements of the
mask place the regions: the *centre line* ``cx`` (median centre of the mask runs that cross the
mask's centroid column, over the rows of ``torso_rows``) and the *torso half-width* ``t``
(median half-length of those runs, clamped to ``torso_clamp`` times ``W``). Each region box is
then, with ``y`` as shares of ``H`` below ``Y1``:

============  =================================  ==========================================
region        x                                  y (top family / dress family)
============  =================================  ==========================================
collar        ``cx +- collar_half * t``          ``collar_rows``
chest         ``cx +- 0.85 t``                   ``chest_rows``
waist         top: ``cx +- t``; dress: the       ``waist_rows``
              widest run through ``cx``
right_sleeve  ``X1`` to ``cx - t`` (image left)  ``sleeve_rows``
left_sleeve   ``cx + t`` to ``X2`` (image right) ``sleeve_rows``
============  =================================  ==========================================

=================  ==============  ===============  ==============  ==============  ============
family             torso_rows      collar (half,    chest_rows      waist_rows      sleeve_rows
                                   rows)
=================  ==============  ===============  ==============  ==============  ============
short_sleeved_top  0.55-0.85       0.55, 0-0.18     0.18-0.58       0.62-1.0        0-0.55
long_sleeved_top   0.55-0.85       0.55, 0-0.18     0.18-0.58       0.62-1.0        0-1.0
outwear            0.55-0.85       0.65, 0-0.22     0.22-0.58       0.62-1.0        0-1.0
dress              0.28-0.36       0.5, 0-0.12      0.12-0.33       0.36-1.0        0-0.34
=================  ==============  ===============  ==============  ==============  ============

Boxes do not overlap, so an edit confined to one region's box leaves the others as they
were. A sleeve box narrower than 6 % of ``W``, or less than 12 % covered by the mask, is
absent (a sleeveless garment). Boxes are clipped to the image.
"""
import dataclasses
from typing import Dict, Optional, Tuple

import numpy as np

from ...structures import REGIONS

Box = Tuple[int, int, int, int]


@dataclasses.dataclass(frozen=True)
class LayoutRule:
    """One row of the layout table (see the module docstring); rows are shares of ``H``."""
    torso_rows: Tuple[float, float]
    torso_clamp: Tuple[float, float]
    collar_half: float
    collar_rows: Tuple[float, float]
    chest_rows: Tuple[float, float]
    waist_rows: Tuple[float, float]
    sleeve_rows: Tuple[float, float]
    dress: bool = False


#: PS-Net category -> its layout rule.
LAYOUT_RULES: Dict[str, LayoutRule] = {
    'short_sleeved_top': LayoutRule((0.55, 0.85), (0.2, 0.42), 0.55, (0.0, 0.18), (0.18, 0.58),
                                    (0.62, 1.0), (0.0, 0.55)),
    'long_sleeved_top': LayoutRule((0.55, 0.85), (0.2, 0.36), 0.55, (0.0, 0.18), (0.18, 0.58),
                                   (0.62, 1.0), (0.0, 1.0)),
    'outwear': LayoutRule((0.55, 0.85), (0.2, 0.36), 0.65, (0.0, 0.22), (0.22, 0.58),
                          (0.62, 1.0), (0.0, 1.0)),
    'dress': LayoutRule((0.28, 0.36), (0.15, 0.42), 0.5, (0.0, 0.12), (0.12, 0.33),
                        (0.36, 1.0), (0.0, 0.34), dress=True),
}

#: A sleeve box narrower than this share of the garment width is absent.
MIN_SLEEVE_WIDTH = 0.06
#: A sleeve box covered by the mask less than this share is absent.
MIN_SLEEVE_COVER = 0.12


@dataclasses.dataclass
class RegionLayout:
    """Region boxes of one garment (pixels, exclusive ends; absent sleeves omitted).

    Attributes:
        boxes: region name -> ``(x1, y1, x2, y2)``.
        bbox: the garment box.
        cx: centre line (x, pixels).
        torso: torso half-width (pixels).
    """
    boxes: Dict[str, Box]
    bbox: Box
    cx: float
    torso: float

    @property
    def has_sleeves(self) -> bool:
        """Whether at least one sleeve region is present."""
        return 'left_sleeve' in self.boxes or 'right_sleeve' in self.boxes


def runs_through(rows: np.ndarray, x: int) -> np.ndarray:
    """``(N, 2)`` ``[start, stop)`` of the run of ones containing column ``x``, for each row of
    ``rows`` (``(N, W)``) that is set at ``x``.

    Example:
        >>> runs_through(np.array([[0, 1, 1, 1, 0, 1], [1, 0, 1, 0, 0, 0]]), 2).tolist()
        [[1, 4], [2, 3]]
    """
    rows = np.asarray(rows).astype(bool)
    width = rows.shape[1]
    hit = rows[:, x]
    cols = np.arange(width)
    left = np.where(~rows[:, :x], cols[:x], -1).max(1, initial=-1) + 1
    right = np.where(~rows[:, x:], cols[x:], width).min(1, initial=width)
    return np.stack([left, right], 1)[hit]


def _rows(bbox: Box, rows: Tuple[float, float]) -> Tuple[int, int]:
    y1, h = bbox[1], bbox[3] - bbox[1]
    return int(round(y1 + rows[0] * h)), int(round(y1 + rows[1] * h))


def _torso(mask: np.ndarray, bbox: Box, rule: LayoutRule) -> Tuple[float, float]:
    """``(cx, t)``: median centre and half-length of the runs through the centroid column."""
    x1, _, x2, _ = bbox
    w = x2 - x1
    r1, r2 = _rows(bbox, rule.torso_rows)
    band = mask[r1:max(r2, r1 + 1)]
    cols = np.nonzero(band)[1]
    x0 = int(np.median(cols)) if len(cols) else (x1 + x2) // 2
    runs = runs_through(band, min(x0, mask.shape[1] - 1))
    if len(runs):
        cx = float(np.median(runs.mean(1)))
        half = float(np.median(runs[:, 1] - runs[:, 0]) / 2)
    else:
        cx, half = (x1 + x2) / 2, w * rule.torso_clamp[1]
    lo, hi = rule.torso_clamp
    return cx, float(np.clip(half, lo * w, hi * w))


def _clip(box, width: int, height: int) -> Optional[Box]:
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    x1, x2 = max(0, x1), min(width, x2)
    y1, y2 = max(0, y1), min(height, y2)
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def region_layout(mask: np.ndarray, bbox: Box, category: str) -> RegionLayout:
    """Lay the five regions over a garment mask (see the module docstring).

    Raises:
        KeyError: for a category without a layout rule.
    """
    rule = LAYOUT_RULES[category]
    height, width = mask.shape
    x1, y1, x2, y2 = bbox
    cx, t = _torso(mask, bbox, rule)
    boxes: Dict[str, Box] = {}
    cy1, cy2 = _rows(bbox, rule.collar_rows)
    boxes['collar'] = _clip((cx - rule.collar_half * t, cy1, cx + rule.collar_half * t, cy2),
                            width, height)
    hy1, hy2 = _rows(bbox, rule.chest_rows)
    boxes['chest'] = _clip((cx - 0.85 * t, hy1, cx + 0.85 * t, hy2), width, height)
    wy1, wy2 = _rows(bbox, rule.waist_rows)
    wx1, wx2 = cx - t, cx + t
    if rule.dress and wy2 > wy1:
        runs = runs_through(mask[wy1:wy2], min(int(round(cx)), width - 1))
        if len(runs):
            wx1, wx2 = min(wx1, runs[:, 0].min()), max(wx2, runs[:, 1].max())
    boxes['waist'] = _clip((wx1, wy1, wx2, wy2), width, height)
    sy1, sy2 = _rows(bbox, rule.sleeve_rows)
    for name, (a, b) in (('right_sleeve', (x1, cx - t)), ('left_sleeve', (cx + t, x2))):
        box = _clip((a, sy1, b, sy2), width, height)
        if box is None or box[2] - box[0] < MIN_SLEEVE_WIDTH * (x2 - x1):
            continue
        cover = mask[box[1]:box[3], box[0]:box[2]].mean()
        if cover >= MIN_SLEEVE_COVER:
            boxes[name] = box
    boxes = {k: boxes[k] for k in REGIONS if boxes.get(k) is not None}
    return RegionLayout(boxes=boxes, bbox=tuple(int(v) for v in bbox), cx=cx, torso=t)


def region_mask(layout: RegionLayout, region: str, mask: np.ndarray) -> np.ndarray:
    """``(H, W)`` uint8: the garment mask inside the region's box (zeros if absent)."""
    out = np.zeros_like(mask)
    if region in layout.boxes:
        x1, y1, x2, y2 = layout.boxes[region]
        out[y1:y2, x1:x2] = mask[y1:y2, x1:x2]
    return out
