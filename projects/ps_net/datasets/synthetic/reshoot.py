"""Re-shooting: put a flat render into a photograph-like shot, with ground truth carried along.

Every image of the data set, the original's included, is a shot: random scale, in-plane rotation
and position; a background (gradient, noise, faint pattern); an occluder in some shots (the
landmarks under it become visibility 1); uneven lighting and a colour cast; sometimes blur; and
JPEG compression. Identical and plagiarized copies are shot the same way with their own draws,
so no copy can be found by aligning pixels with its original.

The flat render is drawn at twice the output size and reduced, so edges are anti-aliased.
"""
import dataclasses
import io
import math
from typing import Dict, List

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .config import SyntheticConfig
from .render import FlatRender


@dataclasses.dataclass
class Shot:
    """A finished picture and its ground truth (output pixels).

    Attributes:
        jpeg: the encoded image.
        landmarks: ``(K, 3)`` ``[x, y, v]``; outside the picture ``[0, 0, 0]``.
        bbox: garment box ``[x1, y1, x2, y2]``.
        region_boxes: region name -> box, clipped to the picture (regions fully outside omitted).
        segmentation: COCO polygons of the garment outline.
    """
    jpeg: bytes
    landmarks: np.ndarray
    bbox: List[float]
    region_boxes: Dict[str, List[float]]
    segmentation: List[List[float]]


def _affine(n: int, rng: np.random.Generator, config: SyntheticConfig) -> np.ndarray:
    """Random 2x3 forward affine on an ``n x n`` canvas (about its centre)."""
    k = rng.uniform(*config.scale_range)
    a = math.radians(rng.uniform(-config.max_rotation_deg, config.max_rotation_deg))
    t = rng.uniform(-config.max_shift, config.max_shift, size=2) * n
    r = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) * k
    c = np.array([n / 2, n / 2])
    return np.concatenate([r, (c + t - r @ c)[:, None]], 1)


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return np.asarray(pts, np.float64).reshape(-1, 2) @ m[:, :2].T + m[:, 2]


def _background(n: int, rng: np.random.Generator) -> np.ndarray:
    c0, c1 = rng.uniform(40, 235, size=(2, 3)).astype(np.float32)
    a = rng.uniform(0, 2 * math.pi)
    xx = np.linspace(0, 1, n, endpoint=False, dtype=np.float32)[None, :]
    yy = xx.T
    t = np.clip(0.5 + (xx - 0.5) * math.cos(a) + (yy - 0.5) * math.sin(a), 0, 1)[..., None]
    bg = c0 + (c1 - c0) * t
    if rng.uniform() < 0.4:  # a faint pattern (wall paper, wood, fabric backdrop)
        period = rng.uniform(0.03, 0.1)
        wave = np.sin(2 * math.pi * (xx if rng.uniform() < 0.5 else yy) / period)
        bg = bg + np.float32(rng.uniform(4, 14)) * wave[..., None]
    sigma = np.float32(rng.uniform(2, 7))
    return bg + rng.standard_normal((n, n, 1), dtype=np.float32) * sigma


def reshoot(flat: FlatRender, out_size: int, rng: np.random.Generator,
            config: SyntheticConfig) -> Shot:
    """Shoot a flat render (``2 * out_size`` pixels square) into an ``out_size`` picture."""
    n = flat.image.shape[0]
    if n != 2 * out_size:
        raise ValueError(f'flat render must be 2 x out_size = {2 * out_size} pixels, got {n}')
    m = _affine(n, rng, config)
    inv = np.linalg.inv(np.vstack([m, [0, 0, 1]]))[:2]
    warped = Image.fromarray(flat.image, 'RGBA').convert('RGBa').transform(
        (n, n), Image.AFFINE, tuple(inv.ravel()), resample=Image.BILINEAR).convert('RGBA')
    rgba = np.asarray(warped)
    alpha = rgba[..., 3:].astype(np.float32) / 255
    img = _background(n, rng) * (1 - alpha) + rgba[..., :3] * alpha
    lm = _apply(m, flat.landmarks)
    occluded = np.zeros(len(lm), bool)
    ys, xs = np.nonzero(alpha[..., 0] > 0.5)
    if rng.uniform() < config.occlusion_prob and len(xs):
        gw, gh = xs.max() - xs.min(), ys.max() - ys.min()
        r = rng.uniform(0.1, 0.18) * (gw + gh)
        i = rng.integers(len(xs))
        cx, cy = xs[i], ys[i]
        box = (cx - r, cy - r * rng.uniform(0.5, 1.2), cx + r, cy + r * rng.uniform(0.5, 1.2))
        mask = Image.new('L', (n, n), 0)
        shape_draw = ImageDraw.Draw(mask)
        (shape_draw.ellipse if rng.uniform() < 0.5 else shape_draw.rectangle)(box, fill=255)
        mk = np.asarray(mask, np.float32)[..., None] / 255
        color = rng.uniform(20, 235, size=3).astype(np.float32)
        img = img * (1 - mk) + (color + 4 * rng.standard_normal((n, n, 1), np.float32)) * mk
        inside = (lm[:, 0] >= 0) & (lm[:, 0] < n) & (lm[:, 1] >= 0) & (lm[:, 1] < n)
        li = np.clip(lm.astype(int), 0, n - 1)
        occluded = inside & (mk[li[:, 1], li[:, 0], 0] > 0.5)
    pic = np.asarray(Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), 'RGB').reduce(2))
    # lighting: a brightness gradient and a colour cast
    xx = np.linspace(-0.5, 0.5, n // 2, dtype=np.float32)[None, :]
    gain = (rng.uniform(0.8, 1.15) + rng.uniform(-0.25, 0.25) * xx
            + rng.uniform(-0.25, 0.25) * xx.T).astype(np.float32)
    cast = rng.uniform(0.92, 1.08, size=3).astype(np.float32)
    pic = Image.fromarray(np.clip(pic * gain[..., None] * cast, 0, 255).astype(np.uint8), 'RGB')
    if rng.uniform() < 0.3:
        pic = pic.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    buf = io.BytesIO()
    pic.save(buf, 'JPEG', quality=int(rng.integers(config.jpeg_quality[0],
                                                   config.jpeg_quality[1] + 1)))

    s = out_size
    lm = lm / 2
    inside = (lm[:, 0] >= 0) & (lm[:, 0] < s) & (lm[:, 1] >= 0) & (lm[:, 1] < s)
    vis = np.where(inside, np.where(occluded, 1, 2), 0)
    landmarks = np.concatenate([np.where(inside[:, None], np.round(lm, 2), 0), vis[:, None]], 1)
    small_alpha = np.asarray(Image.fromarray((alpha[..., 0] * 255).astype(np.uint8)).reduce(2))
    ys, xs = np.nonzero(small_alpha >= 128)
    bbox = [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]
    boxes = {}
    for name, (x1, y1, x2, y2) in flat.region_boxes.items():
        c = _apply(m, [[x1, y1], [x2, y1], [x1, y2], [x2, y2]]) / 2
        lo, hi = np.clip(c.min(0), 0, s), np.clip(c.max(0), 0, s)
        if hi[0] - lo[0] >= 1 and hi[1] - lo[1] >= 1:
            boxes[name] = [round(float(v), 2) for v in (lo[0], lo[1], hi[0], hi[1])]
    seg = [np.round(np.clip(_apply(m, p) / 2, 0, s), 1).ravel().tolist() for p in flat.outline]
    return Shot(jpeg=buf.getvalue(), landmarks=landmarks, bbox=bbox, region_boxes=boxes,
                segmentation=seg)
