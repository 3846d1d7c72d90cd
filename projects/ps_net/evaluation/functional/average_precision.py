"""Average precision of one query from the ranks of its relevant items."""
from typing import Optional

import numpy as np


def average_precision(ranks: np.ndarray, k: Optional[int] = None,
                      num_relevant: Optional[int] = None) -> float:
    """``AP = (1 / n) * sum_{i=1}^{n} i / r_i``: the precision at each relevant item, averaged.

    ``r_1 < ... < r_n`` are the ranks of the relevant items counted: all of them (``k`` None,
    the full ranking: the ``IR`` mode of mmpretrain's ``RetrievalAveragePrecision`` when every
    relevant item is retrieved), or those in the top ``k`` (``AP@K``, normalised by the ``n``
    relevant items *retrieved*, as the "mAP@K" of hashing papers; it does not divide by all the
    relevant items of the gallery). 0 when no relevant item is counted.

    Args:
        ranks (np.ndarray): Sorted 1-based ranks of the relevant items (may be empty).
        k (int, optional): Count only the ranks ``<= k``. None counts every rank.
        num_relevant (int, optional): With ``k`` None, the number ``n`` of relevant items,
            when some were never retrieved (they add nothing to the sum; a gallery image that
            could not be read, docs/bad_inputs.md). None: ``len(ranks)``.

    Returns:
        float: AP as a fraction in ``[0, 1]``.

    Examples:
        >>> average_precision(np.array([2, 4]))  # (1/2 + 2/4) / 2
        0.5
        >>> average_precision(np.array([1, 3, 4]), k=3)  # (1/1 + 2/3) / 2
        0.8333333333333333
        >>> average_precision(np.array([5]), k=3)
        0.0
        >>> average_precision(np.array([2]), num_relevant=2)  # one of 2 never retrieved
        0.25
    """
    ranks = np.asarray(ranks, dtype=np.int64)
    n = ranks.size if k is None else int(np.searchsorted(ranks, k, side='right'))
    if num_relevant is not None:
        if k is not None or num_relevant < ranks.size:
            raise ValueError(f'num_relevant needs k=None and >= the {ranks.size} ranks, got '
                             f'num_relevant={num_relevant} and k={k}')
        if num_relevant == 0:
            return 0.0
        return float(np.sum(np.arange(1, n + 1) / ranks[:n]) / num_relevant)
    if n == 0:
        return 0.0
    return float(np.mean(np.arange(1, n + 1) / ranks[:n]))


__all__ = ['average_precision']
