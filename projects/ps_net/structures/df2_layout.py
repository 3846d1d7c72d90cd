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
from typing import List, Tuple

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


#: Landmarks per side of a DeepFashion2 upper-body or dress category: (sleeve outer, sleeve
#: inner, body side). Sleeve outer/inner end at the cuff and the armpit; sleeveless
#: categories have a (shoulder, armpit) pair instead of a sleeve.
DF2_CHAIN_COUNTS = {
    1: (2, 2, 2), 2: (4, 4, 2), 3: (2, 2, 2), 4: (4, 4, 2), 5: (0, 0, 1), 6: (0, 0, 1),
    10: (2, 2, 4), 11: (4, 4, 4), 12: (0, 0, 3), 13: (0, 0, 3),
}


#: Lower-body categories (shorts, trousers, skirt): 3 waist points, then the outline.
DF2_LOWER_BODY = (7, 8, 9)


def df2_chain_length(category_id: int) -> int:
    """Landmarks of one side chain (shoulder ... hem corner) of an upper-body or dress category.

    Example:
        >>> df2_chain_length(1), df2_chain_length(2), df2_chain_length(5)
        (9, 13, 4)
    """
    n_o, n_i, n_s = DF2_CHAIN_COUNTS[category_id]
    sleeve = 2 + n_o + n_i if n_o else 2
    return sleeve + n_s + 1


def df2_side_chains(category_id: int) -> Tuple[List[int], List[int]]:
    """Local indices of the two side chains of an upper-body or dress category, each from the
    shoulder to the hem corner: ``(image_left, image_right)`` (the wearer's right, then left).

    Example:
        >>> il, ir = df2_side_chains(1)  # short-sleeved top: 9 points per chain
        >>> il[0], il[-1], ir[0], ir[-1]
        (6, 14, 24, 16)
    """
    if category_id not in DF2_CHAIN_COUNTS:
        raise ValueError(f'category_id must be an upper-body or dress DeepFashion2 category '
                         f'{sorted(DF2_CHAIN_COUNTS)}, got {category_id!r}')
    n = DF2_NUM_KEYPOINTS[category_id]
    per = df2_chain_length(category_id)
    il = list(range(6, 6 + per))
    if category_id in (3, 4):  # outwear: the image-right chain follows the hem opening
        ir = list(range(6 + 2 * per, 6 + per, -1))
    else:  # the hem centre between the chains, the image-right one reversed up to the end
        ir = list(range(n - 1, n - 1 - per, -1))
    return il, ir


def df2_local_flip_indices(category_id: int) -> List[int]:
    """Left-right flip pairs of one DeepFashion2 category, as local 0-based indices.

    The order of each category's keypoints (one chain per side, the right one reversed; the
    outwear opening after the chains) is described in
    :mod:`ps_net.datasets.synthetic.garments`; this is its mirror map.

    Example:
        >>> df2_local_flip_indices(5)
        [0, 5, 4, 3, 2, 1, 14, 13, 12, 11, 10, 9, 8, 7, 6]
    """
    if category_id not in DF2_NUM_KEYPOINTS:
        raise ValueError(f'DeepFashion2 category_id must be 1-13, got {category_id!r}')
    n = DF2_NUM_KEYPOINTS[category_id]
    if category_id in DF2_LOWER_BODY:  # waist 1-3 (centre 2), then one outline, ends mirrored
        return [2, 1, 0] + [n + 2 - k for k in range(3, n)]
    per = df2_chain_length(category_id)
    flip = list(range(n))

    def pair(a: int, b: int) -> None:
        flip[a], flip[b] = b, a

    if category_id == 3:  # 1 NB, 2 NS, 3 lapel, 4 top, 5 lapel, 6 top, chains, 26 NS, opening
        pair(1, 25), pair(2, 4), pair(3, 5)
        ir_last, hem_op = 6 + 2 * per, (6 + per, 28)
        pair(26, 29), pair(27, 30)
    elif category_id == 4:  # 1 NB, 2 NS, 3 lapel, 4 top, 5 lapel, 6 NS, chains, 34 top, opening
        pair(1, 5), pair(2, 4), pair(3, 33)
        ir_last, hem_op = 6 + 2 * per, (6 + per, 36)
        pair(34, 37), pair(35, 38)
    else:  # 1 NB, 2 NS, 3-5 front neckline, 6 NS, chain, hem centre, chain reversed
        pair(1, 5), pair(2, 4)
        ir_last, hem_op = n - 1, None
    for k in range(per):
        pair(6 + k, ir_last - k)
    if hem_op:
        pair(*hem_op)
    return flip


def df2_flip_indices() -> List[int]:
    """Flip indices of the whole 294-slot layout.

    This agrees with mmpose's DeepFashion2 metainfo except where mmpose's table is one-sided:
    vest keypoint 13 (slot 140) swaps with vest keypoint 9 (slot 136) here, and maps to itself
    there (a flip-test or flip augmentation with mmpose's table mislabels it; see the tests).
    """
    flip = list(range(DF2_NUM_SLOTS))
    for cid in DF2_NUM_KEYPOINTS:
        start, _ = df2_slot_range(cid)
        for k, j in enumerate(df2_local_flip_indices(cid)):
            flip[start + k] = start + j
    return flip
