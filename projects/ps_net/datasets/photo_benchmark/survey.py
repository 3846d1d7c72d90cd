"""Survey of one photo: read it, find the garment, lay the regions over it.

The survey runs once per photo before anything is written; its result is small (boxes and
the packed mask), so the builder can choose designs, splits and donors from every photo's
survey before it edits any of them.
"""
import dataclasses
import os
from typing import Dict, Optional, Tuple, Union

import numpy as np

from .class_map import PHOTO_CLASSES
from .photos import BadPhoto, PhotoFile, load_photo
from .region_layout import RegionLayout, region_layout
from .silhouette import SilhouetteConfig, estimate_silhouette

Box = Tuple[int, int, int, int]


@dataclasses.dataclass
class PhotoSurvey:
    """What the builder knows of a usable photo.

    Attributes:
        photo: the file and its class.
        category: the PS-Net category of its entries (:data:`~.class_map.PHOTO_CLASSES`).
        size: ``(width, height)`` as read (after orientation and reduction).
        bbox: garment box (pixels).
        fallback: why the silhouette fell back to the central box, or None.
        boxes, cx, torso: the region layout (:class:`~.region_layout.RegionLayout`).
        packed_mask: the garment mask, ``np.packbits`` of its rows.
    """
    photo: PhotoFile
    category: str
    size: Tuple[int, int]
    bbox: Box
    fallback: Optional[str]
    boxes: Dict[str, Box]
    cx: float
    torso: float
    packed_mask: np.ndarray

    def layout(self) -> RegionLayout:
        """The region layout."""
        return RegionLayout(boxes=dict(self.boxes), bbox=self.bbox, cx=self.cx, torso=self.torso)

    def mask(self) -> np.ndarray:
        """The ``(H, W)`` uint8 garment mask."""
        return np.unpackbits(self.packed_mask, axis=1, count=self.size[0])


def survey_photo(images_dir: str, photo: PhotoFile, max_side: int, min_side: int,
                 silhouette: SilhouetteConfig) -> Union[PhotoSurvey, BadPhoto]:
    """Survey one photo; a photo that cannot be used comes back as its :class:`BadPhoto`."""
    try:
        rgb = load_photo(os.path.join(images_dir, photo.rel_path), max_side, min_side)
    except BadPhoto as err:
        return err
    sil = estimate_silhouette(rgb, silhouette)
    category = PHOTO_CLASSES[photo.cls]
    layout = region_layout(sil.mask, sil.bbox, category)
    return PhotoSurvey(photo=photo, category=category, size=(rgb.shape[1], rgb.shape[0]),
                       bbox=tuple(sil.bbox), fallback=sil.fallback, boxes=layout.boxes,
                       cx=layout.cx, torso=layout.torso,
                       packed_mask=np.packbits(sil.mask.astype(bool), axis=1))
