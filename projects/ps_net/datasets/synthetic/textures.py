"""Fabric textures: procedural patterns and real fabric crops from garment photos.

A texture is a small JSON-ready *spec* (``dict``) drawn once per design; rendering a spec is a
pure function of the spec, the canvas size and the photo bank, so a copy that keeps a texture
keeps it pixel for pixel, and sizes are relative to the canvas (the same design looks the same
at 128 and at 256 pixels).

Real textures are crops from photos of single garments (``clothing-small``: flat-lay shots whose
centre is fabric, prints or logos); the :class:`PhotoBank` lists them in sorted order so a seed
picks the same photo on every machine. Without the folder, only procedural kinds are drawn.
Photos named by exclusion lists (:func:`read_photo_list`: the test split of the real-photo
benchmark, the landmark validation set) are kept out of the pool (:class:`TexturePool`,
:class:`PhotoExclusion`), so they never reach a training image.
"""
import colorsys
import functools
import json
import os
import posixpath
from typing import Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple, Union

import numpy as np
from PIL import Image

Color = Tuple[int, int, int]

PROCEDURAL_KINDS = ('solid', 'stripes', 'checks', 'dots')

#: ``clothing-small`` classes whose photos are garments with fabric worth cropping.
GARMENT_CLASSES = ('dress', 'longsleeve', 'outwear', 'shirt', 't-shirt', 'skirt', 'pants',
                   'shorts')


def read_photo_list(path: str) -> Tuple[str, ...]:
    """The photo paths an exclusion list names, as normalised ``/``-separated strings.

    Two layouts are read: a COCO-style JSON file (``images[].file_name``, e.g. the landmark
    validation annotations) or a text file with one path per line (blank lines and lines
    starting with ``#`` are skipped; e.g. a benchmark's ``test_photos.txt``). Paths are
    relative (to the photo folder they were listed from) or absolute.

    Raises:
        FileNotFoundError: if ``path`` is not a file.
        ValueError: for a JSON file without an ``images`` list of ``file_name`` strings (the
            message names the file and the entry).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'photo list {path!r} is not a file')
    with open(path, encoding='utf-8') as f:
        text = f.read()
    if path.lower().endswith('.json'):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f'photo list {path}: not valid JSON: {err}') from err
        images = data.get('images') if isinstance(data, dict) else None
        if not isinstance(images, list):
            raise ValueError(f"photo list {path}: expected a COCO-style dict with an 'images' "
                             f'list, got {type(data).__name__}'
                             + (f" with keys {sorted(data)[:5]}" if isinstance(data, dict)
                                else ''))
        names = []
        for i, image in enumerate(images):
            name = image.get('file_name') if isinstance(image, dict) else None
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f'photo list {path}: images[{i}].file_name: expected a '
                                 f'non-empty string, got {name!r}')
            names.append(name)
    else:
        names = [line.strip() for line in text.splitlines()]
        names = [n for n in names if n and not n.startswith('#')]
    return tuple(posixpath.normpath(n.replace(os.sep, '/')) for n in names)


class PhotoExclusion:
    """Photos kept out of a pool, named by exclusion-list entries.

    An absolute entry matches the file at that path; a relative entry matches every photo whose
    path ends with it, component by component (``t-shirt/x.jpg`` listed relative to
    ``clothing-small/train`` matches ``train/t-shirt/x.jpg`` of a pool rooted at
    ``clothing-small``). A suffix match can only exclude more photos, never fewer.

    Args:
        entries: paths as :func:`read_photo_list` returns them.

    Example:
        >>> ex = PhotoExclusion(['t-shirt/a.jpg'])
        >>> ex.excludes('train/t-shirt/a.jpg'), ex.excludes('train/shirt/a.jpg')
        (True, False)
        >>> ex.unmatched()
        []
    """

    def __init__(self, entries: Iterable[str]) -> None:
        entries = [posixpath.normpath(str(e).replace(os.sep, '/')) for e in entries]
        self.absolute = {os.path.normpath(e) for e in entries if os.path.isabs(e)}
        self.relative = {e for e in entries if not os.path.isabs(e)}
        self.matched: Set[str] = set()

    def __len__(self) -> int:
        return len(self.absolute) + len(self.relative)

    def excludes(self, rel_path: str, abs_path: Optional[str] = None) -> bool:
        """Whether the photo at ``rel_path`` (``/``-separated; absolute path ``abs_path``) is
        excluded; records the entries that matched."""
        parts = posixpath.normpath(rel_path.replace(os.sep, '/')).split('/')
        hits = {'/'.join(parts[i:]) for i in range(len(parts))} & self.relative
        if abs_path is not None:
            full = os.path.normpath(os.path.abspath(abs_path))
            if full in self.absolute:
                hits.add(full)
        self.matched |= hits
        return bool(hits)

    def unmatched(self) -> List[str]:
        """Entries that matched no photo so far (sorted), e.g. a list of another folder."""
        return sorted((self.absolute | self.relative) - self.matched)


class TexturePool(NamedTuple):
    """A texture folder and the photos kept out of it.

    Hashable and picklable, it goes wherever a texture folder goes (the generator's workers
    build their :class:`PhotoBank` from it).
    """
    root: str
    exclude: Tuple[str, ...] = ()


class PhotoBank:
    """Sorted list of garment photos to cut real fabric and print crops from.

    Args:
        root: a folder laid out as ``<root>/<split>/<class>/*.jpg`` or ``<root>/<class>/*.jpg``
            (``clothing-small``), a :class:`TexturePool` (such a folder less the photos its
            exclusion entries name, see :class:`PhotoExclusion`), or None for none (procedural
            textures only).

    Raises:
        FileNotFoundError: if ``root`` is given but holds no photo of :data:`GARMENT_CLASSES`.
        ValueError: if the exclusion entries remove every photo.
    """

    def __init__(self, root: Union[None, str, TexturePool]) -> None:
        exclude: Sequence[str] = ()
        if isinstance(root, TexturePool):
            root, exclude = root.root, root.exclude
        self.root = root
        self.files: List[str] = []
        self.excluded = 0
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
        if exclude:
            exclusion = PhotoExclusion(exclude)
            kept = [f for f in self.files
                    if not exclusion.excludes(f, os.path.join(root, f))]
            self.excluded = len(self.files) - len(kept)
            if not kept:
                raise ValueError(f'the exclusion lists remove all {len(self.files)} photos of '
                                 f'texture folder {root!r}')
            self.files = kept

    def __len__(self) -> int:
        return len(self.files)

    @property
    def source(self) -> str:
        """What the data set's ``metainfo.texture_source`` records (``name:count``, and the
        number of photos kept out when an exclusion list removed some)."""
        if not self.files:
            return 'procedural'
        name = f'{os.path.basename(os.path.normpath(self.root))}:{len(self.files)}'
        return f'{name} ({self.excluded} excluded)' if self.excluded else name

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
