"""Fabric textures: procedural patterns and real fabric crops from garment photos.

A texture is a small JSON-ready *spec* (``dict``) drawn once per design; rendering a spec is a
pure function of the spec, the canvas size and the photo bank, so a copy that keeps a texture
keeps it pixel for pixel, and sizes are relative to the canvas (the same design looks the same
at 128 and at 256 pixels).

Real textures are crops from photos of single garments (``clothing-small``: flat-lay shots whose
centre is fabric, prints or logos); the :class:`PhotoBank` lists them in sorted order so a seed
picks the same photo on every machine. Without the folder, only procedural kinds are drawn.
"""
import colorsys
import functools
import os
from typing import List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

Color = Tuple[int, int, int]

PROCEDURAL_KINDS = ('solid', 'stripes', 'checks', 'dots')

#: ``clothing-small`` classes whose photos are garments with fabric worth cropping.
GARMENT_CLASSES = ('dress', 'longsleeve', 'outwear', 'shirt', 't-shirt', 'skirt', 'pants',
                   'shorts')


class PhotoBank:
    """Sorted list of garment photos to cut real fabric and print crops from.

    Args:
        root: a folder laid out as ``<root>/<split>/<class>/*.jpg`` or ``<root>/<class>/*.jpg``
            (``clothing-small``), or None for none (procedural textures only).

    Raises:
        FileNotFoundError: if ``root`` is given but holds no photo of :data:`GARMENT_CLASSES`.
    """

    def __init__(self, root: Optional[str]) -> None:
        self.root = root
        self.files: List[str] = []
        if root is None:
            return
        for dirpath, _, names in sorted(os.walk(root)):
            if os.path.basename(dirpath) not in GARMENT_CLASSES:
                continue
            rel = os.path.relpath(dirpath, root)
            self.files += [os.path.join(rel, n).replace(os.sep, '/') for n in sorted(names)
                           if n.lower().endswith(('.jpg', '.jpeg', '.png'))]
        self.files.sort()
        if not self.files:
            raise FileNotFoundError(f'texture folder {root!r} holds no photo under a class '
                                    f'folder named one of {GARMENT_CLASSES}')

    def __len__(self) -> int:
        return len(self.files)

    @property
    def source(self) -> str:
        """What the data set's ``metainfo.texture_source`` records."""
        if not self.files:
            return 'procedural'
        return f'{os.path.basename(os.path.normpath(self.root))}:{len(self.files)}'

    def crop(self, index: int, box: Sequence[float], size: int) -> np.ndarray:
        """A square crop ``box = (cx, cy, side)`` (fractions of the photo) resized to ``size``."""
        return _photo_crop(os.path.join(self.root, self.files[index]), tuple(box), size)


@functools.lru_cache(maxsize=64)
def _open_photo(path: str) -> Image.Image:
    img = Image.open(path)
    img.draft('RGB', (256, 256))
    return img.convert('RGB')


def _photo_crop(path: str, box: Tuple[float, float, float], size: int) -> np.ndarray:
    img = _open_photo(path)
    w, h = img.size
    side = box[2] * min(w, h)
    cx, cy = box[0] * w, box[1] * h
    region = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
    return np.asarray(img.resize((size, size), Image.BILINEAR, box=region))


def sample_color(rng: np.random.Generator, near: Optional[Color] = None) -> Color:
    """A garment colour (HSV-uniform), or one close to ``near``."""
    if near is None:
        h, s, v = rng.uniform(0, 1), rng.uniform(0.15, 0.9), rng.uniform(0.25, 0.95)
    else:
        h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in near))
        h = (h + rng.uniform(-0.04, 0.04)) % 1.0
        s = float(np.clip(s + rng.uniform(-0.1, 0.1), 0, 1))
        v = float(np.clip(v + rng.uniform(-0.1, 0.1), 0.1, 1))
    return tuple(int(round(c * 255)) for c in colorsys.hsv_to_rgb(h, s, v))


def sample_texture(rng: np.random.Generator, base: Color, bank: PhotoBank,
                   real_prob: float) -> dict:
    """Draw a texture spec around a base colour (a real crop with probability ``real_prob``)."""
    if len(bank) and rng.uniform() < real_prob:
        return dict(kind='photo', file=int(rng.integers(len(bank))),
                    box=[float(rng.uniform(0.42, 0.58)), float(rng.uniform(0.42, 0.6)),
                         float(rng.uniform(0.12, 0.22))],
                    tile=float(rng.uniform(0.12, 0.25)), tint=list(base),
                    tint_alpha=float(rng.uniform(0.0, 0.35)))
    kind = PROCEDURAL_KINDS[rng.integers(len(PROCEDURAL_KINDS))]
    second = sample_color(rng)
    return dict(kind=kind, colors=[list(base), list(second)],
                period=float(rng.uniform(0.025, 0.08)), angle=int(rng.choice([0, 45, 90])),
                duty=float(rng.uniform(0.2, 0.5)), noise=float(rng.uniform(2, 8)),
                seed=int(rng.integers(2**31)))


def render_texture(spec: dict, size: int, bank: PhotoBank) -> np.ndarray:
    """Render a texture spec to a ``(size, size, 3)`` uint8 image."""
    if spec['kind'] == 'photo':
        tile_px = max(4, int(round(spec['tile'] * size)))
        tile = bank.crop(spec['file'], spec['box'], tile_px).astype(np.float32)
        # mirror tiling hides the seams of a crop that is not periodic
        block = np.concatenate([np.concatenate([tile, tile[:, ::-1]], 1),
                                np.concatenate([tile[::-1], tile[::-1, ::-1]], 1)], 0)
        reps = size // block.shape[0] + 1
        img = np.tile(block, (reps, reps, 1))[:size, :size]
        tint = np.asarray(spec['tint'], np.float32)
        img = img * (1 - spec['tint_alpha']) + tint * spec['tint_alpha']
        return np.clip(img, 0, 255).astype(np.uint8)
    c0, c1 = (np.asarray(c, np.float32) for c in spec['colors'])
    xx = np.arange(size, dtype=np.float32)[None, :] / size
    yy = xx.T
    period = spec['period']
    if spec['kind'] == 'solid':
        mask = np.zeros((1, 1), np.float32)
    elif spec['kind'] == 'stripes':
        coord = {0: yy, 90: xx, 45: (xx + yy) / np.sqrt(2)}[spec['angle']]
        mask = ((coord / period) % 1.0 < spec['duty']).astype(np.float32)
    elif spec['kind'] == 'checks':
        mask = (((xx // period) + (yy // period)) % 2).astype(np.float32) * 0.55
    elif spec['kind'] == 'dots':
        fx, fy = (xx / period) % 1.0 - 0.5, (yy / period) % 1.0 - 0.5
        mask = ((fx**2 + fy**2) < (spec['duty'] * 0.6)**2).astype(np.float32)
    else:
        raise ValueError(f'unknown texture kind {spec["kind"]!r}; expected photo or one of '
                         f'{PROCEDURAL_KINDS}')
    img = c0 * (1 - mask[..., None]) + c1 * mask[..., None]
    noise = np.random.default_rng(spec['seed']).standard_normal((size, size, 1), np.float32)
    img = img + noise * np.float32(spec['noise'])
    return np.clip(img, 0, 255).astype(np.uint8)
