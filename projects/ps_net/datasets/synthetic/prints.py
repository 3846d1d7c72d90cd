"""Chest prints: graphics, logo text and real print crops, with mirror and mosaic variants.

A print spec is JSON-ready; :func:`render_print` draws it into its box on the flat canvas. The
box lies inside the chest region, below the deepest collar the category can have, so chest
edits never touch another region and collar edits never touch the print.
"""
import functools
from typing import Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .textures import PhotoBank, sample_color

SYLLABLES = ('ka', 'lo', 'ur', 'ban', 'ze', 'ti', 'mo', 'rex', 'vi', 'sun', 'ny', 'ox', 'pa',
             'el', 'qu', 'ri', 'don', 'sa', 'wa', 'fi', 'gem', 'hu', 'jo', 'ly')
SHAPES = ('ellipse', 'rectangle', 'triangle', 'star')
PRINT_KINDS = ('graphic', 'text', 'graphic+text', 'photo')


def sample_text(rng: np.random.Generator, avoid: Optional[str] = None) -> str:
    """A made-up brand word (never equal to ``avoid``)."""
    while True:
        word = ''.join(SYLLABLES[i] for i in rng.integers(len(SYLLABLES), size=rng.integers(2, 4)))
        word = word.upper() if rng.uniform() < 0.6 else word.capitalize()
        if word != avoid:
            return word


def sample_graphic(rng: np.random.Generator) -> list:
    """2-5 coloured shapes, positions and sizes as fractions of the print box."""
    return [dict(shape=SHAPES[rng.integers(len(SHAPES))], cx=float(rng.uniform(0.2, 0.8)),
                 cy=float(rng.uniform(0.2, 0.8)), r=float(rng.uniform(0.12, 0.32)),
                 color=list(sample_color(rng))) for _ in range(rng.integers(2, 6))]


def sample_print(rng: np.random.Generator, box: Sequence[float], bank: PhotoBank,
                 real_prob: float) -> dict:
    """A new print in ``box`` (garment units ``[x0, y0, x1, y1]``)."""
    kinds = PRINT_KINDS if len(bank) else PRINT_KINDS[:3]
    kind = kinds[rng.integers(len(kinds))]
    if len(bank) and rng.uniform() < real_prob:
        kind = 'photo'
    spec = dict(kind=kind, box=[float(v) for v in box], mirror=False, mosaic=None,
                background=list(sample_color(rng)) if rng.uniform() < 0.4 else None)
    if 'graphic' in kind:
        spec['shapes'] = sample_graphic(rng)
    if 'text' in kind:
        spec['text'] = sample_text(rng)
        spec['text_color'] = list(sample_color(rng))
    if kind == 'photo':
        spec['file'] = int(rng.integers(len(bank)))
        spec['crop'] = [float(rng.uniform(0.45, 0.55)), float(rng.uniform(0.4, 0.5)),
                        float(rng.uniform(0.25, 0.4))]
    return spec


@functools.lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _star(cx: float, cy: float, r: float) -> list:
    angles = np.linspace(-np.pi / 2, 1.5 * np.pi, 11)[:-1]
    radii = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
    return [(cx + rr * np.cos(a), cy + rr * np.sin(a)) for a, rr in zip(angles, radii)]


def render_print(spec: dict, width: int, height: int, bank: PhotoBank) -> Image.Image:
    """Draw a print into a ``width x height`` RGBA image (before mirror and mosaic)."""
    img = Image.new('RGBA', (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if spec.get('background') is not None:
        draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=min(width, height) // 8,
                               fill=tuple(spec['background']) + (255, ))
    if spec['kind'] == 'photo':
        side = min(width, height)
        crop = bank.crop(spec['file'], spec['crop'], side)
        img.paste(Image.fromarray(crop), ((width - side) // 2, (height - side) // 2))
    scale = min(width, height)
    for s in spec.get('shapes', []):
        cx, cy, r = s['cx'] * width, s['cy'] * height, s['r'] * scale
        fill = tuple(s['color']) + (255, )
        if s['shape'] == 'ellipse':
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        elif s['shape'] == 'rectangle':
            draw.rectangle((cx - r, cy - r * 0.6, cx + r, cy + r * 0.6), fill=fill)
        elif s['shape'] == 'triangle':
            draw.polygon([(cx, cy - r), (cx + r, cy + r * 0.8), (cx - r, cy + r * 0.8)], fill=fill)
        else:
            draw.polygon(_star(cx, cy, r), fill=fill)
    if spec.get('text'):
        text = spec['text']
        size = max(6, int(min(height * 0.42, 1.6 * width / max(len(text), 1))))
        font = _font(size)
        x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
        y = height * (0.7 if 'graphic' in spec['kind'] else 0.5) - (y1 + y0) / 2
        draw.text(((width - (x1 - x0)) / 2 - x0, y), text, font=font,
                  fill=tuple(spec['text_color']) + (255, ))
    if spec.get('mirror'):
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    return img


def apply_mosaic(canvas: Image.Image, spec: dict, box_px: Sequence[int]) -> None:
    """Pixelate the print's mosaic patch in place (``spec['mosaic']`` = fractions of the box)."""
    if not spec.get('mosaic'):
        return
    fx0, fy0, fx1, fy1, block = spec['mosaic']
    x0, y0, x1, y1 = box_px
    w, h = x1 - x0, y1 - y0
    patch_box = (int(x0 + fx0 * w), int(y0 + fy0 * h), int(x0 + fx1 * w), int(y0 + fy1 * h))
    pw, ph = patch_box[2] - patch_box[0], patch_box[3] - patch_box[1]
    if pw < 2 or ph < 2:
        return
    cell = max(2, int(round(block * min(w, h))))
    patch = canvas.crop(patch_box)
    small = patch.resize((max(1, pw // cell), max(1, ph // cell)), Image.BOX)
    canvas.paste(small.resize((pw, ph), Image.NEAREST), patch_box[:2])
