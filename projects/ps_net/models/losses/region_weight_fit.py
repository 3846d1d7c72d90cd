"""Region-weight fitting of PS-Net's fine-tune phase on per-region distances of triplets.

PS-Net (Lang et al., CVPR 2020, section 3.2) learns the per-category region weights
``lambda`` (``[C, R]``, rows >= ``floor`` summing to 1) by coordinate ascent
(:func:`~ps_net.models.losses.plagiarism.coordinate_ascent_step`) on the plagiarism loss
(:func:`~ps_net.models.losses.plagiarism.plagiarism_loss`), with a step size that drops on an
epoch schedule, while the network stays frozen. Nothing here touches a network: everything works
on the per-region distances of triplets (``I`` an original, ``I+`` a plagiarized copy of it,
``I-`` another design of ``I``'s category), so ``PSNetRegionWeightHook`` (the triplets of each
training batch) and ``tools/fit_region_weights.py`` (the triplets of a labelled split, features
extracted once) run the same code:

* :func:`plagiarism_triplet_distances`: the triplets of a set of images and their distances;
* :func:`region_weight_cycle`: one coordinate-ascent cycle on one batch of triplets;
* :func:`check_steps` / :func:`step_at`: the step schedule;
* :func:`fit_region_weights`: the schedule over epochs and batches of cached triplets;
* :func:`region_weight_table`: the json-ready table of a weight matrix.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from .miners import plagiarism_triplets
from .plagiarism import Move, coordinate_ascent_step, plagiarism_loss
from .region_triplet import region_distances

#: The paper's step schedule: ``Delta lambda`` 0.1, 0.05 after 40 epochs, 0.01 after 60.
DEFAULT_STEPS = ((0, 0.1), (40, 0.05), (60, 0.01))

Steps = Tuple[Tuple[int, float], ...]
Triplets = Tuple[Tensor, Tensor, Tensor, Tensor]


def check_steps(steps) -> Steps:
    """``steps`` as a tuple of ``(start, step)`` pairs: starts ints from 0, strictly increasing;
    steps in (0, 1). Raises ``ValueError`` naming the bad entry.

    Example:
        >>> check_steps([[0, 0.1], [2, 0.05]])
        ((0, 0.1), (2, 0.05))
    """
    try:
        pairs = tuple((s, v) for s, v in steps)
    except (TypeError, ValueError):
        raise ValueError(f'steps must be a sequence of (start, step) pairs, got {steps!r}') \
            from None
    if not pairs or pairs[0][0] != 0:
        raise ValueError(f'steps must be non-empty and start at 0, got {steps!r}')
    for i, (start, step) in enumerate(pairs):
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise ValueError(f'steps[{i}] start must be an int >= 0, got {start!r} in {steps!r}')
        if i and start <= pairs[i - 1][0]:
            raise ValueError(f'steps starts must increase strictly, got {steps!r}')
        if not isinstance(step, (int, float)) or not 0 < step < 1:
            raise ValueError(f'steps[{i}] step must be in (0, 1), got {step!r} in {steps!r}')
    return tuple((int(s), float(v)) for s, v in pairs)


def step_at(steps: Steps, progress: int) -> float:
    """The step size at 0-based epoch (or iteration) ``progress``: the last pair of ``steps``
    whose start is <= ``progress``.

    Example:
        >>> [step_at(DEFAULT_STEPS, e) for e in (0, 39, 40, 59, 60, 79)]
        [0.1, 0.1, 0.05, 0.05, 0.01, 0.01]
    """
    step = steps[0][1]
    for start, value in steps:
        if progress >= start:
            step = value
    return step


def check_fit_settings(floor: float, margin: float, eps: float, num_regions: int) -> None:
    """Raise ``ValueError`` unless ``0 <= floor``, ``floor * num_regions <= 1``, and ``margin``
    and ``eps`` are finite numbers >= 0."""
    if not isinstance(floor, (int, float)) or not 0 <= floor < 1:
        raise ValueError(f'floor must be a number in [0, 1), got {floor!r}')
    if not isinstance(margin, (int, float)) or not 0 <= margin < math.inf:
        raise ValueError(f'margin must be a finite number >= 0, got {margin!r}')
    if not isinstance(eps, (int, float)) or not 0 <= eps < math.inf:
        raise ValueError(f'eps must be a finite number >= 0, got {eps!r}')
    if floor * num_regions > 1:
        raise ValueError(f'floor * R must be <= 1, got floor={floor!r} with {num_regions} '
                         f'regions')


def check_weight_rows(weights: Tensor, floor: float,
                      categories: Optional[Sequence[str]] = None) -> None:
    """Raise ``ValueError`` unless every row of the ``[C, R]`` ``weights`` is finite, >=
    ``floor`` and sums to 1 (tolerance 1e-4; the message names the row's category)."""
    for c, row in enumerate(weights.detach().cpu().double()):
        if not torch.isfinite(row).all() or abs(float(row.sum()) - 1) > 1e-4 or \
                float(row.min()) < floor - 1e-6:
            name = f' ({categories[c]!r})' if categories is not None else ''
            raise ValueError(f'region_weights row {c}{name} must be >= floor {floor} and sum '
                             f'to 1, got {row.tolist()!r}')


def as_triplets(d_ap, d_an, category_index, valid=None, num_categories: Optional[int] = None,
                num_regions: Optional[int] = None) -> Triplets:
    """Check a batch of triplet distances and return it as CPU tensors.

    Args:
        d_ap: ``(T, R)`` distances ``D_r(I, I+)``.
        d_an: ``(T, R)`` distances ``D_r(I, I-)``.
        category_index: ``(T,)`` row of each triplet's category, in ``[0, num_categories)``.
        valid: None (every region present) or ``(T, R)``: region present on I, I+ and I-.
        num_categories: C, for the range check (None: not checked).
        num_regions: R (None: taken from ``d_ap``).

    Returns:
        ``(category_index, d_ap, d_an, valid)``: long, float64, float64 and bool tensors.
    """
    d_ap = torch.as_tensor(d_ap).detach().to('cpu', torch.float64)
    d_an = torch.as_tensor(d_an).detach().to('cpu', torch.float64)
    idx = torch.as_tensor(category_index).detach().to('cpu', torch.long).reshape(-1)
    t = idx.numel()
    if num_regions is None:
        num_regions = d_ap.shape[-1] if d_ap.dim() == 2 else 0
    valid = torch.ones(t, num_regions, dtype=torch.bool) if valid is None else \
        torch.as_tensor(valid).detach().to('cpu') != 0
    for key, value in (('d_ap', d_ap), ('d_an', d_an), ('valid', valid)):
        if tuple(value.shape) != (t, num_regions):
            raise ValueError(f'{key!r} must have shape (T, R) = ({t}, {num_regions}), got '
                             f'{tuple(value.shape)!r}')
    if t and (int(idx.min()) < 0 or
              (num_categories is not None and int(idx.max()) >= num_categories)):
        raise ValueError(f"'category_index' must lie in [0, {num_categories}), got "
                         f'{idx.tolist()!r}')
    return idx, d_ap, d_an, valid


@torch.no_grad()
def plagiarism_triplet_distances(feats: Tensor, valid: Tensor, categories: Sequence[int],
                                 design_ids: Sequence[int], relations: Sequence[str],
                                 negatives: Optional[int] = None,
                                 generator: Optional[torch.Generator] = None,
                                 chunk: int = 65536) -> Dict[str, Tensor]:
    """Every eq. 4-6 triplet of a set of images (:func:`~.miners.plagiarism_triplets`), or
    ``negatives`` of them per (original, copy) pair, and their per-region distances ``D_r``
    (:func:`~.region_triplet.region_distances`).

    Args:
        feats: ``(N, R, D)`` region features of the images.
        valid: ``(N, R)`` bool, region present on the image.
        categories: category index of each image (row of the region weights).
        design_ids, relations: design and relation (``original``, ``plagiarized``, ...) of each
            image.
        negatives: keep at most this many triplets (negatives ``I-``) per pair ``(I, I+)``,
            drawn with ``generator`` and kept in their order (None: all).
        generator: the random stream of that draw.
        chunk: triplets whose ``(chunk, R, D)`` differences are formed at once (memory only;
            the values do not depend on it).

    Returns:
        ``category_index`` ``(T,)`` long, ``d_ap`` / ``d_an`` ``(T, R)`` (dtype of ``feats``)
        and ``valid`` ``(T, R)`` bool (region present on I, I+ and I-), on CPU, triplets in
        the order of :func:`~.miners.plagiarism_triplets`.

    Example:
        >>> import torch
        >>> f = torch.tensor([[[0., 1.]], [[0., 0.]], [[3., 1.]]])
        >>> out = plagiarism_triplet_distances(f, torch.ones(3, 1, dtype=torch.bool), [0, 0, 0],
        ...                                    [1, 1, 2], ['original', 'plagiarized', 'original'])
        >>> out['d_ap'].tolist(), out['d_an'].tolist()
        ([[1.0]], [[3.0]])
    """
    if chunk < 1:
        raise ValueError(f'chunk must be >= 1, got {chunk!r}')
    if negatives is not None and (isinstance(negatives, bool) or not isinstance(negatives, int)
                                  or negatives < 1):
        raise ValueError(f'negatives must be an int >= 1 or None, got {negatives!r}')
    cats = torch.as_tensor(categories).reshape(-1).long()
    a, p, n = (torch.as_tensor(x, dtype=torch.long)
               for x in plagiarism_triplets(design_ids, relations, cats.cpu().numpy()))
    if negatives is not None and len(a):
        pair = a * len(cats) + p  # the miner lists each pair's triplets consecutively
        starts = torch.cat([torch.zeros(1, dtype=torch.long),
                            torch.nonzero(pair[1:] != pair[:-1]).reshape(-1) + 1,
                            torch.tensor([len(a)])])
        keep = torch.cat([s + torch.randperm(int(e - s), generator=generator)[:negatives].sort()
                          .values for s, e in zip(starts[:-1], starts[1:])])
        a, p, n = a[keep], p[keep], n[keep]
    if not len(a):
        empty = feats.new_zeros((0, feats.shape[1])).cpu()
        return dict(category_index=torch.zeros(0, dtype=torch.long), d_ap=empty,
                    d_an=empty.clone(), valid=empty.bool())
    d_ap, d_an = [], []
    for s in range(0, len(a), chunk):
        ca, cp, cn = a[s:s + chunk], p[s:s + chunk], n[s:s + chunk]
        d_ap.append(region_distances(feats[ca], feats[cp]).cpu())
        d_an.append(region_distances(feats[ca], feats[cn]).cpu())
    return dict(category_index=cats[a].cpu(), d_ap=torch.cat(d_ap), d_an=torch.cat(d_an),
                valid=(valid[a] & valid[p] & valid[n]).cpu())


def region_weight_cycle(weights: Tensor, d_ap, d_an, category_index, valid=None,
                        step: float = 0.1, floor: float = 0.05, margin: float = 0.2,
                        eps: float = 1e-8) -> Tuple[Tensor, Dict[int, List[Move]]]:
    """One coordinate-ascent cycle per category on one batch of triplets (section 3.2).

    For each category ``c`` present in ``category_index``, in ascending order, one
    :func:`~.plagiarism.coordinate_ascent_step` on row ``c`` with the loss
    ``L_pla`` (:func:`~.plagiarism.plagiarism_loss`) of the batch's triplets of category ``c``
    (in their order), computed in float64 on CPU. Rows of absent categories and rows without an
    accepted move come back unchanged. Pure: ``weights`` is not modified.

    Args:
        weights: ``[C, R]`` current weights. Each row is read in float64 and the new rows are
            stored in the dtype of ``weights`` (float32 for a model's buffer), so that chaining
            cycles gives what a model's buffer holds cycle after cycle.
        d_ap, d_an, category_index, valid: the batch's triplets (see :func:`as_triplets`).
        step: ``Delta lambda``, in (0, 1).
        floor: lower bound of every weight. Defaults to 0.05.
        margin: ``m`` of eq. 4. Defaults to 0.2.
        eps: of eq. 5. Defaults to 1e-8.

    Returns:
        ``(new_weights, moves)``: a new ``[C, R]`` CPU tensor of the dtype of ``weights`` and
        ``{c: accepted moves}`` for the categories present.

    Example:
        >>> import torch
        >>> d_ap = torch.tensor([[0.1, 0.1, 0.1, 0.9, 0.1]])  # the copy differs on the chest
        >>> w, moves = region_weight_cycle(torch.full((2, 5), 0.2), d_ap, torch.full((1, 5), 0.4),
        ...                                torch.tensor([1]))
        >>> bool(w[1, 3] < 0.2), torch.equal(w[0], torch.full((5,), 0.2)), list(moves)
        (True, True, [1])
    """
    if not isinstance(weights, Tensor) or weights.dim() != 2:
        raise ValueError(f'weights must be a [C, R] tensor, got '
                         f'{tuple(weights.shape) if isinstance(weights, Tensor) else weights!r}')
    idx, d_ap, d_an, valid = as_triplets(d_ap, d_an, category_index, valid, weights.shape[0],
                                         weights.shape[1])
    new = weights.detach().to('cpu').clone()
    moves: Dict[int, List[Move]] = {}
    for c in torch.unique(idx).tolist():
        sel = idx == c
        a, n, v = d_ap[sel], d_an[sel], valid[sel]

        def loss_fn(w: Tensor, a=a, n=n, v=v) -> float:
            return float(plagiarism_loss(a, n, w, margin, v, eps))

        row, moves[c] = coordinate_ascent_step(loss_fn, new[c].to(torch.float64), step, floor)
        if moves[c]:
            new[c] = row.to(new.dtype)
    return new, moves


def fit_region_weights(d_ap, d_an, category_index, valid=None, *,
                       weights: Optional[Tensor] = None, num_categories: Optional[int] = None,
                       epochs: int = 80, batch: Optional[int] = None,
                       steps: Sequence[Tuple[int, float]] = DEFAULT_STEPS, floor: float = 0.05,
                       margin: float = 0.2, eps: float = 1e-8,
                       generator: Optional[torch.Generator] = None) -> Tensor:
    """The region weights after ``epochs`` of coordinate ascent on cached triplet distances.

    Batching: an epoch visits all ``T`` triplets once, in their given order (or in a fresh
    ``torch.randperm(T, generator=generator)`` order per epoch when ``generator`` is given),
    cut into consecutive batches of ``batch`` triplets (the last one may be smaller; None: one
    batch of all ``T``). Each batch is one :func:`region_weight_cycle` (one cycle per category
    present in it, on that category's triplets of the batch) with the step
    ``step_at(steps, epoch)`` of the 0-based epoch. ``PSNetRegionWeightHook`` does the same
    with one batch per training iteration (the triplets of that iteration's images), so both
    give the same weights on the same batches in the same order. Small batches leave rows
    inside the simplex by batch-to-batch noise; large ones drive each row to the vertex
    where its best region holds ``1 - (R - 1) * floor`` (L_pla is linear in a row).

    Args:
        d_ap, d_an, category_index, valid: the ``T`` triplets (see :func:`as_triplets`).
        weights: ``[C, R]`` start (e.g. a checkpoint's ``region_weights``); the result keeps
            its dtype. None: uniform ``1 / R`` rows in float32 (a fresh retriever's buffer),
            ``num_categories`` rows.
        num_categories: C when ``weights`` is None.
        epochs: passes over the triplets, >= 0. Defaults to 80 (the paper's).
        batch: triplets per cycle, >= 1, or None (all). Defaults to None.
        steps: ``((start_epoch, step), ...)``. Defaults to the paper's :data:`DEFAULT_STEPS`.
        floor: lower bound of every weight. Defaults to 0.05.
        margin: ``m`` of eq. 4. Defaults to 0.2.
        eps: of eq. 5. Defaults to 1e-8.
        generator: shuffles the triplets each epoch (None: fixed order).

    Returns:
        The new ``[C, R]`` weights (CPU; ``weights`` is not modified).

    Example:
        >>> import torch
        >>> d_ap = torch.tensor([[0.1, 0.1, 0.1, 0.9, 0.1]]).repeat(4, 1)
        >>> w = fit_region_weights(d_ap, torch.full((4, 5), 0.4), torch.tensor([0, 0, 1, 1]),
        ...                        num_categories=2, epochs=3, batch=2)
        >>> round(float(w[0, 3]), 3), round(float(w[0].sum()), 6), torch.equal(w[0], w[1])
        (0.05, 1.0, True)
    """
    steps = check_steps(steps)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f'epochs must be an int >= 0, got {epochs!r}')
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or
                              batch < 1):
        raise ValueError(f'batch must be an int >= 1 or None, got {batch!r}')
    if weights is None:
        if isinstance(num_categories, bool) or not isinstance(num_categories, int) or \
                num_categories < 1:
            raise ValueError(f'num_categories must be an int >= 1 when weights is None, got '
                             f'{num_categories!r}')
        r = torch.as_tensor(d_ap).shape[-1]
        weights = torch.full((num_categories, r), 1.0 / r, dtype=torch.float32)
    if not isinstance(weights, Tensor) or weights.dim() != 2:
        raise ValueError(f'weights must be a [C, R] tensor, got {weights!r}')
    check_fit_settings(floor, margin, eps, weights.shape[1])
    check_weight_rows(weights, floor)
    idx, d_ap, d_an, valid = as_triplets(d_ap, d_an, category_index, valid, weights.shape[0],
                                         weights.shape[1])
    t = idx.numel()
    size = t if batch is None else batch
    w = weights.detach().to('cpu').clone()
    for epoch in range(epochs if t else 0):
        order = torch.arange(t) if generator is None else torch.randperm(t, generator=generator)
        step = step_at(steps, epoch)
        for s in range(0, t, size):
            b = order[s:s + size]
            w, _ = region_weight_cycle(w, d_ap[b], d_an[b], idx[b], valid[b], step, floor,
                                       margin, eps)
    return w


def region_weight_table(weights: Tensor, categories: Sequence[str], regions: Sequence[str],
                        **extra) -> dict:
    """The json-ready table of ``[C, R]`` ``weights``: ``regions``, ``categories``,
    ``weights`` ``{category: {region: weight}}``, then the ``extra`` entries.

    Example:
        >>> import torch
        >>> table = region_weight_table(torch.tensor([[0.25, 0.75]]), ['dress'],
        ...                             ['collar', 'chest'], floor=0.05)
        >>> table['weights'], table['floor']
        ({'dress': {'collar': 0.25, 'chest': 0.75}}, 0.05)
    """
    rows = weights.detach().cpu().tolist()
    if len(rows) != len(categories) or any(len(row) != len(regions) for row in rows):
        raise ValueError(f'weights of shape {tuple(weights.shape)!r} do not match '
                         f'{len(categories)} categories x {len(regions)} regions')
    return dict(regions=list(regions), categories=list(categories),
                weights={cat: dict(zip(regions, row)) for cat, row in zip(categories, rows)},
                **extra)
