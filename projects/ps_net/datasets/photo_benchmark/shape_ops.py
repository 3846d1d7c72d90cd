"""Shape edits: move a region's outline with an axis stretch (:mod:`.warps`).

Each operator takes the photo, the garment mask, the region layout and a random generator, and
returns the edited photo, the zone box it was allowed to change and the parameters it drew, or
None when the photo gives it no room. A sleeve's zone grows from its box outwards (away from
the centre line), up and down, a hem's zone down, a dress waist's zone sideways (beside the
skirt, where only background lies), a collar's zone is its box; a zone is cut back wherever
it would reach into another region's box (:func:`zone_of`).

* :func:`sleeve_length`: along the sleeve's axis (from its armhole end to the centroid of its
  pixels), shorter (``k`` 0.55-0.8, the background behind shows) or, when the zone has room,
  longer (1.2-1.45);
* :func:`sleeve_width`: across that axis, wider (1.25-1.5) or narrower (0.7-0.82), fading
  to nothing at the armhole;
* :func:`collar_depth`: the neckline deeper (1.35-1.8) or higher (0.55-0.75), strongest on
  the centre line (a V or a round profile across the collar box);
* :func:`hem_length`: the hem higher (0.72-0.88) or lower (1.12-1.3), straight or curved
  (``k`` varies by up to 0.18 from the centre to the sides);
* :func:`waist_shape` (dresses): the waist taken in (0.78-0.9) or, from the waist line down,
  the skirt flared (1.12-1.3) or narrowed (0.78-0.88).
"""
from typing import List, Tuple

import numpy as np

from .region_layout import RegionLayout
from .warps import axis_stretch, box_weight

Box = Tuple[int, int, int, int]


def _grow(box: Box, shape, left: float, top: float, right: float, bottom: float) -> Box:
    h, w = shape[:2]
    return (max(0, int(box[0] - left)), max(0, int(box[1] - top)),
            min(w, int(box[2] + right)), min(h, int(box[3] + bottom)))


def zone_of(layout: RegionLayout, name: str, shape, left: float = 0, top: float = 0,
            right: float = 0, bottom: float = 0) -> Box:
    """The region's box grown by the given margins, then cut back wherever it would reach
    into another region's box (on the side that other box lies)."""
    own = layout.boxes[name]
    x1, y1, x2, y2 = _grow(own, shape, left, top, right, bottom)
    for other, b in layout.boxes.items():
        if other == name or min(x2, b[2]) <= max(x1, b[0]) or min(y2, b[3]) <= max(y1, b[1]):
            continue
        if b[1] >= own[3]:
            y2 = min(y2, b[1])
        elif b[3] <= own[1]:
            y1 = max(y1, b[3])
        elif b[0] >= own[2]:
            x2 = min(x2, b[0])
        elif b[2] <= own[0]:
            x1 = max(x1, b[2])
    return (x1, y1, x2, y2)


def _pixels(mask: np.ndarray, box: Box) -> np.ndarray:
    """``(N, 2)`` x, y of the garment pixels inside ``box``."""
    ys, xs = np.nonzero(mask[box[1]:box[3], box[0]:box[2]])
    return np.stack([xs + box[0] + 0.5, ys + box[1] + 0.5], 1).astype(np.float32)


def _sleeve_axis(mask: np.ndarray, box: Box, inner_x: float):
    """``(anchor, axis, pixels)``: the armhole end of the sleeve and its direction."""
    pts = _pixels(mask, box)
    if len(pts) < 50:
        return None
    near = pts[np.abs(pts[:, 0] - inner_x) <= 0.15 * (box[2] - box[0]) + 1]
    anchor = np.array([inner_x, np.median((near if len(near) else pts)[:, 1])], np.float32)
    axis = pts.mean(0) - anchor
    if np.linalg.norm(axis) < 3:
        return None
    return anchor, axis / np.linalg.norm(axis), pts


def _sleeve(layout: RegionLayout, mask: np.ndarray, name: str, shape):
    """``(zone, anchor, axis, pixels, weight)`` of a sleeve, or None when it is too small."""
    box = layout.boxes[name]
    g = 0.3 * max(box[2] - box[0], box[3] - box[1]) + 6
    if name == 'right_sleeve':  # image left: grows left, never right (the torso)
        zone, inner = zone_of(layout, name, shape, left=g, top=g, bottom=g), float(box[2])
    else:
        zone, inner = zone_of(layout, name, shape, top=g, right=g, bottom=g), float(box[0])
    found = _sleeve_axis(mask, box, inner)
    if found is None:
        return None
    weight = box_weight(zone, 0.12 * min(zone[2] - zone[0], zone[3] - zone[1]) + 3)
    return (zone, ) + found + (weight, )


def _profile(k: float, s_end: float) -> Tuple[float, float]:
    """``(s1, s2)`` that move an outline at ``s_end`` to ``k * s_end`` and return to the
    identity ``0.15 * s_end + 4`` pixels beyond it."""
    s1 = k * s_end
    return s1, max(s1, s_end) + 0.15 * s_end + 4


def _room(zone: Box, anchor, axis, s_end: float) -> float:
    """How far (pixels) from the anchor along the axis the zone reaches, over ``s_end``."""
    reach = []
    for lo, hi, a, u in ((zone[0], zone[2], anchor[0], axis[0]),
                         (zone[1], zone[3], anchor[1], axis[1])):
        if abs(u) > 1e-6:
            reach.append(((hi if u > 0 else lo) - a) / u)
    return min(reach) / max(s_end, 1.0)


def sleeve_length(image, mask, layout: RegionLayout, names: List[str], rng):
    """See the module docstring; ``names`` are the sleeves to change (the same ``k``)."""
    sleeves = []
    for name in names:
        found = _sleeve(layout, mask, name, image.shape)
        if found is None:
            return None
        zone, anchor, axis, pts, weight = found
        s_end = float(((pts - anchor) @ axis).max())
        # the longest stretch whose new cuff and ramp back still fit in the zone
        fit = (_room(zone, anchor, axis, s_end) * s_end - 0.15 * s_end - 8) / s_end
        sleeves.append((name, zone, anchor, axis, weight, s_end, fit))
    most = min(s[-1] for s in sleeves)
    longer = bool(rng.uniform() < 0.5) and most >= 1.2
    k = rng.uniform(1.2, min(1.45, most)) if longer else rng.uniform(0.55, 0.8)
    out, zones = image, {}
    for name, zone, anchor, axis, weight, s_end, _ in sleeves:
        s1, s2 = _profile(k, s_end)
        out = axis_stretch(out, zone, tuple(anchor), tuple(axis), k, s1, s2, weight)
        zones[name] = zone
    return out, zones, dict(k=round(float(k), 3), longer=longer)


def sleeve_width(image, mask, layout: RegionLayout, names: List[str], rng):
    """See the module docstring."""
    wider = bool(rng.uniform() < 0.5)
    k = rng.uniform(1.25, 1.5) if wider else rng.uniform(0.7, 0.82)
    out, zones = image, {}
    for name in names:
        found = _sleeve(layout, mask, name, image.shape)
        if found is None:
            return None
        zone, anchor, axis, pts, weight = found
        normal = np.array([-axis[1], axis[0]], np.float32)
        offset = float(np.median((pts - anchor) @ normal))
        centre = anchor + offset * normal
        s_end = float(np.abs((pts - centre) @ normal).max())
        s1, s2 = _profile(k, s_end)
        # fade in from the armhole: the sleeve keeps its width where it joins the body
        gx = np.arange(zone[0], zone[2], dtype=np.float32)[None, :] + 0.5
        gy = np.arange(zone[1], zone[3], dtype=np.float32)[:, None] + 0.5
        along = (gx - anchor[0]) * axis[0] + (gy - anchor[1]) * axis[1]
        t = np.clip(along / max(float(((pts - anchor) @ axis).max()), 1.0), 0, 1)
        weight = weight * (t * t * (3 - 2 * t))
        out = axis_stretch(out, zone, tuple(centre), tuple(normal), k, s1, s2, weight,
                           symmetric=True)
        zones[name] = zone
    return out, zones, dict(k=round(float(k), 3), wider=wider)


def collar_depth(image, mask, layout: RegionLayout, names: List[str], rng):
    """See the module docstring."""
    box = layout.boxes['collar']
    s_end = float(box[3] - box[1])
    half = (box[2] - box[0]) / 2
    if s_end < 6 or half < 4:
        return None
    deeper = bool(rng.uniform() < 0.6)
    k = rng.uniform(1.35, 1.8) if deeper else rng.uniform(0.55, 0.75)
    s1, s2 = 0.75 * s_end * min(1.0, k), s_end
    profile = 'vee' if rng.uniform() < 0.5 else 'round'
    gx = np.arange(box[0], box[2], dtype=np.float32)[None, :] + 0.5
    r = np.clip(np.abs(gx - layout.cx) / half, 0, 1)
    lateral = 1 - r if profile == 'vee' else np.cos(r * np.pi / 2)
    weight = box_weight(box, 2) * lateral
    out = axis_stretch(image, box, (layout.cx, float(box[1])), (0.0, 1.0), k, s1, s2, weight)
    return out, {'collar': box}, dict(k=round(float(k), 3), deeper=deeper, profile=profile)


def hem_length(image, mask, layout: RegionLayout, names: List[str], rng):
    """See the module docstring."""
    box = layout.boxes['waist']
    height = image.shape[0]
    cols = mask[box[1]:, box[0]:box[2]]
    rows = np.nonzero(cols.any(1))[0]
    if not len(rows):
        return None
    s_end = float(rows.max() + 1)  # from the waist box top to the lowest garment pixel
    room = (height - box[1] - 0.15 * s_end - 8) / s_end
    longer = bool(rng.uniform() < 0.5) and room >= 1.15
    k0 = rng.uniform(1.12, min(1.3, room)) if longer else rng.uniform(0.72, 0.88)
    curve = bool(rng.uniform() < 0.4)
    bend = float(rng.uniform(0.08, 0.18) * rng.choice([-1, 1])) if curve else 0.0
    zone = zone_of(layout, 'waist', image.shape,
                   bottom=int(0.15 * s_end + 8 + max(k0 - 1, 0) * s_end))
    gx = np.arange(zone[0], zone[2], dtype=np.float32)[None, :] + 0.5
    half = max((box[2] - box[0]) / 2, 1)
    k = np.clip(k0 + bend * ((gx - layout.cx) / half) ** 2, 0.6, max(k0, 1.0) if longer
                else 0.95)
    k = np.broadcast_to(k, (zone[3] - zone[1], zone[2] - zone[0]))
    s1 = k * s_end
    s2 = np.maximum(s1, s_end) + 0.15 * s_end + 4
    weight = box_weight(zone, 0.15 * (zone[2] - zone[0]) + 2)
    out = axis_stretch(image, zone, (layout.cx, float(box[1])), (0.0, 1.0), k, s1, s2, weight)
    return out, {'waist': zone}, dict(k=round(float(k0), 3), longer=longer,
                                      bend=round(bend, 3))


def waist_shape(image, mask, layout: RegionLayout, names: List[str], rng):
    """See the module docstring (dresses only: their waist box is the skirt)."""
    box = layout.boxes['waist']
    h = box[3] - box[1]
    style = ('cinch', 'flare', 'narrow')[int(rng.integers(3))]
    k = {'cinch': rng.uniform(0.78, 0.9), 'flare': rng.uniform(1.12, 1.3),
         'narrow': rng.uniform(0.78, 0.88)}[style]
    g = 0.25 * (box[2] - box[0]) + 6
    zone = zone_of(layout, 'waist', image.shape, left=g, right=g)
    gy = (np.arange(zone[1], zone[3], dtype=np.float32)[:, None] + 0.5 - box[1]) / max(h, 1)
    if style == 'cinch':
        rows = np.clip(gy / 0.1, 0, 1) * np.clip((0.5 - gy) / 0.25, 0, 1)
    else:
        rows = np.clip(gy, 0, 1)
    band = rows[:, 0] > 0.5
    pts = _pixels(mask, (box[0], box[1] + int(np.argmax(band)), box[2],
                         box[1] + int(len(band) - np.argmax(band[::-1]))))
    if len(pts) < 50:
        return None
    s_end = float(np.abs(pts[:, 0] - layout.cx).max())
    s1, s2 = _profile(k, s_end)
    if layout.cx - s2 < zone[0] or layout.cx + s2 > zone[2]:
        s2 = min(layout.cx - zone[0], zone[2] - layout.cx)
        s1 = min(s1, 0.95 * k * s2)
    weight = box_weight(zone, 0.1 * (zone[2] - zone[0]) + 2) * rows
    out = axis_stretch(image, zone, (layout.cx, 0.0), (1.0, 0.0), k, s1, s2, weight,
                       symmetric=True)
    return out, {'waist': zone}, dict(k=round(float(k), 3), style=style)
