"""How local the region features are: distances of an original to its copies, region by region.

PS-Net's region weights (eq. 1, learned by eq. 4-6) can only help when a plagiarized copy's
modified regions are far from the original's while its unmodified regions stay close. This
module measures that on a labelled data set (Plagiarized Fashion format: ``relation`` and
``modified_regions`` per image): the mean L2 distance ``D_r(I, J) = ||f_r(I) - f_r(J)||_2`` (the
distance of eq. 2) between each original ``I`` and every image ``J`` of its design group, split
by what ``J`` is:

* ``modified`` / ``unmodified``: the regions a plagiarized copy changed / kept;
* ``identical``: a re-shot of the original (every region);
* ``irrelevant``: a hard negative of the design (every region).

Only regions present on both images count. Local features give ``unmodified`` close to
``identical`` and ``modified`` close to ``irrelevant``; ``locality`` is
``(modified - unmodified) / (irrelevant - identical)`` (1: fully local, 0: no region signal).
"""
from typing import Dict, Sequence

import numpy as np

GROUPS = ('modified', 'unmodified', 'identical', 'irrelevant')


def region_locality(feats: np.ndarray, valid: np.ndarray, design_ids: Sequence[int],
                    relations: Sequence[str], modified: np.ndarray) -> Dict[str, object]:
    """Mean original-to-image region distances by group, overall and per region.

    Args:
        feats: ``(N, R, D)`` region features.
        valid: ``(N, R)`` bool, regions present.
        design_ids: design of each image.
        relations: ``original`` / ``identical`` / ``plagiarized`` / ``irrelevant`` per image.
        modified: ``(N, R)`` bool, the regions each plagiarized image modified.

    Returns:
        ``{group: mean distance}`` for :data:`GROUPS` (NaN when a group is empty),
        ``counts`` ``{group: number of region pairs}``, ``per_region`` ``{group: [R means]}``
        and ``locality``.

    Raises:
        ValueError: on inconsistent shapes.

    Example:
        >>> import numpy as np
        >>> e = np.eye(4)[:, None, :].repeat(2, 1)       # 4 images, 2 regions, 4-d one-hots
        >>> e[2, 0] = e[0, 0]                            # the copy kept region 0
        >>> out = region_locality(e, np.ones((4, 2), bool), [1, 1, 1, 1],
        ...                       ['original', 'identical', 'plagiarized', 'irrelevant'],
        ...                       np.array([[0, 0], [0, 0], [0, 1], [0, 0]], bool))
        >>> round(out['unmodified'], 3), round(out['modified'], 3), out['counts']['identical']
        (0.0, 1.414, 2)
    """
    feats, valid, modified = np.asarray(feats), np.asarray(valid, bool), np.asarray(modified, bool)
    ids, rel = np.asarray(design_ids), np.asarray(relations, dtype=object)
    n = len(feats)
    if feats.ndim != 3 or valid.shape != feats.shape[:2] or modified.shape != valid.shape \
            or len(ids) != n or len(rel) != n:
        raise ValueError(f'expected feats (N, R, D), valid and modified (N, R), N design ids '
                         f'and relations; got shapes {feats.shape!r}, {valid.shape!r}, '
                         f'{modified.shape!r} and lengths {len(ids)}, {len(rel)}')
    r = feats.shape[1]
    dist = {g: [[] for _ in range(r)] for g in GROUPS}
    for o in np.nonzero(rel == 'original')[0]:
        for j in np.nonzero((ids == ids[o]) & (np.arange(n) != o))[0]:
            d = np.linalg.norm(feats[o] - feats[j], axis=-1)
            for k in np.nonzero(valid[o] & valid[j])[0]:
                if rel[j] == 'plagiarized':
                    group = 'modified' if modified[j, k] else 'unmodified'
                elif rel[j] in ('identical', 'irrelevant'):
                    group = rel[j]
                else:
                    continue
                dist[group][k].append(float(d[k]))

    def mean(values):
        return float(np.mean(values)) if len(values) else float('nan')

    out: Dict[str, object] = {g: mean(sum(dist[g], [])) for g in GROUPS}
    out['counts'] = {g: sum(len(v) for v in dist[g]) for g in GROUPS}
    out['per_region'] = {g: [mean(v) for v in dist[g]] for g in GROUPS}
    span = out['irrelevant'] - out['identical']
    out['locality'] = float((out['modified'] - out['unmodified']) / span) if span else float('nan')
    return out


__all__ = ['GROUPS', 'region_locality']
