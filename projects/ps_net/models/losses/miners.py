"""Triplet miners: which images of a batch form (anchor, positive, negative) triplets.

One module serves every model that trains or fits on triplets:

* :func:`design_triplets`: identical triplets (same design, another design), the negative drawn
  at random or batch-hard (Hermans et al. 2017) from a distance matrix; PS-Net's eq. 2-3
  pre-train, the PCB baseline and the triplet ResNets of the CBAM paper;
* :func:`copy_region_triplets`: the kept / changed region triplets of plagiarized copies, a
  pre-train extension that makes region features local (below);
* :func:`plagiarism_triplets`: eq. 4-6's triplets (an original, a plagiarized copy of it,
  another design of the same category), for region-weight fitting.

Copy triplets. The Plagiarized Fashion format labels which regions a copy modified
(``modified_regions``), so a batch holding references (``original`` / ``identical``) and
plagiarized copies of the same designs gives two kinds of region triplets, each summed over its
own regions as in eq. 2:

* kept:    ``(I, C, I-)`` on the regions the copy ``C`` left unchanged: there ``C`` is a
  positive of its original (the triplet of eq. 4, restricted to the regions it holds for);
* changed: ``(I, I+, C)`` on the regions ``C`` modified: there the copy is a negative, and a
  re-shot ``I+`` of the same design is the positive.

This is an extension of the paper, off unless ``PSNetRegionHead``'s ``copy_loss_weight > 0``;
DeepFashion2 has no copies, so its pre-train cannot use it.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

#: Relations that are references of their design (identical positives of each other).
REFERENCE_RELATIONS = ('original', 'identical')

Triplets = Tuple[List[int], List[int], List[int]]


def _pick(pool: np.ndarray, generator: torch.Generator) -> int:
    """A uniformly random element of ``pool``, drawn from ``generator``."""
    return int(pool[torch.randint(len(pool), (1, ), generator=generator)])


def design_triplets(design_ids: Sequence[int], generator: torch.Generator,
                    eligible: Optional[Sequence[bool]] = None,
                    distances: Optional[Tensor] = None) -> Triplets:
    """Anchor, positive (same design), negative (another design) per anchor, among the
    ``eligible`` images (all by default; the references when a batch also holds
    plagiarized copies, which are no identical positives).

    The positive is random; the negative is random, or with ``distances`` (an ``(N, N)``
    matrix) the closest eligible image of another design (batch-hard mining).

    Example:
        >>> ids, g = [7, 7, 8, 8, 9, 9], torch.Generator().manual_seed(0)
        >>> d = torch.full((6, 6), 2.0)
        >>> d[0, 5] = 0.5  # image 5 (design 9) is image 0's closest other design
        >>> a, p, n = design_triplets(ids, g, distances=d)
        >>> a, p, n[0]
        ([0, 1, 2, 3, 4, 5], [1, 0, 3, 2, 5, 4], 5)
    """
    ids = np.asarray(design_ids)
    ok = np.ones(len(ids), bool) if eligible is None else np.asarray(eligible, bool)
    if distances is not None and tuple(distances.shape) != (len(ids), len(ids)):
        raise ValueError(f'distances must have shape ({len(ids)}, {len(ids)}), got '
                         f'{tuple(distances.shape)}')
    a, p, n = [], [], []
    for i, d in enumerate(ids):
        if not ok[i]:
            continue
        pos = np.nonzero((ids == d) & (np.arange(len(ids)) != i) & ok)[0]
        neg = np.nonzero((ids != d) & ok)[0]
        if len(pos) and len(neg):
            a.append(i)
            p.append(_pick(pos, generator))
            if distances is None:
                n.append(_pick(neg, generator))
            else:
                n.append(int(neg[int(distances[i, torch.as_tensor(neg)].argmin())]))
    return a, p, n


def plagiarism_triplets(design_ids: Sequence[int], relations: Sequence[str],
                        categories: Sequence[int]) -> Triplets:
    """Every triplet of eq. 4-6 in a set of images: ``I`` an ``original``, ``I+`` a
    ``plagiarized`` copy of its design, ``I-`` any image of another design and the same
    category as ``I``.

    Example:
        >>> ids, rel = [1, 1, 2, 3], ['original', 'plagiarized', 'original', 'original']
        >>> plagiarism_triplets(ids, rel, categories=[0, 0, 0, 1])
        ([0], [1], [2])
    """
    ids = np.asarray(design_ids)
    rel = np.asarray(relations, dtype=object)
    cat = np.asarray(categories)
    if not len(ids) == len(rel) == len(cat):
        raise ValueError(f'design_ids, relations and categories must have one entry per '
                         f'image, got lengths {len(ids)}, {len(rel)} and {len(cat)}')
    a, p, n = [], [], []
    for i in np.nonzero(rel == 'original')[0]:
        pos = np.nonzero((ids == ids[i]) & (rel == 'plagiarized'))[0]
        neg = np.nonzero((ids != ids[i]) & (cat == cat[i]))[0]
        for j in pos:
            for k in neg:
                a.append(int(i)), p.append(int(j)), n.append(int(k))
    return a, p, n


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

    is_ref = np.isin(rel, REFERENCE_RELATIONS)
    a, p, n, masks = [], [], [], []
    for c in np.nonzero(rel == 'plagiarized')[0]:
        refs = np.nonzero(is_ref & (ids == ids[c]))[0]
        others = np.nonzero(is_ref & (ids != ids[c]))[0]
        if not len(refs):
            continue
        i = _pick(refs, generator)
        if len(others) and (~modified[c]).any():
            a.append(i), p.append(int(c)), n.append(_pick(others, generator))
            masks.append(~modified[c])
        same = refs[refs != i]
        if len(same) and modified[c].any():
            a.append(i), p.append(_pick(same, generator)), n.append(int(c))
            masks.append(modified[c].copy())
    regions = np.stack(masks) if masks else np.zeros((0, modified.shape[1]), bool)
    return a, p, n, regions


__all__ = ['REFERENCE_RELATIONS', 'copy_region_triplets', 'design_triplets', 'plagiarism_triplets']
