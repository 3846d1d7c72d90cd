"""Top-K counts of a ranking: relevant items retrieved, Recall@K and HitRate@K."""
from typing import Optional, Sequence

import numpy as np


def retrieved_at_k(ranks: np.ndarray, topk: Sequence[int]) -> np.ndarray:
    """How many of the relevant items rank in the top K, for each K.

    Args:
        ranks (np.ndarray): 1-based ranks of the relevant items (any order; may be empty).
        topk (Sequence[int]): The K values.

    Returns:
        np.ndarray: int64 ``[len(topk)]``, ``|{i: r_i <= K}|`` per K.

    Examples:
        >>> retrieved_at_k(np.array([1, 3, 4]), (1, 2, 5)).tolist()
        [1, 1, 3]
    """
    ranks = np.asarray(ranks, dtype=np.int64)
    ks = np.asarray(topk, dtype=np.int64)
    return (ranks[None, :] <= ks[:, None]).sum(axis=1)


def recall_at_k(ranks: np.ndarray, topk: Sequence[int],
                num_positives: Optional[int] = None) -> np.ndarray:
    """Recall@K of one query: the share of its positives ranked in the top K.

    Args:
        ranks (np.ndarray): 1-based ranks of the query's positives, at least one.
        topk (Sequence[int]): The K values.
        num_positives (int, optional): The query's positives when some have no rank (never
            found: a gallery image that could not be read, docs/bad_inputs.md); ``ranks`` may
            then be empty. None: ``len(ranks)``.

    Returns:
        np.ndarray: float64 ``[len(topk)]`` fractions.

    Raises:
        ValueError: When there is no positive (a query without positives is skipped, not
            scored).

    Examples:
        >>> recall_at_k(np.array([1, 3]), (1, 3)).tolist()
        [0.5, 1.0]
        >>> recall_at_k(np.array([1]), (1, 3), num_positives=2).tolist()
        [0.5, 0.5]
    """
    ranks, n = _positives(ranks, num_positives, 'recall_at_k')
    return retrieved_at_k(ranks, topk) / n


def hit_rate_at_k(ranks: np.ndarray, topk: Sequence[int],
                  num_positives: Optional[int] = None) -> np.ndarray:
    """HitRate@K of one query: 1 when at least one positive ranks in the top K, else 0.

    This is mmpretrain's ``RetrievalRecall`` (what many fashion papers call top-K accuracy).

    Args:
        ranks (np.ndarray): 1-based ranks of the query's positives, at least one.
        topk (Sequence[int]): The K values.
        num_positives (int, optional): As in :func:`recall_at_k`: ``ranks`` may be empty when
            it is given (no positive found: 0 at every K).

    Returns:
        np.ndarray: float64 ``[len(topk)]`` of 0 and 1.

    Raises:
        ValueError: When there is no positive (a query without positives is skipped, not
            scored).

    Examples:
        >>> hit_rate_at_k(np.array([3, 7]), (1, 3)).tolist()
        [0.0, 1.0]
    """
    ranks, _ = _positives(ranks, num_positives, 'hit_rate_at_k')
    if ranks.size == 0:
        return np.zeros(len(topk), dtype=np.float64)
    return (ranks.min() <= np.asarray(topk, dtype=np.int64)).astype(np.float64)


def _positives(ranks: np.ndarray, num_positives: Optional[int], name: str):
    """``ranks`` as int64 and the number of positives, checked."""
    ranks = np.asarray(ranks, dtype=np.int64)
    n = ranks.size if num_positives is None else int(num_positives)
    if n == 0:
        raise ValueError(f'{name} needs the rank of at least one positive, got none (a query '
                         f'without positives is skipped and counted, not scored)')
    if n < ranks.size:
        raise ValueError(f'{name}: num_positives={n} is below the {ranks.size} ranks given')
    return ranks, n


__all__ = ['retrieved_at_k', 'recall_at_k', 'hit_rate_at_k']
