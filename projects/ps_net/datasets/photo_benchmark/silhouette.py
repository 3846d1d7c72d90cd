"""The garment's silhouette against the background, without any learned model.

GrabCut (OpenCV) runs on the photo reduced to ``side`` pixels (longer side): a band of
``border`` (share of the longer side) along the image edges is taken as background, the rest
as probable garment; the largest connected part of the result, with every other part at
least ``min_part`` of its size (the second shoe of a pair, a sleeve lying apart), closed by a
3 x 3 kernel, is the garment. The result is checked against what a photo of one garment
lying flat or hanging looks like; when a check fails the silhouette *falls back* to a fixed central box (the
garment is assumed to fill ``FALLBACK_BOX`` of the frame) and records why:

* ``empty`` / ``too small``: the garment covers under ``min_area`` of the image (a dark
  garment on a dark floor, a print found instead of the shirt);
* ``too large``: over ``max_area`` (nothing told apart from the background);
* ``too narrow``: the garment box spans under ``min_span`` of the width or of the height;
* ``sparse``: the garment fills under ``min_fill`` of its own box;
* ``fragmented``: the parts kept hold under ``min_main`` of what GrabCut marked.

A second GrabCut seeded with the image centre as garment was tried on the photos that fail
these checks (``clothing-small``): it passes the checks on most of them but with partial
masks (half a sweater), which would place edits wrongly without a flag, so it is not used.
Most failures are garments that fill the frame, where the fixed central box is about right.

GrabCut's k-means is seeded before every call, so the same photo gives the same mask.
"""
import dataclasses
from typing import Optional, Tuple

import cv2
import numpy as np

#: Where the garment is assumed to lie when the silhouette falls back: (x1, y1, x2, y2)
#: as shares of the image width and height.
FALLBACK_BOX = (0.08, 0.05, 0.92, 0.95)


@dataclasses.dataclass
class Silhouette:
    """A garment mask and how it was found.

    Attributes:
        mask: ``(H, W)`` uint8, 1 on the garment, at the photo's size.
        bbox: ``[x1, y1, x2, y2]`` of the mask (pixels, exclusive ends).
        fallback: None when GrabCut's mask passed the checks, else the failed check.
    """
    mask: np.ndarray
    bbox: Tuple[int, int, int, int]
    fallback: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class SilhouetteConfig:
    """Settings of :func:`estimate_silhouette` (see the module docstring)."""
    side: int = 128
    iterations: int = 2
    border: float = 0.03
    min_area: float = 0.10
    max_area: float = 0.90
    min_span: float = 0.30
    min_fill: float = 0.35
    min_main: float = 0.80
    min_part: float = 0.25


def fallback_silhouette(height: int, width: int, reason: str) -> Silhouette:
    """The central :data:`FALLBACK_BOX` as the garment, flagged with ``reason``."""
    x1, y1 = round(FALLBACK_BOX[0] * width), round(FALLBACK_BOX[1] * height)
    x2, y2 = round(FALLBACK_BOX[2] * width), round(FALLBACK_BOX[3] * height)
    mask = np.zeros((height, width), np.uint8)
    mask[y1:y2, x1:x2] = 1
    return Silhouette(mask, (x1, y1, x2, y2), reason)


def _grabcut(small: np.ndarray, config: SilhouetteConfig) -> np.ndarray:
    h, w = small.shape[:2]
    mask = np.full((h, w), cv2.GC_PR_FGD, np.uint8)
    b = max(2, round(config.border * max(h, w)))
    mask[:b] = mask[-b:] = cv2.GC_BGD
    mask[:, :b] = mask[:, -b:] = cv2.GC_BGD
    cv2.setRNGSeed(0)
    cv2.grabCut(small, mask, None, np.zeros((1, 65)), np.zeros((1, 65)), config.iterations,
                cv2.GC_INIT_WITH_MASK)
    return ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8)


def check_mask(mask: np.ndarray, marked: int, config: SilhouetteConfig) -> Optional[str]:
    """Why a garment mask is implausible (see the module docstring), or None."""
    area = int(mask.sum())
    if area == 0:
        return 'empty'
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    bw, bh = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    if area < config.min_area * h * w:
        return 'too small'
    if area > config.max_area * h * w:
        return 'too large'
    if bw < config.min_span * w or bh < config.min_span * h:
        return 'too narrow'
    if area < config.min_fill * bw * bh:
        return 'sparse'
    if area < config.min_main * marked:
        return 'fragmented'
    return None


def estimate_silhouette(rgb: np.ndarray,
                        config: SilhouetteConfig = SilhouetteConfig()) -> Silhouette:
    """The garment mask of an RGB photo (see the module docstring)."""
    h, w = rgb.shape[:2]
    scale = config.side / max(h, w)
    sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
    small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
    marked = _grabcut(small, config)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(marked, connectivity=8)
    if n > 1:
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = 1 + np.flatnonzero(areas >= config.min_part * areas.max())
        mask = np.isin(labels, keep).astype(np.uint8)
    else:
        mask = marked
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    reason = check_mask(mask, int(marked.sum()), config)
    if reason is not None:
        return fallback_silhouette(h, w, reason)
    full = (cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
            >= 0.5).astype(np.uint8)
    ys, xs = np.nonzero(full)
    return Silhouette(full, (int(xs.min()), int(ys.min()), int(xs.max()) + 1,
                             int(ys.max()) + 1))
