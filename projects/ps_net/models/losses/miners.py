"""Region triplets from plagiarized copies: the pre-train option that makes region features local.

PS-Net's pre-train (section 3.2, eq. 2-3) only sees identical positives,

    (2)  L_tri(I, I+, I-) = sum_{r=1..R} max(D_r(I, I+) - D_r(I, I-) + m, 0),

so nothing asks a region feature ``f_r`` to describe *its* region: every region can encode the
whole design and still lower eq. 2. The region weights of eq. 4-6 then have no local signal to
exploit (measured on the synthetic set: an original and its plagiarized copy are as far apart on
the unmodified regions as on the modified ones).

The Plagiarized Fashion format labels which regions a copy modified (``modified_regions``), so
a batch holding references (``original`` / ``identical``) and plagiarized copies of the same
designs gives two kinds of region triplets, each summed over its own regions as in eq. 2:

* kept:    ``(I, C, I-)`` on the regions the copy ``C`` left unchanged: there ``C`` is a
  positive of its original (the triplet of eq. 4, restricted to the regions it holds for);
* changed: ``(I, I+, C)`` on the regions ``C`` modified: there the copy is a negative, and a
  re-shot ``I+`` of the same design is the positive.

This is an extension of the paper (off unless ``PSNetRetriever(copy_loss_weight > 0)``); the
CPU synthetic configs turn it on, the DeepFashion2 pre-train cannot (DeepFashion2 has no copies).
"""
from typing import List, Sequence, Tuple

import numpy as np
import torch

REFERENCE_RELATIONS = ('original', 'identical')


def copy_region_triplets(design_ids: Sequence[int], relations: Sequence[str],
                         modified: np.ndarray, generator: torch.Generator
                         ) -> Tuple[List[int], List[int], List[int], np.ndarray]:
    """Kept and changed region triplets of the plagiarized copies in a batch.

    For every ``plagiarized`` image ``c`` whose design has a reference ``i`` (relation
    ``original`` or ``identical``) in the batch, ``i`` drawn at random:

    * kept: ``(i, c, n)`` with ``n`` a random reference of another design, counted on the
      regions ``c`` did not modify;
    * changed: ``(i, p, c)`` with ``p`` another reference of ``c``'s design, counted on the
      regions ``c`` modified (skipped when the design has a single reference in the batch).

    Args:
        design_ids: design of each image, length ``B``.
        relations: relation of each image (``original``, ``identical``, ``plagiarized``, ...).
        modified: ``(B, R)`` bool, the regions each image modified (False rows for references).
        generator: the random stream of the draws.

    Returns:
        ``(anchor, positive, negative, regions)``: index lists of the ``T`` triplets and their
        ``(T, R)`` bool mask of counted regions (pass it to ``region_triplet_loss`` as a valid
        mask, together with the images' own region masks).

    Raises:
        ValueError: when the lengths or the mask's shape disagree.

    Example:
        >>> import numpy as np, torch
        >>> ids, rel = [7, 7, 7, 9, 9], ['original', 'identical', 'plagiarized', 'original',
        ...                                'identical']
        >>> mod = np.zeros((5, 5), bool); mod[2, 3] = True   # the copy changed the chest
        >>> a, p, n, m = copy_region_triplets(ids, rel, mod, torch.Generator().manual_seed(0))
        >>> [(x, y, z) for x, y, z in zip(a, p, n)][0][1], m.astype(int).tolist()[0]
        (2, [1, 1, 1, 0, 1])
        >>> m.astype(int).tolist()[1]     # the changed triplet: the copy is the negative
        [0, 0, 0, 1, 0]
    """
    ids = np.asarray(design_ids)
    rel = np.asarray(relations, dtype=object)
    modified = np.asarray(modified, dtype=bool)
    if not len(ids) == len(rel) == len(modified) or modified.ndim != 2:
        raise ValueError(f'design_ids, relations and modified must describe the same B images '
                         f'(modified of shape (B, R)), got lengths {len(ids)}, {len(rel)} and '
                         f'shape {modified.shape!r}')

    def pick(pool: np.ndarray) -> int:
        return int(pool[torch.randint(len(pool), (1, ), generator=generator)])

    is_ref = np.isin(rel, REFERENCE_RELATIONS)
    a, p, n, masks = [], [], [], []
    for c in np.nonzero(rel == 'plagiarized')[0]:
        refs = np.nonzero(is_ref & (ids == ids[c]))[0]
        others = np.nonzero(is_ref & (ids != ids[c]))[0]
        if not len(refs):
            continue
        i = pick(refs)
        if len(others) and (~modified[c]).any():
            a.append(i), p.append(int(c)), n.append(pick(others))
            masks.append(~modified[c])
        same = refs[refs != i]
        if len(same) and modified[c].any():
            a.append(i), p.append(pick(same)), n.append(int(c))
            masks.append(modified[c].copy())
    regions = np.stack(masks) if masks else np.zeros((0, modified.shape[1]), bool)
    return a, p, n, regions


__all__ = ['REFERENCE_RELATIONS', 'copy_region_triplets']
