"""Region division (PS-Net, Figure 4): predicted landmarks -> five region boxes.

The five regions, in the order of every region tensor (:data:`REGIONS`): left sleeve, right
sleeve, collar, chest, waist, by the wearer's left and right (the wearer's right sleeve is on
the image left). Boxes come from the landmarks of the garment's DeepFashion2 category through
one geometric table, derived from the keypoint order (:mod:`ps_net.structures.df2_layout`; each
side chain is ``shoulder, sleeve outer..., cuff inner, sleeve inner..., armpit, side..., hem
corner``):

==============  =================================================================================
region          box
==============  =================================================================================
collar          box of the neck points (back neck, both neck sides, front neckline; outwear:
                lapels and opening top)
right sleeve    box of the image-left chain from the shoulder to the armpit (absent when
                sleeveless)
left sleeve     the same on the image-right chain
chest           x: between the two armpits; y: from the lowest collar point (or the armpits,
                when a deep neckline reaches below them) to the waist line (DeepFashion2 has
                no chest landmarks: the collar, the armpits and the waist bound it)
waist           x: the widest of the side points below the waist line and the hem corners;
                y: from the waist line to the lowest hem point
==============  =================================================================================

The *waist line* is the mean height of the side points that sit at the waist: both upper side
points of tops (the waist lies between them), the first side point of dresses and sleeveless
garments. Every box is padded by ``pad`` times the garment's landmark extent.

Fallback: a region whose landmarks are not confident (fewer than ``min_points`` of them with a
score >= ``score_thr``) gets a box from a per-family template of the garment box (fractions of
its width and height) and is flagged in ``fallback``. A region the category does not have (no
sleeves on a vest) is ``valid=False``; similarities and losses mask it out for that pair.
"""
import dataclasses
import functools
from typing import Dict, List, Optional, Sequence

import numpy as np

from ...structures import DF2_SLEEVELESS, DF2_TO_PSNET, REGIONS
from ...structures.df2_layout import (DF2_CHAIN_COUNTS, DF2_NUM_KEYPOINTS, df2_chain_length,
                                      df2_side_chains)

#: Garment-box templates ``(x1, y1, x2, y2)`` as fractions of the box, for the fallback.
FALLBACK_TEMPLATES = {
    'top': {'left_sleeve': (0.72, 0.0, 1.0, 0.45), 'right_sleeve': (0.0, 0.0, 0.28, 0.45),
            'collar': (0.3, 0.0, 0.7, 0.2), 'chest': (0.22, 0.15, 0.78, 0.6),
            'waist': (0.18, 0.55, 0.82, 1.0)},
    'dress': {'left_sleeve': (0.7, 0.0, 1.0, 0.3), 'right_sleeve': (0.0, 0.0, 0.3, 0.3),
              'collar': (0.3, 0.0, 0.7, 0.12), 'chest': (0.25, 0.08, 0.75, 0.35),
              'waist': (0.1, 0.3, 0.9, 1.0)},
}


@functools.lru_cache(maxsize=None)
def region_landmark_table(category_id: int) -> Dict[str, tuple]:
    """Local landmark indices per region of a category, and the ``waist_line`` points.

    Example:
        >>> t = region_landmark_table(1)  # short-sleeved top, 25 points
        >>> t['collar'], t['right_sleeve'], t['waist_line']
        ((0, 1, 2, 3, 4, 5), (6, 7, 8, 9, 10, 11), (12, 13, 18, 17))
    """
    if category_id not in DF2_CHAIN_COUNTS:
        raise ValueError(f'category_id must be a searched (upper-body or dress) DeepFashion2 '
                         f'category {sorted(DF2_CHAIN_COUNTS)}, got {category_id!r}')
    n_o, n_i, n_s = DF2_CHAIN_COUNTS[category_id]
    per = df2_chain_length(category_id)
    il, ir = df2_side_chains(category_id)
    if category_id == 3:
        collar = [0, 1, 2, 3, 4, 5, 25]
        hem = [6 + per - 1, 6 + per, 28, ir[-1]]
    elif category_id == 4:
        collar = [0, 1, 2, 3, 4, 5, 33]
        hem = [6 + per - 1, 6 + per, 36, ir[-1]]
    else:
        collar = [0, 1, 2, 3, 4, 5]
        hem = [il[-1], 6 + per, ir[-1]]
    sleeve = 0 if category_id in DF2_SLEEVELESS else 2 + n_o + n_i
    armpit = 1 if not sleeve else sleeve - 1
    sides_il, sides_ir = il[armpit + 1:armpit + 1 + n_s], ir[armpit + 1:armpit + 1 + n_s]
    at_waist = 2 if (DF2_TO_PSNET[category_id] != 'dress' and n_s == 2) else 1
    table = dict(collar=tuple(collar), armpits=(il[armpit], ir[armpit]),
                 waist_line=tuple(sides_il[:at_waist] + sides_ir[:at_waist]),
                 sides=tuple(sides_il + sides_ir), hem=tuple(hem))
    if sleeve:
        table['right_sleeve'] = tuple(il[:sleeve])
        table['left_sleeve'] = tuple(ir[:sleeve])
    return table


@dataclasses.dataclass
class RegionDivision:
    """Five region boxes of one garment.

    Attributes:
        boxes: ``(5, 4)`` ``[x1, y1, x2, y2]`` in the landmarks' pixels, order :data:`REGIONS`
            (zeros where not ``valid``).
        valid: ``(5,)`` whether the garment has the region.
        fallback: ``(5,)`` whether the box comes from the garment-box template.
    """
    boxes: np.ndarray
    valid: np.ndarray
    fallback: np.ndarray

    def as_dict(self) -> Dict[str, List[float]]:
        """``{region: box}`` of the valid regions (the spec's ``region_boxes`` field)."""
        return {r: [float(v) for v in b] for r, b, ok in zip(REGIONS, self.boxes, self.valid)
                if ok}


def _box(points: np.ndarray) -> np.ndarray:
    return np.concatenate([points.min(0), points.max(0)])


def template_regions(family: str, bbox: Sequence[float]) -> np.ndarray:
    """The five region boxes of :data:`FALLBACK_TEMPLATES` over a garment box.

    Args:
        family: ``'top'`` or ``'dress'``.
        bbox: garment box ``[x1, y1, x2, y2]``.

    Returns:
        ``(5, 4)`` boxes in the order of :data:`REGIONS`.

    Example:
        >>> template_regions('top', [0, 0, 100, 200])[REGIONS.index('collar')].tolist()
        [30.0, 0.0, 70.0, 40.0]
    """
    if family not in FALLBACK_TEMPLATES:
        raise ValueError(f'family must be one of {sorted(FALLBACK_TEMPLATES)}, got {family!r}')
    bx1, by1, bx2, by2 = (float(v) for v in bbox)
    frac = np.array([FALLBACK_TEMPLATES[family][r] for r in REGIONS])
    w, h = bx2 - bx1, by2 - by1
    return np.stack([bx1 + frac[:, 0] * w, by1 + frac[:, 1] * h,
                     bx1 + frac[:, 2] * w, by1 + frac[:, 3] * h], axis=1)


def divide_regions(category_id: int, keypoints: np.ndarray,
                   scores: Optional[np.ndarray] = None, bbox: Optional[Sequence[float]] = None,
                   score_thr: float = 0.3, min_points: int = 2,
                   pad: float = 0.04) -> RegionDivision:
    """Five region boxes from the landmarks of one garment.

    Args:
        category_id: DeepFashion2 category id of the garment (a searched one).
        keypoints: ``(K, 2)`` landmarks of the category (its own slots, local order).
        scores: ``(K,)`` confidences (heatmap maxima, or 0/1 visibility); default all 1.
        bbox: garment box for the fallback (default: the box of the confident landmarks).
        score_thr: a landmark is confident when its score is at least this.
        min_points: fewer confident landmarks than this in a region -> fallback.
        pad: padding of each box, as a share of the garment's landmark extent.

    Returns:
        A :class:`RegionDivision`.

    Raises:
        ValueError: for a lower-body category, a wrong number of keypoints, or when neither
            confident landmarks nor ``bbox`` give a garment box.
    """
    table = region_landmark_table(category_id)
    kpts = np.asarray(keypoints, np.float64)
    n = DF2_NUM_KEYPOINTS[category_id]
    if kpts.shape != (n, 2):
        raise ValueError(f'keypoints of category {category_id} must have shape ({n}, 2), got '
                         f'{kpts.shape}')
    conf = np.ones(n, bool) if scores is None else np.asarray(scores) >= score_thr
    if bbox is None:
        if conf.sum() < 2:
            raise ValueError('no garment box: pass bbox when fewer than 2 landmarks are '
                             f'confident (score >= {score_thr})')
        bbox = _box(kpts[conf])
    bx1, by1, bx2, by2 = (float(v) for v in bbox)
    extent = max(bx2 - bx1, by2 - by1, 1.0)
    family = 'dress' if DF2_TO_PSNET[category_id] == 'dress' else 'top'

    def ok(idx) -> bool:
        return int(conf[list(idx)].sum()) >= min_points

    def pts(idx) -> np.ndarray:
        idx = [i for i in idx if conf[i]]
        return kpts[idx]

    boxes = np.zeros((5, 4))
    valid = np.zeros(5, bool)
    fallback = np.zeros(5, bool)
    found: Dict[str, Optional[np.ndarray]] = {}
    for r in ('left_sleeve', 'right_sleeve', 'collar'):
        if r in table:
            found[r] = _box(pts(table[r])) if ok(table[r]) else None
    line = table['waist_line']
    collar_ok = ok(table['collar'])
    if ok(table['armpits']) and collar_ok and ok(line):
        y_top = pts(table['collar'])[:, 1].max()
        y_waist = pts(line)[:, 1].mean()
        arm = pts(table['armpits'])
        y1 = min(y_top, arm[:, 1].min(), y_waist)
        found['chest'] = np.array([arm[:, 0].min(), y1, arm[:, 0].max(), y_waist])
    else:
        found['chest'] = None
    if ok(line) and ok(table['hem']):
        y_waist = pts(line)[:, 1].mean()
        below = [i for i in table['sides'] + table['hem'] if conf[i] and kpts[i, 1] >= y_waist]
        lower = kpts[below] if below else pts(table['hem'])
        xs = np.concatenate([lower[:, 0], pts(line)[:, 0]])
        found['waist'] = np.array([xs.min(), y_waist, xs.max(), lower[:, 1].max()])
    else:
        found['waist'] = None
    templates = template_regions(family, (bx1, by1, bx2, by2))
    for k, r in enumerate(REGIONS):
        if r not in found:
            continue
        valid[k] = True
        if found[r] is None:
            boxes[k] = templates[k]
            fallback[k] = True
        else:
            p = pad * extent
            boxes[k] = found[r] + np.array([-p, -p, p, p])
    return RegionDivision(boxes=boxes, valid=valid, fallback=fallback)
