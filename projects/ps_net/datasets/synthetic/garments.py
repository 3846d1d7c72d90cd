"""Garment silhouettes: shape parameters, outline polygons, DeepFashion2 landmarks, region groups.

Everything here is in *garment units*: the neck centre is the origin, ``y`` grows downwards and
a top is about one unit long. The wearer's right is the image left (negative ``x``, suffix
``_il`` = image left), as in a front photograph. :func:`garment_geometry` turns a
:class:`GarmentShape` into the named points, the drawable polygons, the landmarks in the
DeepFashion2 order of the garment's category and the point groups of the five regions; the
renderer maps all of it to pixels with one affine transform.

DeepFashion2 keypoint order (1-based, checked against mmpose's flip pairs in the tests), with
``chain`` = ``[shoulder, sleeve outer x n_o (last: cuff outer), cuff inner, sleeve inner x n_i
(last: armpit), side x n_s, hem corner]`` (sleeveless: ``[shoulder, armpit, side x n_s, hem
corner]``):

* tops and dresses: 1 back neck, 2 neck side (image left), 3-5 front neckline (image left,
  centre, image right), 6 neck side (image right), image-left chain, hem centre, image-right
  chain reversed;
* short-sleeved outwear (31): 1 back neck, 2 neck side il, 3 lapel il, 4 opening top il,
  5 lapel ir, 6 opening top ir, 7-15 chain il, 16 hem opening il, 17-25 chain ir reversed,
  26 neck side ir, 27-28 opening il, 29 hem opening ir, 30-31 opening ir;
* long-sleeved outwear (39): 1 back neck, 2 neck side il, 3 lapel il, 4 opening top il,
  5 lapel ir, 6 neck side ir, 7-19 chain il, 20 hem opening il, 21-33 chain ir reversed,
  34 opening top ir, 35-36 opening il, 37 hem opening ir, 38-39 opening ir.
"""
import dataclasses
import math
from typing import Dict, List, Tuple

import numpy as np

from ...structures import DF2_SLEEVELESS
from ...structures.df2_layout import DF2_CHAIN_COUNTS, DF2_NUM_KEYPOINTS

Point = Tuple[float, float]

OUTWEAR = frozenset({3, 4})
DRESSES = frozenset({10, 11, 12, 13})
LONG_SLEEVED = frozenset({2, 4, 11})
NECKLINES = ('round', 'v', 'square', 'boat', 'shirt')
HEMS = ('straight', 'curved', 'tail', 'scallop')

#: Deepest a collar (neckline + trim + flap) reaches, in garment units; prints start below it.
COLLAR_MAX_DEPTH = {'top': 0.25, 'outwear': 0.33}
SLEEVE_LENGTH = {'short': (0.15, 0.27), 'long': (0.52, 0.70)}
#: default range of a long sleeve's angle below the horizontal, degrees (arms half raised)
LONG_SLEEVE_ANGLE = (55.0, 68.0)


@dataclasses.dataclass(frozen=True)
class GarmentShape:
    """Silhouette parameters of one garment (garment units, angles in radians).

    Attributes:
        category_id: DeepFashion2 category id (1-6, 10-13).
        neckline: one of :data:`NECKLINES` (outwear: its lapel collar ignores it).
        neck_half, neck_depth: half width of the neck opening and depth of the front neckline.
        lapel_width: outwear lapel width.
        shoulder_half, shoulder_drop: shoulder point (strap edge when sleeveless).
        chest_half, armpit_y: armpit point.
        waist_half, waist_y: waist point (the chest/waist region border).
        hem_half, length, hem: hem corner and hem style (:data:`HEMS`); ``hem_dev`` is the
            drop of the hem centre below the corners.
        sleeve_length, sleeve_angle, cuff_width: per side ``(image left, image right)``.
        trim_width: width of the neckline trim band (0: none).
    """
    category_id: int
    neckline: str
    neck_half: float
    neck_depth: float
    lapel_width: float
    shoulder_half: float
    shoulder_drop: float
    chest_half: float
    armpit_y: float
    waist_half: float
    waist_y: float
    hem_half: float
    length: float
    hem: str
    hem_dev: float
    sleeve_length: Tuple[float, float]
    sleeve_angle: float
    cuff_width: float
    trim_width: float

    @property
    def family(self) -> str:
        return 'outwear' if self.category_id in OUTWEAR else 'top'

    @property
    def sleeveless(self) -> bool:
        return self.category_id in DF2_SLEEVELESS

    @property
    def sleeve_kind(self) -> str:
        return 'long' if self.category_id in LONG_SLEEVED else 'short'


def sample_neckline(category_id: int, rng: np.random.Generator) -> dict:
    """Draw the collar parameters (``neckline``, ``neck_half``, ``neck_depth``, ...)."""
    if category_id in OUTWEAR:
        return dict(neckline='round', neck_half=rng.uniform(0.09, 0.13),
                    neck_depth=rng.uniform(0.18, 0.28), lapel_width=rng.uniform(0.04, 0.09),
                    trim_width=rng.choice([0.0, 0.015]))
    style = NECKLINES[rng.integers(len(NECKLINES))]
    if category_id in (6, 13):  # slings: narrow straps, low neckline
        style = ('round', 'v', 'square')[rng.integers(3)]
    depth = {'round': (0.07, 0.13), 'v': (0.15, 0.22), 'square': (0.10, 0.16),
             'boat': (0.03, 0.06), 'shirt': (0.05, 0.08)}[style]
    half = (0.15, 0.19) if style == 'boat' else (0.08, 0.12)
    return dict(neckline=style, neck_half=rng.uniform(*half), neck_depth=rng.uniform(*depth),
                lapel_width=0.0, trim_width=rng.choice([0.0, 0.0, 0.012, 0.022]))


def sample_hem(category_id: int, rng: np.random.Generator) -> dict:
    """Draw the hem style and its drop."""
    hems = HEMS if category_id in DRESSES else HEMS[:3]
    hem = hems[rng.integers(len(hems))]
    dev = {'straight': 0.0, 'curved': rng.uniform(0.03, 0.07), 'tail': rng.uniform(0.08, 0.12),
           'scallop': rng.uniform(0.0, 0.04)}[hem]
    return dict(hem=hem, hem_dev=float(dev))


def sample_shape(category_id: int, rng: np.random.Generator,
                 long_sleeve_angle: Tuple[float, float] = LONG_SLEEVE_ANGLE) -> GarmentShape:
    """Draw a random silhouette of a DeepFashion2 upper-body or dress category; a long
    sleeve's angle below the horizontal is drawn uniformly from ``long_sleeve_angle``
    (degrees; 90 hangs straight down)."""
    if category_id not in DF2_CHAIN_COUNTS:
        raise ValueError(f'category_id must be one of {sorted(DF2_CHAIN_COUNTS)} (upper body or '
                         f'dress), got {category_id!r}')
    u = rng.uniform
    neck = sample_neckline(category_id, rng)
    chest = u(0.27, 0.33)
    dress = category_id in DRESSES
    waist_y = u(0.46, 0.52) if dress else u(0.56, 0.62)
    waist_half = chest * (u(0.76, 0.88) if dress else u(0.9, 1.0))
    if category_id in DF2_SLEEVELESS:
        strap = u(0.03, 0.05) if category_id in (6, 13) else u(0.07, 0.11)
        shoulder = neck['neck_half'] + strap
    else:
        shoulder = chest + u(0.03, 0.07)
    kind = 'long' if category_id in LONG_SLEEVED else 'short'
    length = u(0.88, 1.0) if not dress else u(1.3, 1.65)
    sl = u(*SLEEVE_LENGTH[kind])
    return GarmentShape(
        category_id=category_id, shoulder_half=shoulder, shoulder_drop=u(0.04, 0.07),
        chest_half=chest, armpit_y=u(0.26, 0.31), waist_half=waist_half, waist_y=waist_y,
        hem_half=waist_half * (u(1.3, 1.9) if dress else u(1.0, 1.1)), length=length,
        sleeve_length=(sl, sl),
        sleeve_angle=math.radians(u(*long_sleeve_angle) if kind == 'long' else u(25, 42)),
        cuff_width=u(0.08, 0.11) if kind == 'long' else u(0.12, 0.16), **neck,
        **sample_hem(category_id, rng))


def _lerp(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _quad(a: Point, ctrl: Point, b: Point, n: int) -> List[Point]:
    """``n + 1`` points of the quadratic Bezier curve from ``a`` to ``b``."""
    out = []
    for i in range(n + 1):
        t = i / n
        out.append(((1 - t)**2 * a[0] + 2 * t * (1 - t) * ctrl[0] + t**2 * b[0],
                    (1 - t)**2 * a[1] + 2 * t * (1 - t) * ctrl[1] + t**2 * b[1]))
    return out


def _polyline_points(line: List[Point], fractions: List[float]) -> List[Point]:
    """Points at the given fractions of the arc length of a polyline."""
    seg = [math.dist(p, q) for p, q in zip(line[:-1], line[1:])]
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    out = []
    for f in fractions:
        d = f * cum[-1]
        i = int(min(np.searchsorted(cum, d, side='right') - 1, len(seg) - 1))
        out.append(_lerp(line[i], line[i + 1], (d - cum[i]) / seg[i] if seg[i] else 0.0))
    return out


def _mirror(points: List[Point]) -> List[Point]:
    return [(-x, y) for x, y in points]


def _hem_y(shape: GarmentShape, x: float) -> float:
    """Hem height at ``x`` (the hem centre sits at ``x = 0``)."""
    t = min(abs(x) / shape.hem_half, 1.0)
    if shape.hem == 'tail':
        y = shape.length + shape.hem_dev * (1 - t**2)**2
    else:
        y = shape.length + shape.hem_dev * (1 - t**2)
    if shape.hem == 'scallop':
        y += 0.025 * abs(math.sin(t * math.pi * 3))
    return y


def side_x(shape: GarmentShape, y: float) -> float:
    """Half width of the body at height ``y`` (between the armpit and the hem corner)."""
    a, w, h = ((shape.chest_half, shape.armpit_y), (shape.waist_half, shape.waist_y),
               (shape.hem_half, shape.length))
    p, q = (a, w) if y <= w[1] else (w, h)
    t = min(max((y - p[1]) / (q[1] - p[1]), 0.0), 1.0)
    return p[0] + (q[0] - p[0]) * t


@dataclasses.dataclass
class Geometry:
    """Drawable polygons, landmarks and region point groups of one garment (garment units).

    Attributes:
        polygons: name -> closed polygon. ``sleeve_il``/``sleeve_ir`` (drawn first), ``body``,
            ``back`` (the inside of the back above the front neckline), ``skirt`` (the body
            below the waist), ``trim`` (neckline band), ``flap_il``/``flap_ir`` (shirt
            collar), ``lapel_il``/``lapel_ir`` (outwear), ``cuff_il``/``cuff_ir``.
        landmarks: ``(K, 2)`` points in the DeepFashion2 order of the category.
        groups: region name -> indices into ``landmarks`` that lie in that region.
        region_points: region name -> points whose bounding box is the region box.
        opening: the outwear front opening line (empty for other garments).
    """
    polygons: Dict[str, List[Point]]
    landmarks: np.ndarray
    groups: Dict[str, List[int]]
    region_points: Dict[str, List[Point]]
    opening: List[Point]


def _neckline(shape: GarmentShape) -> List[Point]:
    """Front neckline from the image-left neck side to the image-right one (9 points)."""
    nh, nd = shape.neck_half, shape.neck_depth
    ns = (-nh, 0.0)
    if shape.family == 'outwear' or shape.neckline == 'v':
        half = [_lerp(ns, (0.0, nd), t / 4) for t in range(5)]
    elif shape.neckline == 'square':
        half = [ns, _lerp(ns, (-nh * 0.85, nd), 0.5), (-nh * 0.85, nd), (-nh * 0.42, nd),
                (0.0, nd)]
    else:  # round, boat, shirt
        half = _quad(ns, (-nh * 0.9, nd * 1.05), (0.0, nd), 4)
    return half + _mirror(half[:-1])[::-1]


def garment_geometry(shape: GarmentShape) -> Geometry:
    """Polygons, DeepFashion2 landmarks and region groups of a silhouette."""
    cid = shape.category_id
    n_o, n_i, n_s = DF2_CHAIN_COUNTS[cid]
    neckline = _neckline(shape)
    ns, f_il, f_c = neckline[0], neckline[2], neckline[4]
    nb = (0.0, 0.035)
    sh = (-shape.shoulder_half, shape.shoulder_drop)
    ap = (-shape.chest_half, shape.armpit_y)
    wp = (-shape.waist_half, shape.waist_y)
    hc = (-shape.hem_half, _hem_y(shape, shape.hem_half))
    side = _polyline_points([ap, wp, hc], [(k + 1) / (n_s + 1) for k in range(n_s)])
    polygons: Dict[str, List[Point]] = {}
    sleeve_groups: List[List[Point]] = []
    if shape.sleeveless:
        armhole = _quad(sh, (sh[0] + 0.01, ap[1] - 0.03), ap, 6)
        chain_il = [sh, ap] + side + [hc]
        upper_il = armhole
    else:
        upper_il = [sh, ap]
        for side_i, sign in ((0, 1), (1, -1)):
            a = shape.sleeve_angle
            d = (-math.cos(a), math.sin(a))
            co = (sh[0] + shape.sleeve_length[side_i] * d[0], sh[1] + shape.sleeve_length[side_i] * d[1])
            ci = (co[0] + shape.cuff_width * math.sin(a), co[1] + shape.cuff_width * math.cos(a))
            outer = [_lerp(sh, co, (k + 1) / n_o) for k in range(n_o)]
            inner = [_lerp(ci, ap, (k + 1) / n_i) for k in range(n_i)]
            pts = [sh] + outer + [ci] + inner
            band = min(0.05, 0.3 * shape.sleeve_length[side_i])
            cuff = [co, ci, (ci[0] - band * d[0], ci[1] - band * d[1]),
                    (co[0] - band * d[0], co[1] - band * d[1])]
            anchor = (ap[0] + 0.05, (sh[1] + ap[1]) / 2)
            poly = [sh, co, ci, ap, anchor]
            if sign < 0:
                pts, cuff, poly = _mirror(pts), _mirror(cuff), _mirror(poly)
            name = 'il' if sign > 0 else 'ir'
            polygons[f'sleeve_{name}'] = poly
            polygons[f'cuff_{name}'] = cuff
            sleeve_groups.append(pts)
            if sign > 0:
                chain_il = pts + side + [hc]
            else:
                chain_ir_pts = pts
    hem_n = 16
    if shape.family == 'outwear':
        hem_il = [(x, _hem_y(shape, -x))
                  for x in np.linspace(-shape.hem_half, -0.01, hem_n + 1).tolist()]
        hem = hem_il + _mirror(hem_il)[::-1]
    else:
        hem = [(x, _hem_y(shape, abs(x))) for x in np.linspace(-shape.hem_half, shape.hem_half,
                                                               2 * hem_n + 1).tolist()]
    hem_centre = hem[len(hem) // 2]
    body_left = [ns] + upper_il + [wp]
    body = body_left + hem + _mirror(body_left)[::-1] + neckline[1:-1][::-1]
    polygons['body'] = body
    back = _quad(ns, (-shape.neck_half * 0.6, nb[1]), nb, 4)
    polygons['back'] = back + _mirror(back[:-1])[::-1] + neckline[1:-1][::-1]
    polygons['skirt'] = [wp] + hem + [(shape.waist_half, shape.waist_y)]
    if shape.trim_width > 0:
        tw = shape.trim_width
        polygons['trim'] = neckline + [(x, y + tw) for x, y in neckline[::-1]]
    collar_extra: List[Point] = []
    if shape.family == 'outwear':
        lapel = (-(shape.neck_half + shape.lapel_width), shape.neck_depth * 0.5)
        top = (-0.01, shape.neck_depth)
        polygons['lapel_il'] = [ns, lapel, top]
        polygons['lapel_ir'] = _mirror([ns, lapel, top])
        collar_extra = [lapel, top, _mirror([lapel])[0], _mirror([top])[0]]
    elif shape.neckline == 'shirt':
        flap = [(ns[0] - 0.01, ns[1] - 0.01), (-0.015, shape.neck_depth + 0.05),
                (-shape.neck_half * 1.05, shape.neck_depth * 0.6 + 0.04)]
        polygons['flap_il'] = flap
        polygons['flap_ir'] = _mirror(flap)
        collar_extra = flap + _mirror(flap)
    ns_ir = _mirror([ns])[0]
    chain_ir = (_mirror(chain_il) if shape.sleeveless else chain_ir_pts + _mirror(side + [hc]))
    opening: List[Point] = []
    if shape.family == 'outwear':
        g = 0.01
        top_il, top_ir = (-g, shape.neck_depth), (g, shape.neck_depth)
        lap_il, lap_ir = collar_extra[0], collar_extra[2]
        hem_op_il, hem_op_ir = hem[hem_n], hem[hem_n + 1]
        y0, y1 = shape.neck_depth, hem_op_il[1]
        op_il = [(-g, y0 + (y1 - y0) * t) for t in (1 / 3, 2 / 3)]
        op_ir = _mirror(op_il)
        opening = [(0.0, y0), (0.0, y1)]
        if cid == 3:
            pts = ([nb, ns, lap_il, top_il, lap_ir, top_ir] + chain_il + [hem_op_il]
                   + chain_ir[::-1] + [ns_ir] + op_il + [hem_op_ir] + op_ir)
        else:
            pts = ([nb, ns, lap_il, top_il, lap_ir, ns_ir] + chain_il + [hem_op_il]
                   + chain_ir[::-1] + [top_ir] + op_il + [hem_op_ir] + op_ir)
    else:
        pts = [nb, ns, f_il, f_c, _mirror([f_il])[0], ns_ir] + chain_il + [hem_centre] \
            + chain_ir[::-1]
    landmarks = np.asarray(pts, dtype=np.float64)
    assert len(landmarks) == DF2_NUM_KEYPOINTS[cid], (cid, len(landmarks))
    return Geometry(polygons=polygons, landmarks=landmarks,
                    groups=_region_groups(shape, landmarks),
                    region_points=_region_points(shape, polygons, neckline, back, collar_extra,
                                                 sleeve_groups, hem),
                    opening=opening)


def _region_points(shape: GarmentShape, polygons: Dict[str, List[Point]],
                   neckline: List[Point], back: List[Point], collar_extra: List[Point],
                   sleeve_groups: List[List[Point]], hem: List[Point]) -> Dict[str, List[Point]]:
    regions = {}
    if not shape.sleeveless:
        # wearer's right sleeve = image left
        regions['right_sleeve'] = polygons['sleeve_il'][:4]
        regions['left_sleeve'] = polygons['sleeve_ir'][:4]
    collar = neckline + back + collar_extra + polygons.get('trim', [])
    regions['collar'] = collar
    ch = shape.chest_half
    regions['chest'] = [(-ch, 0.4 * shape.armpit_y), (ch, shape.waist_y)]
    regions['waist'] = [(-shape.waist_half, shape.waist_y), (shape.waist_half, shape.waist_y)] \
        + hem
    return regions


def _region_groups(shape: GarmentShape, lm: np.ndarray) -> Dict[str, List[int]]:
    """Indices of the landmarks that each region box must contain."""
    cid = shape.category_id
    groups: Dict[str, List[int]] = {}
    n_o, n_i, n_s = DF2_CHAIN_COUNTS[cid]
    n_sleeve = 0 if shape.sleeveless else 2 + n_o + n_i  # shoulder..armpit
    chain = len(lm) - 7 if shape.family != 'outwear' else None
    if shape.family == 'outwear':
        per_side = 1 + n_o + 1 + n_i + n_s + 1
        il0 = 6
        ir_end = il0 + per_side + 1 + per_side  # exclusive end of reversed ir chain
        collar = [0, 1, 2, 3, 4, 5, ir_end]
    else:
        per_side = chain // 2
        il0 = 6
        ir_end = len(lm)
        collar = [0, 1, 2, 3, 4, 5]
    il = list(range(il0, il0 + per_side))
    ir = list(range(ir_end - per_side, ir_end))[::-1]  # same order as il
    groups['collar'] = collar
    if n_sleeve:
        groups['right_sleeve'] = il[:n_sleeve]
        groups['left_sleeve'] = ir[:n_sleeve]
    arm = 1 if shape.sleeveless else n_sleeve - 1
    groups['chest'] = [il[arm], ir[arm]]
    below = [k for k in il[arm + 1:] + ir[arm + 1:] if lm[k, 1] > shape.waist_y]
    hem_pts = [k for k in range(len(lm)) if lm[k, 1] >= shape.length - 1e-9]
    groups['waist'] = sorted(set(below + hem_pts))
    return groups
