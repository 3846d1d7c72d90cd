"""Plagiarism loss and region-weight coordinate ascent of the PS-Net fine-tune phase.

PS-Net (Lang et al., CVPR 2020, section 3.2, "Fine-tune Phase") learns one weight per region
and garment category, ``lambda`` of shape ``[categories, R]`` (R = 5; each row sums to 1), by
coordinate ascent on the plagiarism loss ``L_pla`` (eq. 6, :func:`plagiarism_loss`) of the
region-weighted triplet loss ``L'_tri`` (eq. 4, :func:`weighted_triplet`) and the triplet weight
``alpha_tri`` (eq. 5, :func:`alpha_tri`), where ``I`` is an original design, ``I+`` a
plagiarised copy and ``I-`` another design of the same category. L_pla only moves ``lambda``;
it is decoupled from the network's parameter update.

Everything here works on precomputed ``(T, R)`` distance tensors ``d_ap = D_r(I, I+)`` and
``d_an = D_r(I, I-)``, so candidate weights are evaluated without touching the network.

Missing regions (``valid`` False: the region is absent on ``I``, ``I+`` or ``I-``) are
dropped from that triplet, and its remaining weights are renormalised so that they keep the
row's total: for a triplet with validity ``v_r`` in {0, 1},

    lambda~_r = v_r * lambda_r * (sum_s lambda_s) / (sum_s v_s * lambda_s)

(for rows summing to 1, simply ``lambda_r / sum_{s valid} lambda_s`` over the valid regions).
With every region valid this is eq. 4 unchanged; a triplet without any valid region (or whose
valid regions all weigh 0) contributes 0. Eq. 5 averages and maximises over the valid regions
only.

Coordinate ascent (:func:`coordinate_ascent_step`): for each region r in turn, add ``+step``
to its weight, clip at ``floor`` and renormalise the row to sum 1 (:func:`normalise_weights`);
keep the candidate only if L_pla strictly decreases on the same triplets, else try ``-step``
the same way, else keep the current weights. An increase (or a tie) is never accepted.

What the optimum looks like. With every region valid, eq. 6 is linear in lambda:
``L_pla = sum_r lambda_r H_r`` with ``H_r = sum_n alpha_n max(D_r(I, I+) - D_r(I, I-) + m, 0)``
(eq. 4 applies the hinge per region, before the weights). Its minimum over rows that sum to 1
with every weight >= ``floor`` is a vertex: the floor for every region but the one with the
smallest ``H_r``, which gets ``1 - (R - 1) * floor``. Coordinate ascent on one fixed set of
triplets heads there, so rows inside the simplex (like the paper's) are what the
batch-to-batch noise of small batches and a finite schedule leave (tested in ``tests/test_models/test_losses.py``; the README shows a
large-batch run collapsing onto one region).
"""
import math
from typing import Callable, List, NamedTuple, Optional, Sequence, Union

import torch
from torch import Tensor

from .region_triplet import _check_margin
from .triplet_hinge import triplet_hinge

Number = Union[int, float]


def _check_distances(d_ap: Tensor, d_an: Optional[Tensor] = None) -> None:
    if not isinstance(d_ap, Tensor) or d_ap.dim() != 2:
        raise ValueError(f'd_ap must be a (T, R) tensor, got '
                         f'{tuple(d_ap.shape) if isinstance(d_ap, Tensor) else type(d_ap)!r}')
    if d_an is not None:
        if not isinstance(d_an, Tensor) or tuple(d_an.shape) != tuple(d_ap.shape):
            got = tuple(d_an.shape) if isinstance(d_an, Tensor) else type(d_an)
            raise ValueError(f'd_an must be a tensor of the shape of d_ap {tuple(d_ap.shape)}, '
                             f'got {got!r}')


def _check_valid(valid: Optional[Tensor], shape) -> Optional[Tensor]:
    if valid is None:
        return None
    if not isinstance(valid, Tensor) or tuple(valid.shape) != tuple(shape):
        got = tuple(valid.shape) if isinstance(valid, Tensor) else type(valid)
        raise ValueError(f'valid must be a (T, R) = {tuple(shape)} bool tensor, got {got!r}')
    return valid != 0


def _expand_weights(weights: Tensor, d: Tensor) -> Tensor:
    if not isinstance(weights, Tensor):
        weights = torch.as_tensor(weights)
    weights = weights.to(device=d.device, dtype=d.dtype)
    if weights.dim() == 1 and weights.shape[0] == d.shape[1]:
        return weights.unsqueeze(0).expand_as(d)
    if tuple(weights.shape) == tuple(d.shape):
        return weights
    raise ValueError(f'weights must have shape (R,) = ({d.shape[1]},) or (T, R) = '
                     f'{tuple(d.shape)}, got {tuple(weights.shape)!r}')


def effective_weights(weights: Tensor, valid: Optional[Tensor], like: Tensor) -> Tensor:
    """Per-triplet region weights after dropping missing regions (renormalised).

    ``lambda~_r = v_r * lambda_r * (sum_s lambda_s) / (sum_s v_s * lambda_s)``; a row whose
    valid weights sum to 0 becomes all zeros.

    Args:
        weights: ``(R,)`` or ``(T, R)`` region weights.
        valid: None or a ``(T, R)`` bool mask.
        like: a ``(T, R)`` tensor giving shape, dtype and device.

    Returns:
        ``(T, R)`` weights.

    Example:
        >>> import torch
        >>> w = torch.tensor([0.1, 0.1, 0.2, 0.3, 0.3])
        >>> v = torch.tensor([[False, False, True, True, True]])
        >>> effective_weights(w, v, torch.zeros(1, 5))
        tensor([[0.0000, 0.0000, 0.2500, 0.3750, 0.3750]])
    """
    w = _expand_weights(weights, like)
    valid = _check_valid(valid, like.shape)
    if valid is None:
        return w
    wv = torch.where(valid, w, torch.zeros_like(w))
    total = w.sum(dim=1, keepdim=True)
    kept = wv.sum(dim=1, keepdim=True)
    scale = torch.where(kept > 0, total / torch.where(kept > 0, kept, torch.ones_like(kept)),
                        torch.zeros_like(kept))
    return wv * scale


def weighted_triplet(d_ap: Tensor, d_an: Tensor, weights: Tensor, margin: float = 0.2,
                     valid: Optional[Tensor] = None) -> Tensor:
    """Region-weighted triplet loss per triplet, eq. 4 of PS-Net.

        (4)  L'_tri(I, I+, I-) = sum_{r=1..R} max(D_r(I, I+) - D_r(I, I-) + m, 0) * lambda_r

    Args:
        d_ap: ``(T, R)`` distances ``D_r(I, I+)``.
        d_an: ``(T, R)`` distances ``D_r(I, I-)``.
        weights: ``lambda``, ``(R,)`` (shared) or ``(T, R)`` (one row per triplet, e.g. the
            category's row).
        margin: ``m`` >= 0. Defaults to 0.2.
        valid: None or ``(T, R)`` bool; missing regions are dropped and the remaining weights
            renormalised to the row's total (module docstring, :func:`effective_weights`).

    Returns:
        ``(T,)`` losses.

    Example:
        >>> import torch
        >>> d_ap = torch.tensor([[0.5, 0.1]]); d_an = torch.tensor([[0.2, 0.9]])
        >>> weighted_triplet(d_ap, d_an, torch.tensor([0.75, 0.25]), margin=0.2)
        tensor([0.3750])
    """
    margin = _check_margin(margin)
    _check_distances(d_ap, d_an)
    w = effective_weights(weights, valid, d_ap)
    hinge = triplet_hinge(d_ap, d_an, margin)
    if valid is not None:  # masked distances may be NaN/inf: never let them through
        hinge = torch.where(valid != 0, hinge, torch.zeros_like(hinge))
    return (hinge * w).sum(dim=1)


def alpha_tri(d_ap: Tensor, valid: Optional[Tensor] = None, eps: float = 1e-8) -> Tensor:
    """Triplet weight ``alpha_tri``, eq. 5 of PS-Net (detached: a constant, no gradient).

        (5)  alpha_tri = avg_r ||f_r(I) - f_r(I+)||_2 / (max_r ||f_r(I) - f_r(I+)||_2 + eps)

    (the paper prints "arg" where the average is meant). It is small when one region differs
    much more than the others, i.e. for a copy modified in a single region.

    Args:
        d_ap: ``(T, R)`` distances ``D_r(I, I+)``.
        valid: None or ``(T, R)`` bool; avg and max run over the valid regions only (a triplet
            without a valid region gets 0).
        eps: added to the denominator, >= 0. Defaults to 1e-8.

    Returns:
        ``(T,)`` detached weights in [0, 1].

    Example:
        >>> import torch
        >>> alpha_tri(torch.tensor([[1., 1., 1., 1., 1.], [1., 0., 0., 0., 0.]]), eps=0.)
        tensor([1.0000, 0.2000])
    """
    _check_distances(d_ap)
    if not isinstance(eps, (int, float)) or not eps >= 0 or math.isinf(eps):
        raise ValueError(f'eps must be a finite number >= 0, got {eps!r}')
    valid = _check_valid(valid, d_ap.shape)
    with torch.no_grad():
        d = d_ap.detach()
        if valid is None:
            avg = d.mean(dim=1)
            top = d.max(dim=1).values
        else:
            zero = torch.zeros_like(d)
            count = valid.sum(dim=1).to(d.dtype)
            avg = torch.where(valid, d, zero).sum(dim=1) / count.clamp(min=1)
            top = torch.where(valid, d, torch.full_like(d, -math.inf)).max(dim=1).values
            top = torch.where(count > 0, top, torch.zeros_like(top))
        out = avg / (top + eps)
        return torch.where(torch.isfinite(out), out, torch.zeros_like(out))


def plagiarism_loss(d_ap: Tensor, d_an: Tensor, weights: Tensor, margin: float = 0.2,
                    valid: Optional[Tensor] = None, eps: float = 1e-8) -> Tensor:
    """Plagiarism loss ``L_pla``, eq. 6 of PS-Net (sum over the triplets).

        (6)  L_pla = sum_{n=1..N} L'_tri(I, I+, I-) * alpha_tri

    with ``L'_tri`` of eq. 4 (:func:`weighted_triplet`) and ``alpha_tri`` of eq. 5
    (:func:`alpha_tri`, detached).

    Args:
        d_ap: ``(T, R)`` distances ``D_r(I, I+)`` (I original, I+ plagiarised copy).
        d_an: ``(T, R)`` distances ``D_r(I, I-)`` (I- another design, same category).
        weights: ``lambda``, ``(R,)`` or ``(T, R)``.
        margin: ``m`` >= 0. Defaults to 0.2.
        valid: None or ``(T, R)`` bool mask of regions present on all three images.
        eps: of eq. 5. Defaults to 1e-8.

    Returns:
        0-d tensor (0 for ``T == 0``).

    Example:
        >>> import torch
        >>> d_ap = torch.tensor([[0.4, 0.0]]); d_an = torch.tensor([[0.2, 0.2]])
        >>> plagiarism_loss(d_ap, d_an, torch.tensor([0.5, 0.5]), margin=0.2)  # 0.2 * 0.5
        tensor(0.1000)
    """
    per_triplet = weighted_triplet(d_ap, d_an, weights, margin, valid)
    return (per_triplet * alpha_tri(d_ap, valid, eps)).sum()


def normalise_weights(w: Tensor, floor: float = 0.05) -> Tensor:
    """Clip a weight row at ``floor`` and renormalise it to sum 1, keeping the floor.

    Negative entries count as 0; a row summing to 0 becomes uniform. Entries falling below
    ``floor`` are set to ``floor`` and the others are scaled in proportion so that the row
    sums to 1; this repeats until no scaled entry is below the floor, so the result is
    ``>= floor`` everywhere and sums to 1 (requires ``floor * R <= 1``).

    Args:
        w: ``(R,)`` weights.
        floor: lower bound, ``0 <= floor <= 1 / R``. Defaults to 0.05.

    Returns:
        A new ``(R,)`` tensor of the dtype of ``w`` (float64 inside).

    Example:
        >>> import torch
        >>> normalise_weights(torch.tensor([0.0, 1.0, 1.0, 1.0, 1.0]), floor=0.05)
        tensor([0.0500, 0.2375, 0.2375, 0.2375, 0.2375])
    """
    if not isinstance(w, Tensor) or w.dim() != 1 or w.numel() == 0:
        raise ValueError(f'w must be a non-empty (R,) tensor, got '
                         f'{tuple(w.shape) if isinstance(w, Tensor) else w!r}')
    if not torch.isfinite(w).all():
        raise ValueError(f'w must be finite, got {w.tolist()!r}')
    n = w.numel()
    if not isinstance(floor, (int, float)) or not 0 <= floor <= 1.0 / n + 1e-12:
        raise ValueError(f'floor must be a number in [0, 1/R] = [0, {1.0 / n:g}], got {floor!r}')
    x = w.detach().to(torch.float64).clamp(min=0)
    if x.sum() <= 0:
        x = torch.ones_like(x)
    fixed = torch.zeros(n, dtype=torch.bool, device=x.device)
    for _ in range(n + 1):
        free = ~fixed
        budget = 1.0 - floor * float(fixed.sum())
        free_sum = x[free].sum()
        if free_sum <= 0:  # only reachable when floor * R == 1
            out = torch.full_like(x, floor)
            break
        out = torch.where(fixed, torch.full_like(x, floor), x * (budget / free_sum))
        low = free & (out < floor)
        if not low.any():
            break
        fixed |= low
    return out.to(w.dtype)


class Move(NamedTuple):
    """An accepted coordinate-ascent move: region index, signed step, loss before and after."""
    region: int
    delta: float
    loss_before: float
    loss_after: float


def coordinate_ascent_step(loss_fn: Callable[[Tensor], Number], weights: Tensor, step: float,
                           floor: float = 0.05,
                           order: Optional[Sequence[int]] = None) -> tuple:
    """One coordinate-ascent cycle over the regions of one category's weights (section 3.2).

    For each region ``r`` (in ``order``): candidate ``normalise_weights(w + step * e_r)``; if
    ``loss_fn(candidate) < loss_fn(w)`` it is accepted, else the candidate with ``-step`` is
    tried the same way, else ``w`` is kept. A candidate equal to ``w`` (e.g. ``-step`` on a
    weight at the floor) is skipped. An increase or a tie is never accepted, so the final loss
    is <= the initial one. Pure: ``weights`` is not modified.

    Args:
        loss_fn: maps an ``(R,)`` weight row to a float (e.g. L_pla of eq. 6 on the batch's
            triplets of this category); a NaN loss is never accepted.
        weights: current ``(R,)`` row, entries >= ``floor`` and summing to 1 (1e-4 tolerance).
        step: ``Delta lambda`` > 0.
        floor: lower bound of every weight. Defaults to 0.05.
        order: region indices to visit (each in ``[0, R)``). Defaults to ``range(R)``.

    Returns:
        ``(new_weights, accepted)``: the new row (a new tensor) and the list of accepted
        :class:`Move` s, in order.

    Example:
        >>> import torch
        >>> target = torch.tensor([0.6, 0.1, 0.1, 0.1, 0.1], dtype=torch.float64)
        >>> w, moves = coordinate_ascent_step(lambda w: float(((w - target) ** 2).sum()),
        ...                                   torch.full((5,), 0.2, dtype=torch.float64), 0.1)
        >>> [m.region for m in moves][0], bool(w[0] > 0.2)
        (0, True)
    """
    if not isinstance(weights, Tensor) or weights.dim() != 1 or weights.numel() == 0:
        raise ValueError(f'weights must be a non-empty (R,) tensor, got '
                         f'{tuple(weights.shape) if isinstance(weights, Tensor) else weights!r}')
    n = weights.numel()
    if not isinstance(step, (int, float)) or not 0 < step < 1:
        raise ValueError(f'step must be a number in (0, 1), got {step!r}')
    if not isinstance(floor, (int, float)) or not 0 <= floor <= 1.0 / n:
        raise ValueError(f'floor must be a number in [0, 1/R] = [0, {1.0 / n:g}], got {floor!r}')
    if not torch.isfinite(weights).all() or abs(float(weights.sum()) - 1) > 1e-4 or \
            float(weights.min()) < floor - 1e-6:
        raise ValueError(f'weights must be >= floor {floor} and sum to 1, got '
                         f'{weights.tolist()!r}')
    order = list(range(n)) if order is None else list(order)
    for r in order:
        if not isinstance(r, int) or not 0 <= r < n:
            raise ValueError(f'order must hold region indices in [0, {n}), got {order!r}')
    if not callable(loss_fn):
        raise TypeError(f'loss_fn must be callable, got {loss_fn!r}')

    w = weights.detach().clone()
    current = float(loss_fn(w))
    accepted: List[Move] = []
    for r in order:
        for sign in (1.0, -1.0):
            cand = w.clone()
            cand[r] = cand[r] + sign * step
            cand = normalise_weights(cand, floor)
            if torch.allclose(cand, w, rtol=0.0, atol=1e-9):  # no move (e.g. at the floor)
                continue
            value = float(loss_fn(cand))
            if value < current:  # False for NaN: only a strict decrease is accepted
                accepted.append(Move(r, sign * step, current, value))
                w, current = cand, value
                break
    return w, accepted
