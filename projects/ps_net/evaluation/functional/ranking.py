"""The ranking of a retrieval query: its checked ground truth, the tie rule, and the ranks of
its positives."""
from typing import Any, Optional, Sequence, Tuple

import numpy as np

#: Up to this many targets, ranks are found by direct comparison (O(G) per target) instead of a
#: full sort (O(G log G)); both follow the same tie rule.
_DIRECT_RANK_MAX = 32


def gallery_positions(value: Any, num_gallery: int, name: str) -> np.ndarray:
    """Gallery positions as sorted unique int64, each in ``[0, num_gallery)``.

    Args:
        value (array-like): A 1-D sequence of int positions (None or empty: none).
        num_gallery (int): The gallery size.
        name (str): What ``value`` is, for the error message.

    Returns:
        np.ndarray: Sorted unique int64 positions.

    Raises:
        ValueError: On non-int values, a position out of range or a repeated position.
    """
    array = np.asarray(value if value is not None else [])
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in 'iu' or array.ndim != 1:
        raise ValueError(f'{name} must be a 1-D sequence of int gallery positions, got '
                         f'{value!r}')
    array = array.astype(np.int64)
    bad = array[(array < 0) | (array >= num_gallery)]
    if bad.size:
        raise ValueError(f'{name} must hold gallery positions in [0, {num_gallery}), got '
                         f'{bad.tolist()}')
    unique = np.unique(array)
    if unique.size != array.size:
        raise ValueError(f'{name} must not repeat a position, got {array.tolist()}')
    return unique


def check_ground_truth(positives: Any, ignored: Any, num_gallery: int,
                       names: Tuple[str, str] = ('positives', 'ignored')
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """One query's positive and ignored gallery positions, checked and disjoint.

    Args:
        positives (array-like): Int gallery positions of the query's positives.
        ignored (array-like): Int gallery positions taken out of its ranking.
        num_gallery (int): The gallery size.
        names (tuple[str, str]): What the two are, for the error messages.

    Returns:
        tuple[np.ndarray, np.ndarray]: Both as sorted unique int64 positions.

    Raises:
        ValueError: As :func:`gallery_positions`, or when a position is in both.

    Examples:
        >>> [a.tolist() for a in check_ground_truth([3, 1], [0], num_gallery=4)]
        [[1, 3], [0]]
    """
    positives = gallery_positions(positives, num_gallery, names[0])
    ignored = gallery_positions(ignored, num_gallery, names[1])
    both = np.intersect1d(positives, ignored)
    if both.size:
        raise ValueError(f'gallery positions {both.tolist()} are both positive ({names[0]}) '
                         f'and ignored ({names[1]})')
    return positives, ignored


def tie_ranks(order_key: np.ndarray, targets: np.ndarray,
              keep: Optional[np.ndarray] = None) -> np.ndarray:
    """1-based ranks of ``targets`` in the ranking of the kept gallery entries.

    The ranking sorts the kept entries by ascending ``order_key`` (pass ``-scores`` for
    similarities, distances as they are) with a stable sort, so that entries with equal keys
    keep the order of their gallery index. Equivalently, the rank of target ``t`` is one plus the
    number of kept entries ``j`` with ``key[j] < key[t]``, or ``key[j] == key[t]`` and ``j < t``.

    Args:
        order_key (np.ndarray): ``[G]`` float keys, smaller ranks first, no NaN.
        targets (np.ndarray): Sorted unique int gallery positions, all kept.
        keep (np.ndarray, optional): ``[G]`` bool mask of the entries left in the ranking
            (``False`` for ignored entries). None keeps every entry.

    Returns:
        np.ndarray: Sorted int64 ranks (1 = first), one per target.

    Examples:
        >>> tie_ranks(-np.array([0.5, 0.9, 0.5, 0.1]), np.array([0, 2])).tolist()
        [2, 3]
        >>> keep = np.array([True, False, True, True])  # entry 1 ignored: it no longer ranks
        >>> tie_ranks(-np.array([0.5, 0.9, 0.5, 0.1]), np.array([0, 2]), keep).tolist()
        [1, 2]
    """
    targets = np.asarray(targets, dtype=np.int64)
    if targets.size == 0:
        return np.zeros(0, dtype=np.int64)
    kept = np.arange(order_key.size) if keep is None else np.flatnonzero(keep)
    key = order_key[kept]
    if targets.size <= _DIRECT_RANK_MAX:
        target_key = order_key[targets][:, None]
        before = (key[None, :] < target_key) | ((key[None, :] == target_key) &
                                                (kept[None, :] < targets[:, None]))
        ranks = before.sum(axis=1) + 1
    else:
        order = np.argsort(key, kind='stable')  # ``kept`` ascends: ties keep gallery order
        rank_of = np.empty(kept.size, dtype=np.int64)
        rank_of[order] = np.arange(1, kept.size + 1)
        ranks = rank_of[np.searchsorted(kept, targets)]
    return np.sort(ranks.astype(np.int64))


def positive_ranks(scores: np.ndarray, positives: Sequence[int],
                   ignored: Sequence[int] = (), missing: Sequence[int] = ()) -> np.ndarray:
    """Ranks of a query's positives: ignored and missing entries removed, then descending
    score.

    The ignored entries leave the ranking before it is made, so they neither count as a hit
    nor push a positive down; ties follow :func:`tie_ranks` (lower gallery index first).
    *Missing* entries (gallery images that could not be read, docs/bad_inputs.md) leave the
    ranking too, and a missing positive gets no rank: it is a positive never found, which the
    caller still counts among the query's positives.

    Args:
        scores (np.ndarray): ``[G]`` similarities of the query to the gallery (higher first).
        positives (Sequence[int]): Sorted unique gallery positions of the positives.
        ignored (Sequence[int]): Gallery positions taken out of the ranking (none of them a
            positive).
        missing (Sequence[int]): Gallery positions that never rank (may include positives).

    Returns:
        np.ndarray: Sorted int64 ranks (1 = first), one per positive that is not missing.

    Examples:
        >>> positive_ranks(np.array([0.9, 0.8, 0.7, 0.6]), [1, 3], ignored=[0]).tolist()
        [1, 3]
        >>> positive_ranks(np.array([0.9, 0.8, 0.7, 0.6]), [1, 3], missing=[0, 1]).tolist()
        [2]
    """
    keep = np.ones(scores.size, dtype=bool)
    keep[np.asarray(ignored, dtype=np.int64)] = False
    missing = np.asarray(missing, dtype=np.int64)
    keep[missing] = False
    found = np.setdiff1d(np.asarray(positives, dtype=np.int64), missing)
    return tie_ranks(-scores, found, keep)


__all__ = ['gallery_positions', 'check_ground_truth', 'tie_ranks', 'positive_ranks']
