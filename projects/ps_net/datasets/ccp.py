"""Clothing Co-Parsing (CCP): pixel label maps to COCO detection boxes with DeepFashion2 classes.

CCP (Yang et al., CVPR 2014) ships street-fashion photos (``photos/NNNN.jpg``) with a pixel
label map each (``annotations/pixel-level/NNNN.mat``, MATLAB variable ``groundtruth``, an
``uint8`` H x W array) and one ``label_list.mat`` (a 1 x 59 cell array of names). Label numbers
are 0-based indices into that list: ``0 null`` (background), ``19 hair``, ``41 skin``, ...

Each photo becomes one COCO image with at most one box per DeepFashion2 category
(:data:`~ps_net.datasets.category_map.CCP_TO_DF2`, documented in
:mod:`ps_net.datasets.category_map`): the pixels of all CCP labels that map to the same
DeepFashion2 category are pooled (e.g. ``shirt`` and ``blouse`` both give one
``long_sleeved_shirt`` box), then

1. the category is dropped when its pixel count is under ``min_area_frac`` (0.5%) of the image;
2. its pixels are split into 8-connected components (:func:`scipy.ndimage.label`) and the
   components under a tenth of that (0.05% of the image) are discarded, so that a few stray
   pixels far from the garment do not stretch its box; a category left with no component is
   dropped too;
3. the box is the bounding box of the remaining pixels in pixel-edge coordinates: a pixel at
   column ``x`` covers ``[x, x + 1)``, so ``x2 - x1`` is the number of columns covered.

The COCO file follows :func:`~ps_net.datasets.deepfashion2.df2_coco_categories` (13 categories,
ids 1-13) so that it can be evaluated alongside DeepFashion2; an annotation carries ``bbox``
``[x, y, w, h]``, ``area = w * h`` (the box area, as in the DeepFashion2 conversion),
``iscrowd = 0``, the contributing CCP label names (``ccp_label``) and the pixel count
(``pixel_area``). There are no keypoints and no segmentation. Split: :data:`CCP_SPLITS`
(photos 1-560 train, 561-700 val).
"""
import math
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Tuple, Union

import numpy as np

from .category_map import CCP_TO_DF2
from .deepfashion2 import df2_coco_categories
from .format_error import DataFormatError

PathLike = Union[str, os.PathLike]

#: Photo numbers of each split (the 700 pixel-annotated photos used here).
CCP_SPLITS: Dict[str, range] = {'train': range(1, 561), 'val': range(561, 701)}

#: The MATLAB variables of ``label_list.mat`` and of a pixel-level annotation file.
CCP_LABELS_KEY = 'label_list'
CCP_MAP_KEY = 'groundtruth'

#: Connected components under this fraction of ``min_area_frac`` are left out of the box.
CCP_COMPONENT_FRAC = 0.1

_ON_ERROR = ('raise', 'skip')
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


class CCPFormatError(DataFormatError):
    """A CCP file (label list, label map or photo) breaks the expected format.

    The message is ``'<source>: <field>: <detail>'``, e.g.
    ``annotations/pixel-level/0003.mat: groundtruth: expected a 2-D integer array (H x W label
    map), got shape (4, 5, 3)``.

    Args:
        source (str): The file the problem was found in.
        field (str): The variable or part (``groundtruth``, ``label_list``, ``photo`` ...).
        detail (str): What was expected and what was found.
    """


def _load_mat(path: PathLike, key: str) -> Any:
    """One variable of a MATLAB file, or :class:`CCPFormatError`."""
    import scipy.io

    source = os.fspath(path)
    if not os.path.isfile(source):
        raise CCPFormatError(source, 'file', 'not found')
    try:
        mat = scipy.io.loadmat(source)
    except NotImplementedError as err:  # MATLAB v7.3 (HDF5) files
        raise CCPFormatError(source, 'file', f'unsupported MATLAB file: {err}') from None
    except Exception as err:  # noqa: BLE001  scipy raises ValueError/TypeError/OSError/...
        raise CCPFormatError(source, 'file', f'cannot read it as a MATLAB .mat file: '
                             f'{type(err).__name__}: {err}') from None
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith('__'))
        raise CCPFormatError(source, key, f'missing (expected the variable {key!r}; found '
                             f'{found})')
    return mat[key]


def load_ccp_labels(path: PathLike) -> List[str]:
    """Read CCP's ``label_list.mat``.

    Args:
        path (str | PathLike): The file (a MATLAB cell array ``label_list`` of strings).

    Returns:
        list[str]: The label names indexed by label number (``names[0] == 'null'``, 59 names
        in the released file).

    Raises:
        CCPFormatError: If the file cannot be read, has no ``label_list`` or an entry is not a
            single string; the message names the file.
    """
    source = os.fspath(path)
    raw = _load_mat(source, CCP_LABELS_KEY)
    if not isinstance(raw, np.ndarray) or raw.dtype != object or raw.size == 0:
        got = (f'{raw.dtype} array of shape {raw.shape}' if isinstance(raw, np.ndarray)
               else type(raw).__name__)
        raise CCPFormatError(source, CCP_LABELS_KEY, f'expected a non-empty cell array of '
                             f'strings, got {got}')
    names = []
    for i, cell in enumerate(raw.ravel()):
        value = cell.ravel() if isinstance(cell, np.ndarray) else np.asarray([cell])
        if value.size != 1 or not isinstance(value[0], str):
            raise CCPFormatError(source, CCP_LABELS_KEY, f'entry {i}: expected one string, '
                                 f'got {cell!r}')
        names.append(str(value[0]))
    return names


def load_ccp_label_map(path: PathLike) -> np.ndarray:
    """Read one CCP pixel-level annotation (``annotations/pixel-level/NNNN.mat``).

    Args:
        path (str | PathLike): The file (a MATLAB variable ``groundtruth``).

    Returns:
        np.ndarray: The H x W label map as stored (``uint8`` in the released files); values
        are 0-based indices into :func:`load_ccp_labels`.

    Raises:
        CCPFormatError: If the file is missing or unreadable, has no ``groundtruth``, or it is
            not a non-empty 2-D array of non-negative integers; the message names the file.
    """
    source = os.fspath(path)
    label_map = _load_mat(source, CCP_MAP_KEY)
    if (not isinstance(label_map, np.ndarray) or label_map.ndim != 2 or label_map.size == 0
            or not np.issubdtype(label_map.dtype, np.integer)):
        got = (f'{label_map.dtype} array of shape {label_map.shape}'
               if isinstance(label_map, np.ndarray) else type(label_map).__name__)
        raise CCPFormatError(source, CCP_MAP_KEY, f'expected a non-empty 2-D integer array '
                             f'(H x W label map), got {got}')
    if label_map.min() < 0:
        raise CCPFormatError(source, CCP_MAP_KEY, f'expected labels >= 0, got '
                             f'{int(label_map.min())}')
    return label_map


def ccp_boxes(label_map: np.ndarray, label_names: Sequence[str],
              min_area_frac: float = 0.005) -> List[Dict[str, Any]]:
    """One DeepFashion2 box per garment category present in a CCP label map.

    The pixels of every CCP label mapping to the same DeepFashion2 category are pooled; a
    category with fewer than ``min_area_frac * H * W`` pixels is dropped; the box is taken over
    its 8-connected components of at least ``CCP_COMPONENT_FRAC * min_area_frac * H * W``
    pixels (a category with none is dropped). See the module docstring.

    Args:
        label_map (np.ndarray): H x W integer label map (0-based CCP labels).
        label_names (Sequence[str]): Label names indexed by label number
            (:func:`load_ccp_labels`); names not in
            :data:`~ps_net.datasets.category_map.CCP_TO_DF2` are ignored.
        min_area_frac (float): The smallest category pixel count kept, as a fraction of the
            image, in ``[0, 1]``. Defaults to 0.005 (0.5%).

    Returns:
        list[dict]: Sorted by category id, each ``dict(category_id=int,
        bbox_xyxy=[x1, y1, x2, y2] (ints, pixel edges), area_pixels=int (all the category's
        pixels, the count compared with the threshold), ccp_label=[names] (the CCP labels with
        pixels inside the box's components, in label-number order))``.

    Raises:
        ValueError: If ``label_map`` is not a non-empty 2-D integer array, holds a label
            outside ``0 .. len(label_names) - 1``, or ``min_area_frac`` is not in ``[0, 1]``.

    Example:
        >>> names = ['null', 'skirt', 'shirt', 'blouse']
        >>> m = np.zeros((100, 100), np.uint8)
        >>> m[10:20, 30:40] = 2; m[20:25, 30:40] = 3; m[60:90, 20:60] = 1
        >>> [(b['category_id'], b['bbox_xyxy'], b['ccp_label']) for b in ccp_boxes(m, names)]
        [(2, [30, 10, 40, 25], ['shirt', 'blouse']), (9, [20, 60, 60, 90], ['skirt'])]
    """
    from scipy import ndimage

    if not (isinstance(label_map, np.ndarray) and label_map.ndim == 2 and label_map.size > 0
            and np.issubdtype(label_map.dtype, np.integer)):
        got = (f'{label_map.dtype} array of shape {label_map.shape}'
               if isinstance(label_map, np.ndarray) else repr(label_map))
        raise ValueError(f'label_map must be a non-empty 2-D integer array, got {got}')
    if isinstance(min_area_frac, bool) or not isinstance(min_area_frac, (int, float)) \
            or not math.isfinite(min_area_frac) or not 0 <= min_area_frac <= 1:
        raise ValueError(f'min_area_frac must be a number in [0, 1], got {min_area_frac!r}')
    lo, hi = int(label_map.min()), int(label_map.max())
    if lo < 0 or hi >= len(label_names):
        bad = lo if lo < 0 else hi
        raise ValueError(f'label_map holds label {bad}, outside 0..{len(label_names) - 1} '
                         f'({len(label_names)} label names)')

    counts = np.bincount(label_map.ravel(), minlength=len(label_names))
    labels_of: Dict[int, List[int]] = {}
    for label, name in enumerate(label_names):
        if name in CCP_TO_DF2 and counts[label] > 0:
            labels_of.setdefault(CCP_TO_DF2[name], []).append(label)

    n_pixels = label_map.size
    min_pixels = min_area_frac * n_pixels
    min_component = CCP_COMPONENT_FRAC * min_area_frac * n_pixels
    boxes = []
    for category_id in sorted(labels_of):
        labels = labels_of[category_id]
        area = int(counts[labels].sum())
        if area < min_pixels:
            continue
        mask = label_map == labels[0]
        for label in labels[1:]:
            mask |= label_map == label
        # Work inside the bounding box of all the category's pixels (offset oy, ox).
        all_rows, all_cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        oy, ox = int(all_rows[0]), int(all_cols[0])
        crop = (slice(oy, int(all_rows[-1]) + 1), slice(ox, int(all_cols[-1]) + 1))
        components, n = ndimage.label(mask[crop], structure=_EIGHT_CONNECTED)
        big = np.bincount(components.ravel(), minlength=n + 1) >= min_component
        big[0] = False  # the background of the mask
        if not big.any():
            continue
        kept = big[components]
        rows, cols = np.flatnonzero(kept.any(axis=1)), np.flatnonzero(kept.any(axis=0))
        y1, y2 = oy + int(rows[0]), oy + int(rows[-1]) + 1
        x1, x2 = ox + int(cols[0]), ox + int(cols[-1]) + 1
        if len(labels) == 1:
            present = labels
        else:
            in_kept = label_map[crop][kept]
            present = [lab for lab in labels if np.any(in_kept == lab)]
        boxes.append(dict(category_id=category_id, bbox_xyxy=[x1, y1, x2, y2],
                          area_pixels=area, ccp_label=[label_names[lab] for lab in present]))
    return boxes


def _photo_size(photo: Path) -> Tuple[int, int]:
    """Width and height from the photo header."""
    from PIL import Image, UnidentifiedImageError

    if not photo.is_file():
        raise CCPFormatError(str(photo), 'photo', 'not found')
    try:
        with Image.open(photo) as img:
            return img.size
    except (OSError, UnidentifiedImageError) as err:
        raise CCPFormatError(str(photo), 'photo', f'cannot read the image header: {err}') \
            from None


def _check_ids(ids: Iterable[int]) -> List[int]:
    """The photo numbers as a list; ValueError echoing the first bad one."""
    if isinstance(ids, (str, bytes)):
        raise ValueError(f'ids must be photo numbers (ints), got {ids!r}')
    checked: List[int] = []
    seen = set()
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                or not 1 <= value <= 9999:
            raise ValueError(f'ids must be photo numbers 1-9999, got {value!r}')
        if value in seen:
            raise ValueError(f'ids repeats photo number {value}')
        seen.add(value)
        checked.append(int(value))
    return checked


def ccp_to_coco(ccp_root: PathLike, ids: Iterable[int], on_error: str = 'skip',
                min_area_frac: float = 0.005) -> Tuple[Dict[str, Any], List[str]]:
    """Convert CCP photos to one COCO detection dict with DeepFashion2 categories.

    Args:
        ccp_root (str | PathLike): The CCP folder (``label_list.mat``, ``photos/``,
            ``annotations/pixel-level/``).
        ids (Iterable[int]): Photo numbers, e.g. ``CCP_SPLITS['train']``; photo ``n`` is
            ``photos/{n:04d}.jpg`` with ``annotations/pixel-level/{n:04d}.mat``.
        on_error (str): ``'skip'``: record a problem (naming the file) and leave the photo
            out; ``'raise'``: raise :class:`CCPFormatError` on the first bad photo. Defaults to
            ``'skip'``.
        min_area_frac (float): See :func:`ccp_boxes`. Defaults to 0.005.

    Returns:
        tuple[dict, list[str]]: The COCO dict (``info``, ``licenses``, ``images`` with ``id`` =
        the photo number, ``file_name = 'photos/NNNN.jpg'`` (relative to ``ccp_root``),
        ``width`` and ``height``; ``annotations`` with ids from 1 in photo then category order;
        ``categories`` = :func:`~ps_net.datasets.deepfashion2.df2_coco_categories`) and the
        problems (one string per skipped photo; empty with ``'raise'``).

    Raises:
        ValueError: If ``on_error``, ``ids`` or ``min_area_frac`` is invalid.
        NotADirectoryError: If ``ccp_root`` is not a folder.
        CCPFormatError: If ``label_list.mat`` is bad (whatever ``on_error``), or with
            ``on_error='raise'`` for the first bad label map or photo: unreadable, wrong shape or
            type, a label outside the label list, or a photo whose size differs from its map.
    """
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    photo_ids = _check_ids(ids)
    if isinstance(min_area_frac, bool) or not isinstance(min_area_frac, (int, float)) \
            or not math.isfinite(min_area_frac) or not 0 <= min_area_frac <= 1:
        raise ValueError(f'min_area_frac must be a number in [0, 1], got {min_area_frac!r}')
    root = Path(ccp_root)
    if not root.is_dir():
        raise NotADirectoryError(f'ccp_root {root} is not a folder')
    names = load_ccp_labels(root / 'label_list.mat')

    images: List[Dict[str, Any]] = []
    annotations: List[Dict[str, Any]] = []
    problems: List[str] = []
    for image_id in photo_ids:
        stem = f'{image_id:04d}'
        map_path = root / 'annotations' / 'pixel-level' / f'{stem}.mat'
        try:
            label_map = load_ccp_label_map(map_path)
            height, width = label_map.shape
            top = int(label_map.max())
            if top >= len(names):
                raise CCPFormatError(str(map_path), CCP_MAP_KEY, f'label {top} is outside the '
                                     f'{len(names)} labels of label_list.mat (0..'
                                     f'{len(names) - 1})')
            photo_size = _photo_size(root / 'photos' / f'{stem}.jpg')
            if photo_size != (width, height):
                raise CCPFormatError(str(root / 'photos' / f'{stem}.jpg'), 'photo',
                                     f'size {photo_size[0]}x{photo_size[1]} (WxH) differs from '
                                     f'its label map {map_path.name} ({width}x{height})')
        except CCPFormatError as err:
            if on_error == 'raise':
                raise
            problems.append(str(err))
            continue
        images.append(dict(id=image_id, file_name=f'photos/{stem}.jpg', width=int(width),
                           height=int(height)))
        for box in ccp_boxes(label_map, names, min_area_frac=min_area_frac):
            x1, y1, x2, y2 = box['bbox_xyxy']
            w, h = x2 - x1, y2 - y1
            annotations.append(dict(
                id=len(annotations) + 1, image_id=image_id, category_id=box['category_id'],
                bbox=[x1, y1, w, h], area=w * h, iscrowd=0, ccp_label=box['ccp_label'],
                pixel_area=box['area_pixels']))

    coco = dict(
        info=dict(description='Clothing Co-Parsing pixel labels converted to DeepFashion2 '
                              'category boxes by ps_net'),
        licenses=[],
        images=images,
        annotations=annotations,
        categories=df2_coco_categories(),
    )
    return coco, problems

