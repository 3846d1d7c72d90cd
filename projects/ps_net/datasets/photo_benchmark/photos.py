"""Garment photos: list a class-folder tree, read one photo or say why it cannot be used.

A photo is read with its EXIF orientation applied (as the data set loaders display it), as
8-bit RGB, reduced so that its longer side is at most ``max_side``. A file that is not an
image (whatever its name), a truncated or unreadable one, one with a side under ``min_side``
pixels and one over ``max_pixels`` pixels (a decompression bomb) is refused with a
:class:`BadPhoto` naming the reason; the builder skips it and counts it.
"""
import os
import warnings
from typing import List, NamedTuple

import numpy as np
from PIL import Image, ImageOps

from .class_map import PHOTO_CLASSES

#: File name endings read as photos (any case).
PHOTO_EXTENSIONS = ('.jpg', '.jpeg', '.png')


class PhotoFile(NamedTuple):
    """A photo of the tree: its path relative to the tree (``/``-separated) and its class."""
    rel_path: str
    cls: str


class BadPhoto(ValueError):
    """A photo that cannot be used; ``reason`` is a short key (``not an image``, ``corrupt``,
    ``too small``, ``too large``), the message names the file."""

    def __init__(self, path: str, reason: str, detail: str = '') -> None:
        self.path, self.reason = path, reason
        super().__init__(f'{path}: {reason}' + (f' ({detail})' if detail else ''))


def list_photos(images_dir: str) -> List[PhotoFile]:
    """The photos of ``images_dir/<class>/*`` for the classes of :data:`PHOTO_CLASSES`, sorted
    by path (so a seed means the same on every machine).

    Raises:
        FileNotFoundError: if ``images_dir`` is not a folder.
    """
    if not os.path.isdir(images_dir):
        raise FileNotFoundError(f'--images {images_dir!r} is not a folder')
    found = []
    for cls in sorted(os.listdir(images_dir)):
        folder = os.path.join(images_dir, cls)
        if cls not in PHOTO_CLASSES or not os.path.isdir(folder):
            continue
        found += [PhotoFile(f'{cls}/{name}', cls) for name in sorted(os.listdir(folder))
                  if name.lower().endswith(PHOTO_EXTENSIONS)
                  and os.path.isfile(os.path.join(folder, name))]
    return sorted(found)


def _check_size(path: str, img: Image.Image, min_side: int, max_pixels: int) -> None:
    w, h = img.size
    if w * h > max_pixels:
        raise BadPhoto(path, 'too large', f'{w} x {h} pixels, limit {max_pixels}')
    if min(w, h) < min_side:
        raise BadPhoto(path, 'too small', f'{w} x {h} pixels, need >= {min_side}')


def probe_photo(path: str, min_side: int = 96, max_pixels: int = 50_000_000) -> None:
    """Check a photo from its header alone (format and size; fast, nothing decoded).

    Raises:
        BadPhoto: for a file that is not an image, or a photo too small or too large.
    """
    try:
        with Image.open(path) as img:
            _check_size(path, img, min_side, max_pixels)
    except BadPhoto:
        raise
    except Image.UnidentifiedImageError as err:
        raise BadPhoto(path, 'not an image', 'no image format recognised') from err
    except (OSError, ValueError, SyntaxError) as err:
        raise BadPhoto(path, 'corrupt', str(err)) from err


def load_photo(path: str, max_side: int = 640, min_side: int = 96,
               max_pixels: int = 50_000_000) -> np.ndarray:
    """Read a photo as an ``(H, W, 3)`` uint8 RGB array, upright, longer side <= ``max_side``.

    Raises:
        BadPhoto: for a file that is not a readable image, or a photo too small or too large.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('error', Image.DecompressionBombWarning)
            with Image.open(path) as img:
                _check_size(path, img, min_side, max_pixels)
                img.draft('RGB', (max_side, max_side))  # JPEG: decode at a reduced scale
                img = ImageOps.exif_transpose(img).convert('RGB')
    except BadPhoto:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise BadPhoto(path, 'too large', str(err)) from err
    except Image.UnidentifiedImageError as err:
        raise BadPhoto(path, 'not an image', 'no image format recognised') from err
    except (OSError, ValueError, SyntaxError) as err:  # truncated or damaged data
        raise BadPhoto(path, 'corrupt', str(err)) from err
    scale = max_side / max(img.size)
    if scale < 1:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.BILINEAR, reducing_gap=2.0)
    if min(img.size) < min_side:
        raise BadPhoto(path, 'too small', f'{img.width} x {img.height} pixels after reducing '
                       f'to {max_side}, need >= {min_side}')
    return np.asarray(img)
