"""Pixel edits: change what a region shows, never its outline.

Each operator takes the photo (``(H, W, 3)`` uint8 RGB), the garment mask, one region box and
a random generator, and returns the edited photo and the parameters it drew, or None when it
does not apply to that region of that photo (nothing to remove). Every change is blended in
by :func:`region_alpha`: the garment mask inside the box, feathered by ``FEATHER`` pixels, so
no pixel farther than ``2 * FEATHER`` from the box changes.

* :func:`recolour`: rotate the region's hue in CIE Lab (60-300 degrees) and shift it (15-35
  units), scale its lightness (0.85-1.15): a panel, collar or sleeve dyed another colour.
* :func:`print_swap`: a patch of another garment's chest (a print, a logo, a pocket) pasted
  into 45-80 % of the box as a rectangle or an ellipse.
* :func:`logo_add`: 2-6 letters (fewer in a box under 84 pixels wide) in a Hershey font, on
  a badge in some draws, 40-80 % of the box wide.
* :func:`texture_swap`: the region's fabric replaced by a procedural pattern (stripes, checks,
  dots, plain; :mod:`ps_net.datasets.synthetic.textures`) or by another garment's fabric,
  keeping the folds (the lightness of the original, smoothed so its print does not show).
* :func:`print_removal`: what stands out of the fabric (a print, a logo, text: pixels over
  28 from the region's median-filtered self) inpainted away (OpenCV Telea); None when under
  3 % of the region stands out.

Patches and marks go where the garment is: of 8 random positions in the box, the one the
garment mask covers most.
"""
from typing import Optional, Tuple

import cv2
import numpy as np

from ..synthetic.textures import PhotoBank, render_texture, sample_color, sample_texture

Box = Tuple[int, int, int, int]

#: Gaussian feather (pixels) of every pixel edit's blend mask.
FEATHER = 1.5

_NO_PHOTOS = PhotoBank(None)
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX,
          cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_PLAIN)
_LETTERS = np.array(list('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'))


def padded(box: Box, pad: int, shape) -> Box:
    """``box`` grown by ``pad`` pixels, clipped to an image of ``shape``."""
    h, w = shape[:2]
    return (max(0, box[0] - pad), max(0, box[1] - pad), min(w, box[2] + pad),
            min(h, box[3] + pad))


def region_alpha(mask: np.ndarray, box: Box, within: Optional[np.ndarray] = None
                 ) -> Tuple[Box, np.ndarray]:
    """``(crop, alpha)``: the box padded by ``2 * FEATHER`` and the feathered blend weights over
    it (the garment mask inside ``box``, times ``within`` when given: ``(h, w)`` of ``box``)."""
    pad = int(np.ceil(2 * FEATHER))
    crop = padded(box, pad, mask.shape)
    inside = np.zeros((crop[3] - crop[1], crop[2] - crop[0]), np.float32)
    x1, y1, x2, y2 = box
    sub = mask[y1:y2, x1:x2].astype(np.float32)
    if within is not None:
        sub = sub * within
    inside[y1 - crop[1]:y2 - crop[1], x1 - crop[0]:x2 - crop[0]] = sub
    return crop, cv2.GaussianBlur(inside, (0, 0), FEATHER)


def blend(image: np.ndarray, crop: Box, alpha: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``image`` with ``new`` (the crop's pixels, float or uint8) blended in by ``alpha``."""
    out = image.copy()
    x1, y1, x2, y2 = crop
    old = image[y1:y2, x1:x2].astype(np.float32)
    a = alpha[..., None]
    out[y1:y2, x1:x2] = np.clip(old * (1 - a) + new.astype(np.float32) * a + 0.5, 0,
                                255).astype(np.uint8)
    return out


def recolour(image: np.ndarray, mask: np.ndarray, box: Box, rng: np.random.Generator):
    """See the module docstring."""
    crop, alpha = region_alpha(mask, box)
    x1, y1, x2, y2 = crop
    lab = cv2.cvtColor(image[y1:y2, x1:x2].astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    rot = np.deg2rad(rng.uniform(60, 300))
    shift, direction = rng.uniform(15, 35), rng.uniform(0, 2 * np.pi)
    gain = rng.uniform(0.85, 1.15)
    a, b = lab[..., 1].copy(), lab[..., 2].copy()
    lab[..., 1] = a * np.cos(rot) - b * np.sin(rot) + shift * np.cos(direction)
    lab[..., 2] = a * np.sin(rot) + b * np.cos(rot) + shift * np.sin(direction)
    lab[..., 0] = np.clip(lab[..., 0] * gain, 0, 100)
    new = np.clip(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), 0, 1) * 255
    params = dict(hue_rotation=round(float(np.rad2deg(rot)), 1), shift=round(float(shift), 1),
                  lightness=round(float(gain), 3))
    return blend(image, crop, alpha, new), params


def _place(mask: np.ndarray, box: Box, w: int, h: int, rng: np.random.Generator) -> Box:
    """A ``w x h`` box inside ``box``: of 8 random positions, the one most on the garment."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    w, h = min(w, bw), min(h, bh)
    best, cover = None, -1.0
    for _ in range(8):
        x = box[0] + int(rng.integers(0, bw - w + 1))
        y = box[1] + int(rng.integers(0, bh - h + 1))
        c = float(mask[y:y + h, x:x + w].mean())
        if c > cover:
            best, cover = (x, y, x + w, y + h), c
    return best


def _sub_box(mask: np.ndarray, box: Box, rng: np.random.Generator, lo: float, hi: float,
             aspect: float) -> Box:
    """A box inside ``box`` covering ``lo``-``hi`` of its width (height by ``aspect``), placed
    on the garment (:func:`_place`)."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    w = max(4, int(bw * rng.uniform(lo, hi)))
    h = max(4, int(min(bh, w / aspect)))
    return _place(mask, box, w, h, rng)


def _shape_mask(h: int, w: int, ellipse: bool) -> np.ndarray:
    m = np.zeros((h, w), np.float32)
    if ellipse:
        cv2.ellipse(m, (w // 2, h // 2), (max(1, w // 2 - 1), max(1, h // 2 - 1)), 0, 0, 360,
                    1.0, -1)
    else:
        m[:] = 1
    return m


def print_swap(image: np.ndarray, mask: np.ndarray, box: Box, rng: np.random.Generator,
               donor: Optional[np.ndarray]):
    """See the module docstring; ``donor`` is the other garment's chest (RGB), or None."""
    if donor is None or min(donor.shape[:2]) < 8:
        return None
    aspect = donor.shape[1] / donor.shape[0]
    sub = _sub_box(mask, box, rng, 0.45, 0.8, aspect=float(np.clip(aspect, 0.6, 1.8)))
    w, h = sub[2] - sub[0], sub[3] - sub[1]
    patch = cv2.resize(donor, (w, h), interpolation=cv2.INTER_AREA)
    ellipse = bool(rng.uniform() < 0.4)
    within = np.zeros((box[3] - box[1], box[2] - box[0]), np.float32)
    within[sub[1] - box[1]:sub[3] - box[1], sub[0] - box[0]:sub[2] - box[0]] = \
        _shape_mask(h, w, ellipse)
    crop, alpha = region_alpha(mask, box, within)
    new = image[crop[1]:crop[3], crop[0]:crop[2]].copy()
    new[sub[1] - crop[1]:sub[3] - crop[1], sub[0] - crop[0]:sub[2] - crop[0]] = patch
    return blend(image, crop, alpha, new), dict(box=list(sub), ellipse=ellipse)


def _contrasting(mean: np.ndarray, rng: np.random.Generator) -> Tuple[int, int, int]:
    for _ in range(20):
        color = np.asarray(sample_color(rng), np.float32)
        if np.abs(color - mean).max() > 90:
            break
    return tuple(int(c) for c in color)


def logo_add(image: np.ndarray, mask: np.ndarray, box: Box, rng: np.random.Generator):
    """See the module docstring."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    longest = int(np.clip(bw // 14, 1, 6))  # narrow boxes (sleeves) get short marks
    text = ''.join(rng.choice(_LETTERS, size=int(rng.integers(min(2, longest), longest + 1))))
    font = int(_FONTS[rng.integers(len(_FONTS))])
    thick = int(rng.integers(1, 4))
    (tw, th), base = cv2.getTextSize(text, font, 1.0, thick)
    scale = min(bw * rng.uniform(0.4, 0.8) / max(tw, 1), bh * 0.6 / max(th + base, 1))
    if scale * th < 5:
        return None
    thick = max(1, int(round(thick * scale ** 0.5)))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    spot = _place(mask, box, tw, th + base, rng)
    x, y = spot[0], spot[1] + th
    layer = np.zeros((bh, bw), np.uint8)
    mean = image[box[1]:box[3], box[0]:box[2]].reshape(-1, 3).mean(0)
    badge = bool(rng.uniform() < 0.35)
    new = image[box[1]:box[3], box[0]:box[2]].copy()
    ink = _contrasting(mean, rng)
    if badge:
        pad = max(2, th // 4)
        corners = ((x - box[0] - pad, y - box[1] - th - pad),
                   (x - box[0] + tw + pad, y - box[1] + base + pad))
        fill = _contrasting(np.asarray(ink, np.float32), rng)
        cv2.rectangle(new, *corners, fill, -1)
        cv2.rectangle(layer, *corners, 255, -1)
    cv2.putText(new, text, (x - box[0], y - box[1]), font, scale, ink, thick, cv2.LINE_AA)
    cv2.putText(layer, text, (x - box[0], y - box[1]), font, scale, 255, thick, cv2.LINE_AA)
    crop, alpha = region_alpha(mask, box, layer.astype(np.float32) / 255)
    full = image[crop[1]:crop[3], crop[0]:crop[2]].copy()
    full[box[1] - crop[1]:box[3] - crop[1], box[0] - crop[0]:box[2] - crop[0]] = new
    return blend(image, crop, alpha, full), dict(text=text, font=font, badge=badge)


def _shading(rgb: np.ndarray) -> np.ndarray:
    """Smoothed relative lightness (folds kept, prints blurred away), about 1 on average."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    smooth = cv2.GaussianBlur(cv2.medianBlur(gray.astype(np.uint8), 7).astype(np.float32),
                              (0, 0), 2.0)
    return np.clip(smooth / max(float(smooth.mean()), 1.0), 0.35, 1.6)


def texture_swap(image: np.ndarray, mask: np.ndarray, box: Box, rng: np.random.Generator,
                 fabric: Optional[np.ndarray]):
    """See the module docstring; ``fabric`` is another garment's fabric crop (RGB), or None."""
    crop, alpha = region_alpha(mask, box)
    x1, y1, x2, y2 = crop
    w, h = x2 - x1, y2 - y1
    if fabric is not None and min(fabric.shape[:2]) >= 8 and rng.uniform() < 0.5:
        tile = cv2.resize(fabric, (max(8, int(w * rng.uniform(0.25, 0.5))),) * 2,
                          interpolation=cv2.INTER_AREA)
        block = np.concatenate([np.concatenate([tile, tile[:, ::-1]], 1),
                                np.concatenate([tile[::-1], tile[::-1, ::-1]], 1)], 0)
        reps = (h // block.shape[0] + 1, w // block.shape[1] + 1, 1)
        tex = np.tile(block, reps)[:h, :w].astype(np.float32)
        params = dict(source='photo')
    else:
        spec = sample_texture(rng, sample_color(rng), _NO_PHOTOS, 0.0)
        side = max(w, h)
        tex = render_texture(spec, side, _NO_PHOTOS)[:h, :w].astype(np.float32)
        params = dict(source='procedural', kind=spec['kind'])
    shade = _shading(image[y1:y2, x1:x2])[..., None]
    return blend(image, crop, alpha, tex * shade ** 0.8), params


def print_removal(image: np.ndarray, mask: np.ndarray, box: Box, rng: np.random.Generator):
    """See the module docstring."""
    crop, alpha = region_alpha(mask, box)
    x1, y1, x2, y2 = crop
    rgb = image[y1:y2, x1:x2]
    k = int(np.clip(min(x2 - x1, y2 - y1) // 4, 9, 31)) | 1
    ground = cv2.medianBlur(rgb, k)
    detail = (np.abs(rgb.astype(np.int16) - ground.astype(np.int16)).max(-1) > 28)
    inner = cv2.erode((alpha > 0.99).astype(np.uint8), np.ones((5, 5), np.uint8))
    detail = cv2.dilate(detail.astype(np.uint8), np.ones((5, 5), np.uint8)) & inner
    if detail.sum() < 0.03 * max(int(inner.sum()), 1):
        return None
    filled = cv2.inpaint(np.ascontiguousarray(rgb), detail, 5, cv2.INPAINT_TELEA)
    smooth = cv2.GaussianBlur(detail.astype(np.float32), (0, 0), FEATHER) * (alpha > 0)
    return blend(image, crop, smooth, filled), dict(removed=round(
        float(detail.sum()) / max(int(inner.sum()), 1), 3))
