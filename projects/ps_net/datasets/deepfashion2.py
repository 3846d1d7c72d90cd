"""DeepFashion2: the raw per-image annotation reader and the DeepFashion2-to-COCO conversion.

DeepFashion2 ships one JSON file per image (``annos/000001.json`` beside ``image/000001.jpg``)
holding the image's ``source`` (``'user'`` or ``'shop'``), its ``pair_id`` and one ``itemN``
entry per garment (category, style, box, landmarks, polygons and four attributes).

The official conversion (``evaluation/deepfashion2_to_coco.py`` in the DeepFashion2 repository)
turns these into one COCO keypoint file:

* an image entry per annotation file, ``id`` = the file's number, ``file_name`` = ``<stem>.jpg``,
  width and height read from the image with PIL;
* an annotation per item, ids counting from 1 over the whole set, with the box converted from
  ``[x1, y1, x2, y2]`` to ``[x, y, w, h]`` and ``area = w * h`` (the box area, not the polygon
  area), the item's landmarks placed in its category's block of the shared 294-slot keypoint
  vector (zeros elsewhere, see :mod:`ps_net.structures.df2_layout`), ``num_keypoints`` = the
  number of the item's landmarks with visibility > 0, the polygons as ``segmentation``,
  ``iscrowd = 0`` and the image's ``pair_id`` and the item's ``style`` kept;
* 13 categories, supercategory ``'clothes'``, keypoint names ``'1'`` .. ``'294'``, no skeleton.

We follow all of the above (the image entries carry the same keys and the annotations the same
values; the category is the item's ``category_id``, its ``category_name`` may be spelt as in
the raw files, ``'short sleeve top'``, or COCO-style, ``'short_sleeved_shirt'``), and differ
in four ways: the files are the sorted ``*.json`` of a folder rather than ``1..N``; every field
is checked first and a malformed file is reported with its name and the field
(:class:`DF2FormatError`) instead of crashing mid-run, or skipped with ``on_error='skip'``
(the ids of the later annotations then count on without it); a file's annotations are numbered
by item number (``item1``, ``item2``, ...), where the official script follows the file's key
order; and each annotation also keeps the image's ``source`` and the item's ``scale``,
``occlusion``, ``zoom_in`` and ``viewpoint``. Landmark values are copied as given (the official
script writes floats; JSON consumers see the same numbers). ``docs/deepfashion2.md`` says how
to match ids against the official files.
"""
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple, Union

from ..structures import DF2_CATEGORIES, DF2_NUM_KEYPOINTS, DF2_NUM_SLOTS, df2_slot_range
from ..utils import atomic_write
from .format_error import DataFormatError

PathLike = Union[str, os.PathLike]
Number = Union[int, float]

#: Values of an image's ``source``.
DF2_SOURCES = ('user', 'shop')

#: The fields every item of a raw annotation file must have.
DF2_ITEM_FIELDS = ('category_id', 'category_name', 'style', 'bounding_box', 'landmarks',
                   'segmentation', 'scale', 'occlusion', 'zoom_in', 'viewpoint')

#: ``category_name`` as DeepFashion2's raw per-image files spell it. The reader keys on
#: ``category_id`` (as the official conversion does) and accepts this name or the COCO-style one
#: of :data:`~ps_net.structures.DF2_CATEGORIES` (``'short_sleeved_shirt'`` ...).
DF2_RAW_CATEGORY_NAMES = {
    1: 'short sleeve top', 2: 'long sleeve top', 3: 'short sleeve outwear',
    4: 'long sleeve outwear', 5: 'vest', 6: 'sling', 7: 'shorts', 8: 'trousers', 9: 'skirt',
    10: 'short sleeve dress', 11: 'long sleeve dress', 12: 'vest dress', 13: 'sling dress',
}

#: Item attributes coded 1-3 (scale: small/modest/large; occlusion: slight/medium/heavy;
#: zoom_in: none/medium/large; viewpoint: not worn/frontal/side or back).
DF2_ATTRIBUTES = ('scale', 'occlusion', 'zoom_in', 'viewpoint')

_ITEM_KEY = re.compile(r'item([1-9][0-9]*)')
_ON_ERROR = ('raise', 'skip')


class DF2FormatError(DataFormatError):
    """A DeepFashion2 annotation file (or its image) breaks the format.

    The message is ``'<source>: <field>: <detail>'``, e.g.
    ``annos/000001.json: item2.landmarks: expected 3*31=93 numbers for category
    'short_sleeved_outwear' (id 3), got 92``.

    Args:
        source (str): The file the problem was found in.
        field (str): The field (``item2.landmarks``, ``pair_id``, ``json``, ``image`` ...).
        detail (str): What was expected and what was found.
    """


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _check_item(item: Any, name: str, source: str) -> None:
    """Check one ``itemN`` entry; raise :class:`DF2FormatError` on the first problem."""

    def fail(field: str, detail: str) -> None:
        raise DF2FormatError(source, f'{name}.{field}' if field else name, detail)

    if not isinstance(item, dict):
        fail('', f'expected an object, got {type(item).__name__}')
    for field in DF2_ITEM_FIELDS:
        if field not in item:
            fail(field, 'missing')

    cat = item['category_id']
    if not _is_int(cat) or cat not in DF2_CATEGORIES:
        fail('category_id', f'expected an integer 1-13, got {cat!r}')
    names = (DF2_RAW_CATEGORY_NAMES[cat], DF2_CATEGORIES[cat])
    if item['category_name'] not in names:
        fail('category_name', f'expected {names[0]!r} or {names[1]!r} for category_id {cat}, '
             f'got {item["category_name"]!r}')

    style = item['style']
    if not _is_int(style) or style < 0:
        fail('style', f'expected an integer >= 0, got {style!r}')

    box = item['bounding_box']
    if not (isinstance(box, list) and len(box) == 4 and all(_is_number(v) for v in box)):
        fail('bounding_box', f'expected [x1, y1, x2, y2] (4 finite numbers), got {box!r}')
    x1, y1, x2, y2 = box
    if x2 < x1 or y2 < y1:
        fail('bounding_box', f'expected x1 <= x2 and y1 <= y2, got {box!r}')

    landmarks = item['landmarks']
    n = DF2_NUM_KEYPOINTS[cat]
    if not isinstance(landmarks, list) or len(landmarks) != 3 * n:
        got = len(landmarks) if isinstance(landmarks, list) else type(landmarks).__name__
        fail('landmarks', f'expected 3*{n}={3 * n} numbers for category '
             f'{DF2_CATEGORIES[cat]!r} (id {cat}), got {got}')
    for i, value in enumerate(landmarks):
        if not _is_number(value):
            fail('landmarks', f'value {i} (keypoint {i // 3 + 1}) is not a finite number: '
                 f'{value!r}')
        if i % 3 == 2 and value not in (0, 1, 2):
            fail('landmarks', f'visibility of keypoint {i // 3 + 1} must be 0, 1 or 2, '
                 f'got {value!r}')

    seg = item['segmentation']
    if not isinstance(seg, list):
        fail('segmentation', f'expected a list of polygons, got {type(seg).__name__}')
    for p, poly in enumerate(seg):
        if not (isinstance(poly, list) and len(poly) >= 6 and len(poly) % 2 == 0
                and all(_is_number(v) for v in poly)):
            got = f'{len(poly)} values' if isinstance(poly, list) else repr(poly)
            fail('segmentation', f'polygon {p}: expected an even number (>= 6) of finite '
                 f'numbers x1, y1, x2, y2, ..., got {got}')

    for field in DF2_ATTRIBUTES:
        value = item[field]
        if not _is_int(value) or value not in (1, 2, 3):
            fail(field, f'expected 1, 2 or 3, got {value!r}')


def read_df2_anno(path: PathLike) -> Dict[str, Any]:
    """Read and check one raw DeepFashion2 annotation file (``annos/NNNNNN.json``).

    Args:
        path (str | PathLike): The file.

    Returns:
        dict: ``dict(source=str, pair_id=int, items=[...])``; the items are sorted by their
        number (``item1``, ``item2``, ..., ``item10``) and each is a copy of the raw item with
        an added ``item`` key holding that number.

    Raises:
        DF2FormatError: When the file cannot be read, is not JSON, or any field is missing or
            malformed; the message names the file and the field.
    """
    source = os.fspath(path)
    try:
        with open(source, encoding='utf-8') as f:
            raw = json.load(f)
    except json.JSONDecodeError as err:
        raise DF2FormatError(source, 'json', f'invalid JSON: {err}') from None
    except (OSError, UnicodeDecodeError) as err:
        raise DF2FormatError(source, 'file', f'cannot read the file: {err}') from None

    if not isinstance(raw, dict):
        raise DF2FormatError(source, 'json', f'expected an object, got {type(raw).__name__}')
    for field in ('source', 'pair_id'):
        if field not in raw:
            raise DF2FormatError(source, field, 'missing')
    if raw['source'] not in DF2_SOURCES:
        raise DF2FormatError(source, 'source', f"expected 'user' or 'shop', got "
                             f"{raw['source']!r}")
    if not _is_int(raw['pair_id']):
        raise DF2FormatError(source, 'pair_id', f'expected an integer, got {raw["pair_id"]!r}')

    items = []
    for key, item in raw.items():
        if key in ('source', 'pair_id'):
            continue
        match = _ITEM_KEY.fullmatch(key)
        if match is None:
            raise DF2FormatError(source, key, "unexpected key (expected 'source', 'pair_id' "
                                 "or 'item<N>')")
        _check_item(item, key, source)
        items.append(dict(item, item=int(match.group(1))))
    items.sort(key=lambda it: it['item'])
    return dict(source=raw['source'], pair_id=raw['pair_id'], items=items)


def df2_keypoints_294(category_id: int, landmarks: List[Number]) -> List[Number]:
    """Place an item's landmarks in the shared 294-slot keypoint vector.

    Args:
        category_id (int): DeepFashion2 category id, 1-13.
        landmarks (list[int | float]): The item's flat ``[x, y, v, ...]`` landmarks, 3 numbers
            per keypoint of the category.

    Returns:
        list[int | float]: ``3 * 294`` numbers, the landmarks in the category's slot block
        (:func:`~ps_net.structures.df2_layout.df2_slot_range`) and 0 everywhere else.

    Raises:
        ValueError: If the category id is not 1-13 or the landmarks have the wrong length.

    Example:
        >>> kpts = df2_keypoints_294(9, [float(i) for i in range(24)])
        >>> len(kpts), kpts[3 * 182:3 * 182 + 3], sum(kpts[:3 * 182])
        (882, [0.0, 1.0, 2.0], 0)
    """
    start, stop = df2_slot_range(category_id)
    n = stop - start
    if len(landmarks) != 3 * n:
        raise ValueError(f'expected 3*{n}={3 * n} landmark numbers for category '
                         f'{DF2_CATEGORIES[category_id]!r} (id {category_id}), '
                         f'got {len(landmarks)}')
    points: List[Number] = [0] * (3 * DF2_NUM_SLOTS)
    points[3 * start:3 * stop] = list(landmarks)
    return points


def df2_coco_categories() -> List[Dict[str, Any]]:
    """The 13 COCO categories of a DeepFashion2 COCO file, as the official conversion writes.

    Returns:
        list[dict]: A fresh list of ``dict(id, name, supercategory='clothes',
        keypoints=['1', ..., '294'], skeleton=[])``, ids 1-13.

    Example:
        >>> cats = df2_coco_categories()
        >>> len(cats), cats[10]['name'], cats[0]['keypoints'][-1]
        (13, 'long_sleeved_dress', '294')
    """
    names = [str(i) for i in range(1, DF2_NUM_SLOTS + 1)]
    return [dict(id=cid, name=DF2_CATEGORIES[cid], supercategory='clothes',
                 keypoints=list(names), skeleton=[]) for cid in sorted(DF2_CATEGORIES)]


def _image_size(image_path: Path, source: str) -> Tuple[int, int]:
    """Width and height from the image header."""
    from PIL import Image, UnidentifiedImageError

    if not image_path.is_file():
        raise DF2FormatError(source, 'image', f'image file {image_path} not found')
    try:
        with Image.open(image_path) as img:
            return img.size
    except (OSError, UnidentifiedImageError) as err:
        raise DF2FormatError(source, 'image', f'cannot read image {image_path}: {err}') from None


def _convert_file(anno_path: Path, image_dir: Path, first_ann_id: int
                  ) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """One annotation file to its COCO image entry and annotations."""
    source = str(anno_path)
    try:
        image_id = int(anno_path.stem)
    except ValueError:
        raise DF2FormatError(source, 'file name', f'expected a numeric name such as '
                             f'000001.json, got {anno_path.name!r}') from None
    anno = read_df2_anno(anno_path)
    file_name = f'{anno_path.stem}.jpg'
    width, height = _image_size(image_dir / file_name, source)
    image = dict(coco_url='', date_captured='', file_name=file_name, flickr_url='',
                 id=image_id, license=0, width=width, height=height)
    annotations = []
    for offset, item in enumerate(anno['items']):
        x1, y1, x2, y2 = item['bounding_box']
        w, h = x2 - x1, y2 - y1
        cat = item['category_id']
        landmarks = item['landmarks']
        ann = dict(
            area=w * h,
            bbox=[x1, y1, w, h],
            category_id=cat,
            id=first_ann_id + offset,
            pair_id=anno['pair_id'],
            image_id=image_id,
            iscrowd=0,
            style=item['style'],
            num_keypoints=sum(1 for v in landmarks[2::3] if v > 0),
            keypoints=df2_keypoints_294(cat, landmarks),
            segmentation=item['segmentation'],
            source=anno['source'],
        )
        ann.update({field: item[field] for field in DF2_ATTRIBUTES})
        annotations.append(ann)
    return image, annotations


def df2_to_coco(anno_dir: PathLike, image_dir: PathLike, on_error: str = 'raise'
                ) -> Tuple[Dict[str, Any], List[str]]:
    """Convert a folder of raw DeepFashion2 annotations to one COCO keypoint dict.

    Args:
        anno_dir (str | PathLike): Folder of ``NNNNNN.json`` files (DeepFashion2's ``annos``).
        image_dir (str | PathLike): Folder of the ``NNNNNN.jpg`` images (``image``); only
            their headers are read, for width and height.
        on_error (str): ``'raise'``: raise on the first malformed file; ``'skip'``: record
            the problem, leave the file out and go on. Defaults to ``'raise'``.

    Returns:
        tuple[dict, list[str]]: The COCO dict (``info``, ``licenses``, ``images``,
        ``annotations``, ``categories``; annotation ids count from 1 over the converted
        files, in file-name order) and the problems (one string per skipped file, each naming
        the file and the field; empty with ``'raise'``).

    Raises:
        ValueError: If ``on_error`` is neither ``'raise'`` nor ``'skip'``.
        NotADirectoryError: If ``anno_dir`` or ``image_dir`` is not a folder.
        DF2FormatError: With ``on_error='raise'``, for the first malformed file, missing or
            unreadable image, or repeated image id.
    """
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    anno_dir, image_dir = Path(anno_dir), Path(image_dir)
    for name, folder in (('anno_dir', anno_dir), ('image_dir', image_dir)):
        if not folder.is_dir():
            raise NotADirectoryError(f'{name} {folder} is not a folder')

    images: List[Dict[str, Any]] = []
    annotations: List[Dict[str, Any]] = []
    problems: List[str] = []
    seen_ids: Dict[int, str] = {}
    for anno_path in sorted(anno_dir.glob('*.json')):
        try:
            image, anns = _convert_file(anno_path, image_dir, len(annotations) + 1)
            if image['id'] in seen_ids:
                raise DF2FormatError(str(anno_path), 'file name',
                                     f'image id {image["id"]} already taken by '
                                     f'{seen_ids[image["id"]]}')
        except DF2FormatError as err:
            if on_error == 'raise':
                raise
            problems.append(str(err))
            continue
        seen_ids[image['id']] = anno_path.name
        images.append(image)
        annotations.extend(anns)

    coco = dict(
        info=dict(description='DeepFashion2 converted to COCO by ps_net (official layout)'),
        licenses=[],
        images=images,
        annotations=annotations,
        categories=df2_coco_categories(),
    )
    return coco, problems


def write_coco_json(coco: Dict[str, Any], path: PathLike, force: bool = False) -> None:
    """Write a COCO dict to ``path`` atomically (temporary file in the same folder, then rename).

    Args:
        coco (dict): The COCO dict.
        path (str | PathLike): The output file; its folder must exist.
        force (bool): Replace an existing file. Defaults to False.

    Raises:
        FileExistsError: If ``path`` exists and ``force`` is False (the file is left as is).
    """
    atomic_write(path, json.dumps(coco, separators=(',', ':')) + '\n', overwrite=force)
