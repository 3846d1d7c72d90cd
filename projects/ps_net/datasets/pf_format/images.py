"""An entry's image checked against the format: a readable image file, not too large, not too
small, and its ``bbox`` inside the image as displayed.

The frame of ``bbox`` (and of ``landmarks`` and ``region_boxes``) is the image **as displayed**:
after its EXIF orientation is applied, which is what mmcv's ``LoadImageFromFile`` decodes (both
its cv2 and pillow backends rotate by the orientation). A photo stored 4000 x 3000 with
orientation 6 (rotate 90 degrees) is 3000 x 4000 in that frame, and its boxes are checked
against 3000 x 4000.

Everything here reads only the file's header (PIL opens images lazily), so an image over
:data:`PF_MAX_IMAGE_PIXELS` is refused before any decoder allocates it; a file whose pixel data
is damaged after a valid header (a truncated JPEG) is only found when it is decoded. The rules
and what the loaders do with a refused entry: docs/bad_inputs.md.
"""
import os
import warnings
from dataclasses import dataclass, field
from typing import Optional, Sequence, Tuple

from .constants import PF_MAX_IMAGE_PIXELS, PF_MIN_IMAGE_SIDE

#: EXIF orientations that swap width and height (a 90 or 270 degree rotation).
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)
_EXIF_ORIENTATION_TAG = 0x0112


class BadImageError(ValueError):
    """An image file that cannot be used; the message is ``'<path>: <reason>'``.

    Args:
        path (str): The image file.
        reason (str): Why it cannot be used (what was expected and what was found).
    """

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f'{path}: {reason}')

    def __reduce__(self):  # picklable across dataloader workers
        return self.__class__, (self.path, self.reason)


@dataclass(frozen=True)
class ImageHeader:
    """What an image file's header says.

    Attributes:
        width (int): Width of the displayed image (EXIF orientation applied).
        height (int): Height of the displayed image.
        orientation (int): The EXIF orientation, 1 (none) to 8.
        format (str): The file format PIL found (``'JPEG'``, ``'PNG'`` ...).
    """
    width: int
    height: int
    orientation: int = 1
    format: str = ''

    @property
    def stored_size(self) -> Tuple[int, int]:
        """``(width, height)`` as stored in the file, before the EXIF rotation."""
        if self.orientation in _TRANSPOSING_ORIENTATIONS:
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True)
class ImageCheck:
    """The outcome of :func:`check_entry_image`.

    Attributes:
        refusal (str | None): Why the entry cannot be scored (its image unreadable, too large,
            too small, or its ``bbox`` wholly outside it); None when it can.
        flags (tuple[str, ...]): Problems that leave the entry usable but worth a warning
            (a ``bbox`` partly outside the image, a garment smaller than the minimum side).
        header (ImageHeader | None): The header, when it could be read.
    """
    refusal: Optional[str] = None
    flags: Tuple[str, ...] = field(default_factory=tuple)
    header: Optional[ImageHeader] = None


def read_image_header(path: str, max_pixels: int = PF_MAX_IMAGE_PIXELS) -> ImageHeader:
    """Read a local image file's header: its displayed size and EXIF orientation.

    Args:
        path (str): A local file.
        max_pixels (int): Refuse an image with more pixels than this.

    Returns:
        ImageHeader: The displayed size (EXIF orientation applied), the orientation and format.

    Raises:
        BadImageError: The file is missing, a folder, empty, not an image PIL can identify, has
            an unreadable header, or has more than ``max_pixels`` pixels.

    Example:
        >>> read_image_header('no/such.jpg')
        Traceback (most recent call last):
        ...
        ps_net.datasets.pf_format.images.BadImageError: no/such.jpg: file not found
    """
    from PIL import Image, UnidentifiedImageError
    if not os.path.exists(path):
        raise BadImageError(path, 'file not found')
    if os.path.isdir(path):
        raise BadImageError(path, 'a folder, not an image file')
    size = os.path.getsize(path)
    if size == 0:
        raise BadImageError(path, 'empty file (0 bytes)')
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            with Image.open(path) as img:
                width, height = img.size
                fmt = img.format or ''
                orientation = _orientation(img)
    except UnidentifiedImageError:
        raise BadImageError(path, f'not an image file (no image format PIL knows; {size} '
                            f'bytes)') from None
    except Image.DecompressionBombError as err:
        raise BadImageError(path, f'over the pixel limit: {err}') from None
    except (OSError, ValueError, SyntaxError) as err:  # PIL raises SyntaxError for bad headers
        raise BadImageError(path, f'cannot read the image header: {err}') from None
    if width * height > max_pixels:
        raise BadImageError(path, f'{width} x {height} = {width * height} pixels, over the '
                            f'limit of {max_pixels} pixels (max_image_pixels)')
    if orientation in _TRANSPOSING_ORIENTATIONS:
        width, height = height, width
    return ImageHeader(width, height, orientation, fmt)


def _orientation(img) -> int:
    """The EXIF orientation of an open PIL image; 1 when absent or unreadable."""
    try:
        value = int(img.getexif().get(_EXIF_ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001  (a damaged EXIF block: the decoders ignore it too)
        return 1
    return value if 1 <= value <= 8 else 1


def garment_box_check(width: int, height: int, bbox: Optional[Sequence[float]] = None, *,
                      min_side: int = PF_MIN_IMAGE_SIDE,
                      orientation: int = 1) -> Tuple[Optional[str], Tuple[str, ...]]:
    """Check an image size and an entry's ``bbox`` in that (displayed) frame.

    Rules (docs/bad_inputs.md):

    * refused: an image whose shorter side is below ``min_side`` (a 1 x 1 image), a ``bbox``
      with no area inside the image (wholly outside it);
    * flagged: a ``bbox`` partly outside the image, or whose part inside the image has a side
      below ``min_side``.

    Args:
        width (int): Displayed width of the image.
        height (int): Displayed height of the image.
        bbox (Sequence[float], optional): ``[x1, y1, x2, y2]`` in displayed pixels; None: the
            garment fills the image.
        min_side (int): The smallest side allowed.
        orientation (int): The EXIF orientation, named in the messages when it rotates.

    Returns:
        tuple: ``(refusal or None, flags)``.

    Examples:
        >>> garment_box_check(1, 1)[0]
        'image is 1 x 1 px, its shorter side below the minimum of 8 px'
        >>> garment_box_check(100, 80, [120, 10, 150, 40])[0]  # doctest: +ELLIPSIS
        'bbox [120, 10, 150, 40] lies wholly outside the 100 x 80 image ...'
        >>> garment_box_check(100, 80, [90, 10, 150, 40])[1]  # doctest: +ELLIPSIS
        ('bbox [90, 10, 150, 40] extends beyond the 100 x 80 image ...',)
    """
    if min(width, height) < min_side:
        return (f'image is {width} x {height} px, its shorter side below the minimum of '
                f'{min_side} px'), ()
    if bbox is None:
        return None, ()
    x1, y1, x2, y2 = (float(v) for v in bbox)
    box = '[' + ', '.join(f'{v:g}' for v in (x1, y1, x2, y2)) + ']'
    frame = ('(bbox pixels are in the displayed frame: EXIF orientation '
             f'{orientation} applied)' if orientation != 1 else
             '(bbox pixels are in the displayed frame)')
    inside_w = min(x2, width) - max(x1, 0.0)
    inside_h = min(y2, height) - max(y1, 0.0)
    if inside_w <= 0 or inside_h <= 0:
        return f'bbox {box} lies wholly outside the {width} x {height} image {frame}', ()
    flags = []
    if x1 < 0 or y1 < 0 or x2 > width or y2 > height:
        flags.append(f'bbox {box} extends beyond the {width} x {height} image {frame}; the '
                     f'crop is padded with black')
    if min(inside_w, inside_h) < min_side:
        flags.append(f'bbox {box} covers {inside_w:g} x {inside_h:g} px of the image, a side '
                     f'below the minimum of {min_side} px: its regions are degenerate')
    return None, tuple(flags)


def check_entry_image(path: str, bbox: Optional[Sequence[float]] = None, *,
                      max_pixels: int = PF_MAX_IMAGE_PIXELS,
                      min_side: int = PF_MIN_IMAGE_SIDE) -> ImageCheck:
    """Check an entry's local image file and its ``bbox`` from the file's header; never raises
    for a bad file.

    Args:
        path (str): The local image file.
        bbox (Sequence[float], optional): The entry's ``[x1, y1, x2, y2]`` (displayed frame).
        max_pixels (int): The pixel limit (:func:`read_image_header`).
        min_side (int): The smallest side (:func:`garment_box_check`).

    Returns:
        ImageCheck: The refusal (None when usable), the flags and the header.
    """
    try:
        header = read_image_header(path, max_pixels)
    except BadImageError as err:
        return ImageCheck(refusal=err.reason)
    refusal, flags = garment_box_check(header.width, header.height, bbox, min_side=min_side,
                                       orientation=header.orientation)
    return ImageCheck(refusal, flags, header)


__all__ = ['BadImageError', 'ImageHeader', 'ImageCheck', 'read_image_header',
           'garment_box_check', 'check_entry_image']
