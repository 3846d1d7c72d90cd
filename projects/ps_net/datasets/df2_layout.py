"""The DeepFashion2 294-slot keypoint layout.

All 13 categories share one 294-long keypoint vector; each category owns a contiguous block
of slots and every slot outside the garment's block is absent (v = 0):

1 short sleeve top 0-24, 2 long sleeve top 25-57, 3 short sleeve outwear 58-88,
4 long sleeve outwear 89-127, 5 vest 128-142, 6 sling 143-157, 7 shorts 158-167,
8 trousers 168-181, 9 skirt 182-189, 10 short sleeve dress 190-218,
11 long sleeve dress 219-255, 12 vest dress 256-274, 13 sling dress 275-293.

Flip pairs come from mmpose's DeepFashion2 metainfo (``configs/_base_/datasets/deepfashion2.py``),
which ships with mmpose; this module only knows the slot blocks.
"""
from typing import Tuple

#: Number of keypoints of each DeepFashion2 category id.
DF2_NUM_KEYPOINTS = {
    1: 25, 2: 33, 3: 31, 4: 39, 5: 15, 6: 15, 7: 10,
    8: 14, 9: 8, 10: 29, 11: 37, 12: 19, 13: 19,
}

#: Total number of slots in the shared layout.
DF2_NUM_SLOTS = sum(DF2_NUM_KEYPOINTS.values())  # 294

#: First slot of each category's block.
DF2_SLOT_OFFSET = {}
_offset = 0
for _cid in sorted(DF2_NUM_KEYPOINTS):
    DF2_SLOT_OFFSET[_cid] = _offset
    _offset += DF2_NUM_KEYPOINTS[_cid]
del _offset, _cid


def df2_slot_range(category_id: int) -> Tuple[int, int]:
    """Return the half-open slot range ``[start, stop)`` of a DeepFashion2 category.

    Args:
        category_id: DeepFashion2 category id, 1-13.

    Raises:
        ValueError: if ``category_id`` is not 1-13.

    Example:
        >>> df2_slot_range(1), df2_slot_range(13)
        ((0, 25), (275, 294))
    """
    if category_id not in DF2_NUM_KEYPOINTS:
        raise ValueError(f'DeepFashion2 category_id must be 1-13, got {category_id!r}')
    start = DF2_SLOT_OFFSET[category_id]
    return start, start + DF2_NUM_KEYPOINTS[category_id]
