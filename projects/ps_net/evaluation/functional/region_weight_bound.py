"""How much region weights *can* help: the best per-category weights of eq. 1 on a labelled split.

PS-Net ranks a gallery by eq. 1 (:func:`~ps_net.structures.region_similarity`) with the region
weights of the query's category. A query's ranking depends only on its own category's weights,
so the overall mAP (the mean of the queries' average precisions) is maximised category by
category: for each category this module scores every weight vector of a grid on that
category's queries and keeps the best. Tuned on the split it is reported on, the result is an
*upper bound* (an oracle), not a method: it tells whether a better weight-learning procedure
could close a gap, or whether the region features themselves limit the ranking.

:func:`rank_confusers` says what limits it: for each query, the gallery entries ranked above
its lowest-ranked positive, counted by whether they belong to the query's design and by their
Plagiarized Fashion relation. Region weights can push a copy above its own design's hard
negative (``same-design irrelevant``); confusion with other designs needs better features.
"""
import itertools
from collections import Counter
from typing import Dict, Optional, Sequence

import numpy as np
import torch

from ...structures import region_similarity
from .average_precision import average_precision
from .ranking import check_ground_truth, positive_ranks


def weight_grid(levels: Sequence[float] = (0.05, 0.2, 0.4, 0.8),
                num_regions: int = 5) -> np.ndarray:
    """Every weight vector with one of ``levels`` per region, normalised to sum 1, deduplicated.

    Args:
        levels: positive raw levels per region.
        num_regions: R.

    Returns:
        ``(M, R)`` rows summing to 1, the uniform vector first, the rest in sorted order.

    Raises:
        ValueError: for a non-positive level or ``num_regions < 1``.

    Example:
        >>> g = weight_grid((1, 2), 2)
        >>> g.round(3).tolist()
        [[0.5, 0.5], [0.333, 0.667], [0.667, 0.333]]
    """
    if num_regions < 1:
        raise ValueError(f'num_regions must be >= 1, got {num_regions!r}')
    levels = [float(v) for v in levels]
    if not levels or min(levels) <= 0:
        raise ValueError(f'levels must be positive numbers, got {levels!r}')
    rows = {tuple(np.round(np.asarray(w) / sum(w), 9))
            for w in itertools.product(levels, repeat=num_regions)}
    uniform = tuple(np.round(np.full(num_regions, 1 / num_regions), 9))
    rows.add(uniform)
    return np.asarray([uniform] + sorted(rows - {uniform}), dtype=np.float64)


def _check(q_feats, q_valid, q_category, g_feats, g_valid, positives, ignored) -> None:
    if q_feats.dim() != 3 or g_feats.dim() != 3 or q_feats.shape[1:] != g_feats.shape[1:]:
        raise ValueError(f'region features must be (Q, R, D) and (G, R, D) with the same R and '
                         f'D, got {tuple(q_feats.shape)} and {tuple(g_feats.shape)}')
    if q_valid.shape != q_feats.shape[:2] or g_valid.shape != g_feats.shape[:2]:
        raise ValueError(f'q_valid / g_valid must be (Q, R) / (G, R), got '
                         f'{tuple(q_valid.shape)} and {tuple(g_valid.shape)}')
    n = q_feats.shape[0]
    for name, value in (('q_category', q_category), ('positives', positives),
                        ('ignored', ignored)):
        if len(value) != n:
            raise ValueError(f'{name} must have one item per query ({n}), got {len(value)}')


def region_weight_bound(q_feats, q_valid, q_category: Sequence[int], g_feats, g_valid,
                        positives: Sequence, ignored: Sequence, num_categories: int,
                        grid: Optional[np.ndarray] = None,
                        start: Optional[np.ndarray] = None) -> Dict[str, object]:
    """The best eq. 1 weights of each category over ``grid``, and the mAP they reach.

    Args:
        q_feats: ``(Q, R, D)`` L2-normalised region features of the queries.
        q_valid: ``(Q, R)`` bool.
        q_category: the region-weight row of each query's category (``0 .. C-1``).
        g_feats: ``(G, R, D)``; g_valid: ``(G, R)`` bool.
        positives / ignored: per query, gallery positions (checked by
            :func:`~ps_net.evaluation.functional.check_ground_truth`).
        num_categories: C, the rows of the weight table.
        grid: ``(M, R)`` candidate weight vectors (default :func:`weight_grid`).
        start: ``(C, R)`` weights reported as ``start`` (e.g. a checkpoint's learned ones;
            default uniform); each category's row is a candidate too, so ``mAP`` is never
            below ``start_mAP`` (nor, as the grid holds the uniform vector, ``uniform_mAP``).

    Returns:
        ``weights`` ``(C, R)`` best per category (``start``'s row where a category has no
        evaluated query), ``mAP`` with them, ``start_mAP`` and ``uniform_mAP`` (percent, the
        full-ranking mAP of ``PSNetPlagiarismMetric``), and ``per_category``
        ``{row: {num_queries, uniform, start, best}}`` (mAP percent of that category's queries).

    Raises:
        ValueError: on inconsistent shapes, bad gallery positions, a category outside
            ``[0, C)`` or a bad grid.

    Example:
        Two queries of category 0 and their copies (gallery 1 and 2); each copy changed
        region 0 completely. Gallery entry 0, another design, matches query 0 on region 0 and
        partly on region 1, so uniform weights rank it above query 0's copy; the best weights
        drop region 0 to the grid's smallest share.

        >>> e = torch.eye(4)
        >>> q = torch.stack([torch.stack([e[0], e[1]]), torch.stack([e[2], e[3]])])
        >>> g = torch.stack([torch.stack([e[0], 0.6 * e[1] + 0.8 * e[2]]),
        ...                  torch.stack([e[3], e[1]]), torch.stack([e[1], e[3]])])
        >>> ok = lambda n: torch.ones(n, 2, dtype=torch.bool)
        >>> out = region_weight_bound(q, ok(2), [0, 0], g, ok(3), [[1], [2]], [[], []], 1,
        ...                           grid=weight_grid((1, 4), 2))
        >>> out['uniform_mAP'], out['mAP'], out['weights'].round(2).tolist()
        (75.0, 100.0, [[0.2, 0.8]])
    """
    q_feats, g_feats = torch.as_tensor(q_feats).float(), torch.as_tensor(g_feats).float()
    q_valid, g_valid = torch.as_tensor(q_valid).bool(), torch.as_tensor(g_valid).bool()
    _check(q_feats, q_valid, q_category, g_feats, g_valid, positives, ignored)
    truth = [check_ground_truth(p, i, g_feats.shape[0], (f'positives[{q}]', f'ignored[{q}]'))
             for q, (p, i) in enumerate(zip(positives, ignored))]
    r = q_feats.shape[1]
    cats = np.asarray(q_category, dtype=np.int64)
    if cats.size and (cats.min() < 0 or cats.max() >= num_categories):
        raise ValueError(f'q_category must lie in [0, {num_categories}), got values '
                         f'{sorted(set(cats.tolist()))!r}')
    grid = weight_grid(num_regions=r) if grid is None else np.asarray(grid, dtype=np.float64)
    if grid.ndim != 2 or grid.shape[1] != r or (grid <= 0).any():
        raise ValueError(f'grid must be (M, {r}) positive weights, got shape {grid.shape!r}')
    uniform = np.full((num_categories, r), 1.0 / r)
    start = uniform if start is None else np.asarray(start, dtype=np.float64)
    if start.shape != (num_categories, r):
        raise ValueError(f'start must be ({num_categories}, {r}), got {start.shape!r}')

    def category_map(idx: np.ndarray, weights: np.ndarray) -> float:
        """mAP of the queries ``idx`` ranked with the ``(len(idx), R)`` weights."""
        sim = region_similarity(q_feats[idx], q_valid[idx], g_feats, g_valid,
                                torch.as_tensor(weights).float()).numpy().astype(np.float64)
        aps = [average_precision(positive_ranks(row, *truth[i])) for row, i in zip(sim, idx)]
        return float(np.mean(aps) * 100)

    has_pos = np.asarray([p.size > 0 for p, _ in truth], bool)
    best = start.copy()
    per_category: Dict[int, dict] = {}
    for c in range(num_categories):
        idx = np.nonzero((cats == c) & has_pos)[0]
        if not idx.size:
            continue
        # start's row joins the candidates, so the bound is never below it
        candidates = np.concatenate([grid, start[c][None]])
        scores = [category_map(idx, np.repeat(w[None], idx.size, 0)) for w in candidates]
        best[c] = candidates[int(np.argmax(scores))]  # the first best: uniform wins a tie
        per_category[c] = dict(
            num_queries=int(idx.size), best=float(max(scores)), start=scores[-1],
            uniform=category_map(idx, np.repeat(uniform[c][None], idx.size, 0)))

    def overall(table: np.ndarray) -> float:
        idx = np.nonzero(has_pos)[0]
        return category_map(idx, table[cats[idx]]) if idx.size else float('nan')

    return dict(weights=best, mAP=overall(best), start_mAP=overall(start),
                uniform_mAP=overall(uniform), per_category=per_category)


def rank_confusers(scores, positives: Sequence, ignored: Sequence,
                   query_design_ids: Sequence[int], gallery_design_ids: Sequence[int],
                   gallery_relations: Sequence[str]) -> Counter:
    """What outranks each query's lowest-ranked positive (ignored entries left out).

    Args:
        scores: ``(Q, G)`` similarities, higher first.
        positives / ignored: per query, gallery positions.
        query_design_ids: ``(Q,)``; gallery_design_ids / gallery_relations: ``(G,)``.

    Returns:
        Counter of ``'same-design <relation>'`` / ``'other <relation>'`` over all queries with
        a positive (an entry tied with the lowest positive does not count).

    Example:
        >>> s = np.array([[0.9, 0.5, 0.7, 0.6]])
        >>> dict(rank_confusers(s, [[1]], [[0]], [3], [3, 3, 3, 8],
        ...                     ['identical', 'plagiarized', 'irrelevant', 'original']))
        {'same-design irrelevant': 1, 'other original': 1}
    """
    scores = np.asarray(scores, dtype=np.float64)
    q_ids, g_ids = np.asarray(query_design_ids), np.asarray(gallery_design_ids)
    rels = np.asarray(gallery_relations, dtype=object)
    if scores.shape != (len(q_ids), len(g_ids)) or len(rels) != len(g_ids):
        raise ValueError(f'scores must be (Q, G) = ({len(q_ids)}, {len(g_ids)}) with G '
                         f'relations, got {scores.shape!r} and {len(rels)} relations')
    out: Counter = Counter()
    for q, pos in enumerate(positives):
        pos = np.asarray(pos, dtype=np.int64)
        if not pos.size:
            continue
        above = scores[q] > scores[q, pos].min()
        above[pos] = False
        above[np.asarray(ignored[q], dtype=np.int64)] = False
        for j in np.nonzero(above)[0]:
            side = 'same-design' if g_ids[j] == q_ids[q] else 'other'
            out[f'{side} {rels[j]}'] += 1
    return out


__all__ = ['weight_grid', 'region_weight_bound', 'rank_confusers']
