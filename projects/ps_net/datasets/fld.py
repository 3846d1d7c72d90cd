"""DeepFashion Fashion Landmark Detection (FLD) in mmpose's COCO-style JSON.

Loading, metainfo (keypoint names, flip pairs) and the pipeline come from mmpose's
``DeepFashionDataset`` (``mmpose.datasets``; ``subset='full'`` is the 8-landmark layout:
left/right collar, sleeve, waistline and hem). This module only adds a strict check of a file
before use, with errors that name the file and the annotation.
"""
import json
import math
import os
from typing import Any, Dict, Union

#: Landmarks per FLD instance in the full-body layout (mmpose ``subset='full'``).
FLD_NUM_KEYPOINTS = 8


class FLDFormatError(ValueError):
    """An FLD COCO-style file breaks the format; the message names the file and annotation."""


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def load_fld_coco(path: Union[str, os.PathLike]) -> Dict[str, Any]:
    """Read an FLD COCO-style file and check every annotation.

    Each annotation needs ``keypoints`` of ``3 * 8 = 24`` finite numbers with visibilities
    0, 1 or 2, a ``bbox`` of 4 finite numbers and an ``image_id`` of a listed image.

    Args:
        path (str | PathLike): The JSON file.

    Returns:
        dict: The file's content, unchanged.

    Raises:
        FLDFormatError: On invalid JSON, missing ``images``/``annotations`` or the first bad
            annotation (``<file>: annotations[<i>] (id <id>).<field>: <detail>``).
    """
    source = os.fspath(path)
    try:
        with open(source, encoding='utf-8') as f:
            data = json.load(f)
    except json.JSONDecodeError as err:
        raise FLDFormatError(f'{source}: invalid JSON: {err}') from None
    if not isinstance(data, dict):
        raise FLDFormatError(f'{source}: expected a JSON object, got {type(data).__name__}')
    for key in ('images', 'annotations'):
        if not isinstance(data.get(key), list):
            raise FLDFormatError(f'{source}: {key}: expected a list')
    image_ids = {img.get('id') for img in data['images'] if isinstance(img, dict)}
    n = 3 * FLD_NUM_KEYPOINTS
    for i, ann in enumerate(data['annotations']):
        where = f'{source}: annotations[{i}]'
        if not isinstance(ann, dict):
            raise FLDFormatError(f'{where}: expected an object, got {type(ann).__name__}')
        where += f' (id {ann.get("id")})'
        kpts = ann.get('keypoints')
        if not isinstance(kpts, list) or len(kpts) != n:
            got = len(kpts) if isinstance(kpts, list) else repr(kpts)
            raise FLDFormatError(f'{where}.keypoints: expected 3*{FLD_NUM_KEYPOINTS}={n} '
                                 f'numbers, got {got}')
        for j, value in enumerate(kpts):
            if not _is_number(value):
                raise FLDFormatError(f'{where}.keypoints: value {j} is not a finite number: '
                                     f'{value!r}')
            if j % 3 == 2 and value not in (0, 1, 2):
                raise FLDFormatError(f'{where}.keypoints: visibility of landmark '
                                     f'{j // 3 + 1} must be 0, 1 or 2, got {value!r}')
        bbox = ann.get('bbox')
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(map(_is_number, bbox))):
            raise FLDFormatError(f'{where}.bbox: expected [x, y, w, h], got {bbox!r}')
        if ann.get('image_id') not in image_ids:
            raise FLDFormatError(f'{where}.image_id: {ann.get("image_id")!r} is not the id of '
                                 f'any image')
    return data
