"""The DeepFashion FLD landmarks (8 points) read off a DeepFashion2 category's landmarks.

FLD (Liu et al., ECCV 2016; mmpose's ``deepfashion_full`` order) labels, by the wearer's side
(the wearer's left is on the image right of a front view): left / right collar, sleeve end,
waistline and hem. A DeepFashion2 upper-body or dress category (:mod:`.df2_layout`: two side
chains ``shoulder, sleeve outer..., cuff outer, cuff inner, sleeve inner..., armpit, side...,
hem corner``) carries each of them:

===========  ===================================================================================
FLD point    DeepFashion2 landmark(s)
===========  ===================================================================================
collar       the neck side (local 1 on the image left; local 5, or 25 for short-sleeved outwear,
             on the image right)
sleeve end   the middle of cuff outer and cuff inner (absent on sleeveless categories)
waistline    the first side point below the armpit (dresses only: FLD's upper-body layout has
             no waistline)
hem          the chain's hem corner
===========  ===================================================================================
"""
from typing import Tuple

import numpy as np

from .categories import DF2_SLEEVELESS, DF2_TO_PSNET
from .df2_layout import DF2_CHAIN_COUNTS, DF2_NUM_KEYPOINTS, df2_side_chains

#: mmpose's ``deepfashion_full`` keypoint order.
FLD_KEYPOINTS = ('left_collar', 'right_collar', 'left_sleeve', 'right_sleeve', 'left_waistline',
                 'right_waistline', 'left_hem', 'right_hem')


def df2_to_fld(category_id: int, keypoints: np.ndarray,
               scores: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 8 FLD points of one garment from its DeepFashion2 landmarks.

    Args:
        category_id: DeepFashion2 category id (upper-body or dress: 1-6, 10-13).
        keypoints: ``(K, 2)`` the category's landmarks in its local order.
        scores: ``(K,)`` their confidences; a sleeve end takes the lower of its two points'.

    Returns:
        ``(points (8, 2), scores (8,), present (8,) bool)`` in :data:`FLD_KEYPOINTS` order;
        absent points (no sleeves, no waistline) are zeros with score 0.

    Raises:
        ValueError: for a lower-body category or keypoints of the wrong shape.

    Example:
        >>> k = np.arange(50.).reshape(25, 2)  # short-sleeved top
        >>> pts, _, present = df2_to_fld(1, k, np.ones(25))
        >>> pts[1].tolist(), pts[3].tolist(), present.tolist()
        ([2.0, 3.0], [17.0, 18.0], [True, True, True, True, False, False, True, True])
    """
    if category_id not in DF2_CHAIN_COUNTS:
        raise ValueError(f'category_id must be an upper-body or dress DeepFashion2 category '
                         f'{sorted(DF2_CHAIN_COUNTS)}, got {category_id!r}')
    n = DF2_NUM_KEYPOINTS[category_id]
    kpts = np.asarray(keypoints, np.float64)
    conf = np.asarray(scores, np.float64)
    if kpts.shape != (n, 2) or conf.shape != (n, ):
        raise ValueError(f'category {category_id} has {n} landmarks: expected keypoints ({n}, 2) '
                         f'and scores ({n},), got {kpts.shape} and {conf.shape}')
    n_o = DF2_CHAIN_COUNTS[category_id][0]
    il, ir = df2_side_chains(category_id)
    collar = {'left': 25 if category_id == 3 else 5, 'right': 1}
    chains = {'left': ir, 'right': il}
    points = np.zeros((8, 2))
    out_scores = np.zeros(8)
    present = np.zeros(8, bool)

    def put(slot: int, idx) -> None:
        points[slot] = kpts[list(idx)].mean(axis=0)
        out_scores[slot] = conf[list(idx)].min()
        present[slot] = True

    for k, side in enumerate(('left', 'right')):
        chain = chains[side]
        put(0 + k, [collar[side]])
        if category_id not in DF2_SLEEVELESS:
            put(2 + k, [chain[n_o], chain[n_o + 1]])
        if DF2_TO_PSNET[category_id] == 'dress':
            armpit = 1 if category_id in DF2_SLEEVELESS else 2 + n_o + DF2_CHAIN_COUNTS[
                category_id][1] - 1
            put(4 + k, [chain[armpit + 1]])
        put(6 + k, [chain[-1]])
    return points, out_scores, present
