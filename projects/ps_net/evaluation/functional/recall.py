"""Top-K counts of a ranking: relevant items retrieved, Recall@K and HitRate@K."""
from typing import Sequence

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


def recall_at_k(ranks: np.ndarray, topk: Sequence[int]) -> np.ndarray:
    """Recall@K of one query: the share of its positives ranked in the top K.

    Args:
        ranks (np.ndarray): 1-based ranks of the query's positives, at least one.
        topk (Sequence[int]): The K values.

    Returns:
        np.ndarray: float64 ``[len(topk)]`` fractions.

    Raises:
        ValueError: When ``ranks`` is empty (a query without positives is skipped, not scored).

    Examples:
        >>> recall_at_k(np.array([1, 3]), (1, 3)).tolist()
        [0.5, 1.0]
    """
    ranks = _nonempty(ranks, 'recall_at_k')
    return retrieved_at_k(ranks, topk) / ranks.size


def hit_rate_at_k(ranks: np.ndarray, topk: Sequence[int]) -> np.ndarray:
    """HitRate@K of one query: 1 when at least one positive ranks in the top K, else 0.

    This is mmpretrain's ``RetrievalRecall`` (what many fashion papers call top-K accuracy).

    Args:
        ranks (np.ndarray): 1-based ranks of the query's positives, at least one.
        topk (Sequence[int]): The K values.

    Returns:
        np.ndarray: float64 ``[len(topk)]`` of 0 and 1.

    Raises:
        ValueError: When ``ranks`` is empty (a query without positives is skipped, not scored).

    Examples:
        >>> hit_rate_at_k(np.array([3, 7]), (1, 3)).tolist()
        [0.0, 1.0]
    """
    ranks = _nonempty(ranks, 'hit_rate_at_k')
    return (ranks.min() <= np.asarray(topk, dtype=np.int64)).astype(np.float64)


def _nonempty(ranks: np.ndarray, name: str) -> np.ndarray:
    ranks = np.asarray(ranks, dtype=np.int64)
    if ranks.size == 0:
        raise ValueError(f'{name} needs the rank of at least one positive, got none (a query '
                         f'without positives is skipped and counted, not scored)')
    return ranks


__all__ = ['retrieved_at_k', 'recall_at_k', 'hit_rate_at_k']
