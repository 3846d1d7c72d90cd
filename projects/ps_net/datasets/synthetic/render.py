"""Designs and their flat render (the garment alone, on a transparent canvas).

A :class:`Design` is everything that makes a garment what it is: silhouette, fabrics, trims and
print, plus the affine that places it on the flat canvas (kept by every copy, so an edit moves
no pixel outside the regions it changes). :func:`render_flat` draws it at any size and returns
the landmarks and region boxes in the same pixels.
"""
import dataclasses
import json
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

from .garments import (COLLAR_MAX_DEPTH, DRESSES, SLEEVE_LENGTH, GarmentShape, Geometry,
                       garment_geometry, sample_shape, side_x)
from .prints import apply_mosaic, render_print, sample_print
from .textures import Color, PhotoBank, render_texture, sample_color, sample_texture

#: Region boxes are padded by this share of the canvas side (anti-aliased edges stay inside).
REGION_PAD = 0.015


@dataclasses.dataclass(frozen=True)
class Design:
    """One garment design.

    Attributes:
        shape: the silhouette.
        base_color: the main fabric colour.
        body: fabric texture spec of the body; ``skirt`` (below the waist, dresses) and
            ``sleeves`` (image left, image right) default to it when None.
        trim_color: colour of the neckline trim, lapels and shirt-collar flaps.
        cuffs: per sleeve (image left, image right) cuff band colour, or None.
        hem_band, belt: colours of the hem band and the belt, or None.
        print: chest print spec (see :mod:`.prints`), or None.
        canvas: ``(scale, cx, cy)``: garment units to canvas pixels, as shares of the side.
    """
    shape: GarmentShape
    base_color: Color
    body: dict
    trim_color: Color
    skirt: Optional[dict] = None
    sleeves: Tuple[Optional[dict], Optional[dict]] = (None, None)
    cuffs: Tuple[Optional[Color], Optional[Color]] = (None, None)
    hem_band: Optional[Color] = None
    belt: Optional[Color] = None
    print: Optional[dict] = None
    canvas: Tuple[float, float, float] = (0.6, 0.5, 0.2)


@dataclasses.dataclass
class FlatRender:
    """A design drawn on a transparent square canvas.

    Attributes:
        image: ``(S, S, 4)`` uint8 RGBA.
        landmarks: ``(K, 2)`` pixel coordinates in the category's DeepFashion2 order.
        region_boxes: region name -> ``[x1, y1, x2, y2]`` in pixels (absent sleeves omitted).
        groups: region name -> landmark indices inside that region's box.
        outline: polygons (pixels) of the garment outline, for COCO segmentation.
    """
    image: np.ndarray
    landmarks: np.ndarray
    region_boxes: Dict[str, List[float]]
    groups: Dict[str, List[int]]
    outline: List[List[Tuple[float, float]]]


def print_box(shape: GarmentShape) -> List[float]:
    """Where the chest print goes (garment units): below any collar, inside the chest."""
    top = COLLAR_MAX_DEPTH[shape.family] + 0.03
    bottom = shape.waist_y - 0.03
    half = min(shape.chest_half, shape.waist_half)
    if shape.family == 'outwear':  # a logo on the wearer's left chest (image right)
        return [0.05, top, half - 0.04, min(bottom, top + half - 0.09)]
    return [-0.78 * half, top, 0.78 * half, bottom]


def fit_canvas(shape: GarmentShape, margin: float = 0.08) -> Tuple[float, float, float]:
    """Scale and centre that keep every edit of the design (longest sleeves and hem) in view."""
    longest = dataclasses.replace(
        shape, sleeve_length=(SLEEVE_LENGTH[shape.sleeve_kind][1], ) * 2, hem='tail',
        hem_dev=0.13, neck_half=max(shape.neck_half, 0.2))
    pts = np.concatenate([np.asarray(p) for p in garment_geometry(longest).polygons.values()])
    lo, hi = pts.min(0), pts.max(0)
    scale = (1 - 2 * margin) / float(max(hi - lo))
    centre = (lo + hi) / 2
    return (scale, 0.5 - scale * float(centre[0]), 0.5 - scale * float(centre[1]))


def sample_design(category_id: int, rng: np.random.Generator, bank: PhotoBank,
                  real_prob: float, base_color: Optional[Color] = None,
                  shape: Optional[GarmentShape] = None) -> Design:
    """Draw a new design (optionally around a given base colour or silhouette)."""
    shape = shape or sample_shape(category_id, rng)
    base = sample_color(rng, near=base_color)
    body = sample_texture(rng, base, bank, real_prob)
    skirt = sample_texture(rng, base, bank, real_prob) \
        if category_id in DRESSES and rng.uniform() < 0.3 else None
    design = Design(
        shape=shape, base_color=base, body=body, skirt=skirt,
        trim_color=sample_color(rng), hem_band=sample_color(rng) if rng.uniform() < 0.2 else None,
        belt=sample_color(rng) if category_id in DRESSES and rng.uniform() < 0.3 else None,
        print=sample_print(rng, print_box(shape), bank, real_prob)
        if rng.uniform() < 0.85 else None)
    return dataclasses.replace(design, canvas=fit_canvas(shape))


def to_pixels(design: Design, points: Sequence, size: int) -> np.ndarray:
    """Garment units -> canvas pixels (continuous coordinates)."""
    s, cx, cy = design.canvas
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return np.stack([(cx + s * pts[:, 0]) * size, (cy + s * pts[:, 1]) * size], 1)


def _darker(color: Color, f: float = 0.55) -> Color:
    return tuple(int(c * f) for c in color)


def render_flat(design: Design, size: int, bank: PhotoBank) -> FlatRender:
    """Draw a design on a transparent ``size x size`` canvas.

    Layers, back to front: sleeves, cuffs, body, skirt, inside of the back, hem band, belt,
    print (with its mosaic), outwear opening, lapels / collar flaps, neckline trim.
    """
    shape = design.shape
    geo: Geometry = garment_geometry(shape)
    canvas = Image.new('RGBA', (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    textures: Dict[str, Image.Image] = {}

    def texture(spec: dict) -> Image.Image:
        key = json.dumps(spec, sort_keys=True)
        if key not in textures:
            textures[key] = Image.fromarray(render_texture(spec, size, bank))
        return textures[key]

    def px(points) -> List[Tuple[float, float]]:
        return [tuple(p) for p in to_pixels(design, points, size).tolist()]

    def fill(name: str, spec: Optional[dict] = None, color: Optional[Color] = None) -> None:
        if name not in geo.polygons:
            return
        if color is not None:
            draw.polygon(px(geo.polygons[name]), fill=tuple(color) + (255, ))
            return
        mask = Image.new('L', (size, size), 0)
        ImageDraw.Draw(mask).polygon(px(geo.polygons[name]), fill=255)
        canvas.paste(texture(spec), (0, 0), mask)

    for i, side in enumerate(('il', 'ir')):
        fill(f'sleeve_{side}', design.sleeves[i] or design.body)
        if design.cuffs[i] is not None:
            fill(f'cuff_{side}', color=design.cuffs[i])
    fill('body', design.body)
    if design.skirt is not None:
        fill('skirt', design.skirt)
    fill('back', color=_darker(design.base_color))
    if design.hem_band is not None:
        hem = geo.polygons['skirt'][1:-1]
        band = 0.05
        top = [(float(np.sign(x)) * min(abs(x), side_x(shape, y - band)), y - band)
               for x, y in hem[::-1]]
        fill_pts = hem + top
        draw.polygon(px(fill_pts), fill=tuple(design.hem_band) + (255, ))
    if design.belt is not None:
        y0, y1 = shape.waist_y + 0.005, shape.waist_y + 0.045
        belt = [(-side_x(shape, y0), y0), (side_x(shape, y0), y0), (side_x(shape, y1), y1),
                (-side_x(shape, y1), y1)]
        draw.polygon(px(belt), fill=tuple(design.belt) + (255, ))
    if design.print is not None:
        box = to_pixels(design, np.reshape(design.print['box'], (2, 2)), size)
        x0, y0 = np.floor(box[0]).astype(int)
        x1, y1 = np.ceil(box[1]).astype(int)
        art = render_print(design.print, x1 - x0, y1 - y0, bank)
        canvas.alpha_composite(art, (int(x0), int(y0)))
        apply_mosaic(canvas, design.print, (x0, y0, x1, y1))
    if geo.opening:
        draw.line(px(geo.opening), fill=_darker(design.base_color, 0.4) + (255, ),
                  width=max(1, size // 150))
    for name in ('lapel_il', 'lapel_ir', 'flap_il', 'flap_ir', 'trim'):
        fill(name, color=design.trim_color)

    pad = REGION_PAD * size
    boxes = {}
    for region, pts in geo.region_points.items():
        p = to_pixels(design, pts, size)
        lo, hi = p.min(0) - pad, p.max(0) + pad
        boxes[region] = [float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])]
    outline = [px(geo.polygons[n]) for n in ('sleeve_il', 'sleeve_ir', 'body') if n in geo.polygons]
    return FlatRender(image=np.asarray(canvas), landmarks=to_pixels(design, geo.landmarks, size),
                      region_boxes=boxes, groups=geo.groups, outline=outline)
