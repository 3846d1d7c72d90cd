"""Region triplet loss of PS-Net's pre-train (eq. 2-3, :func:`region_triplet_loss`) and the
per-region distances it is built on.

Region features come as ``(B, R, D)`` tensors with a ``(B, R)`` bool mask of the regions an
image has (a vest has no sleeves). A region's term is dropped for a triplet (0, no gradient)
when the region is missing on any of its three images, and the features of dropped regions
are zeroed before distances are taken, so NaN or garbage features of a missing region never
reach the loss or its gradient.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmpretrain.registry import MODELS

from .triplet_hinge import triplet_hinge

REDUCTIONS = ('mean', 'sum', 'none')

#: A ``(B, R)`` bool mask for the triplet, or one such mask per image (anchor, positive,
#: negative; combined by logical AND).
ValidMask = Union[Tensor, Sequence[Tensor], None]


def _check_features(name: str, f: Tensor) -> None:
    if not isinstance(f, Tensor):
        raise TypeError(f'{name} must be a torch.Tensor of shape (B, R, D), got {type(f)!r}')
    if f.dim() != 3:
        raise ValueError(f'{name} must have shape (B, R, D), got {tuple(f.shape)!r}')


def _check_margin(margin: float) -> float:
    try:
        value = float(margin)
    except (TypeError, ValueError):
        raise TypeError(f'margin must be a number, got {margin!r}') from None
    if not value >= 0 or value == float('inf'):
        raise ValueError(f'margin must be a finite number >= 0, got {margin!r}')
    return value


def combine_valid(valid: ValidMask, shape: Tuple[int, int], device=None) -> Optional[Tensor]:
    """Combine region masks into one ``(B, R)`` bool mask for a triplet.

    Args:
        valid: None (all regions present), a ``(B, R)`` mask already combined for the
            triplet, or a sequence of ``(B, R)`` masks (one per image, e.g. anchor, positive,
            negative), combined by logical AND: a region counts only when present on all.
        shape: the expected ``(B, R)``.
        device: device of the result.

    Returns:
        The combined bool mask, or None when ``valid`` is None.

    Raises:
        ValueError: on a mask of the wrong shape.

    Example:
        >>> import torch
        >>> a = torch.tensor([[True, True], [True, False]])
        >>> p = torch.tensor([[False, True], [True, True]])
        >>> combine_valid([a, p], (2, 2)).tolist()
        [[False, True], [True, False]]
    """
    if valid is None:
        return None
    masks = [valid] if isinstance(valid, Tensor) else list(valid)
    if not masks:
        raise ValueError('valid must be a (B, R) mask or a non-empty sequence of them, got []')
    out = None
    for i, m in enumerate(masks):
        if not isinstance(m, Tensor):
            raise TypeError(f'valid[{i}] must be a bool tensor of shape {tuple(shape)}, got '
                            f'{type(m)!r}')
        if tuple(m.shape) != tuple(shape):
            raise ValueError(f'valid mask {i} must have shape (B, R) = {tuple(shape)}, got '
                             f'{tuple(m.shape)!r}')
        m = m.to(device=device) != 0
        out = m if out is None else out & m
    return out


def region_distances(f_a: Tensor, f_b: Tensor) -> Tensor:
    """Per-region L2 distances ``D_r(I, J) = ||f_r(I) - f_r(J)||_2`` of eq. 2.

    Args:
        f_a: region features of the images ``I``, shape ``(B, R, D)``.
        f_b: region features of the images ``J``, same shape.

    Returns:
        ``(B, R)`` distances (differentiable; the gradient at a zero distance is 0).

    Raises:
        ValueError: when the shapes are not ``(B, R, D)`` or differ.

    Example:
        >>> import torch
        >>> a = torch.tensor([[[1., 0.], [0., 1.]]])
        >>> b = torch.tensor([[[0., 1.], [0., 1.]]])
        >>> region_distances(a, b)
        tensor([[1.4142, 0.0000]])
    """
    _check_features('f_a', f_a)
    _check_features('f_b', f_b)
    if f_a.shape != f_b.shape:
        raise ValueError(f'f_a and f_b must have the same (B, R, D) shape, got '
                         f'{tuple(f_a.shape)!r} and {tuple(f_b.shape)!r}')
    return torch.linalg.vector_norm(f_a - f_b, ord=2, dim=-1)


@torch.no_grad()
def region_distance_matrix(feats: Tensor, valid: Optional[Tensor] = None) -> Tensor:
    """All pairs' mean eq. 2 distance ``D_r(I, J)`` over the regions present on both images.

    Used to mine each anchor's closest negative in a batch; no gradient. The mean (rather than
    the sum of eq. 2) keeps a pair with a missing region (a vest against a T-shirt) from
    looking closer only because fewer distances are added; with every region present it is
    ``sum_r D_r(I, J) / R``.

    Args:
        feats: region features ``(N, R, D)``.
        valid: None (all present) or an ``(N, R)`` bool mask.

    Returns:
        ``(N, N)`` distances; a pair without a common region gets ``inf``.

    Example:
        >>> import torch
        >>> f = torch.tensor([[[1., 0.], [1., 0.]], [[0., 1.], [1., 0.]]])
        >>> region_distance_matrix(f)
        tensor([[0.0000, 0.7071],
                [0.7071, 0.0000]])
        >>> region_distance_matrix(f, torch.tensor([[True, True], [False, True]]))
        tensor([[0., 0.],
                [0., 0.]])
    """
    _check_features('feats', feats)
    n, r, _ = feats.shape
    d = torch.cdist(feats.transpose(0, 1).float(), feats.transpose(0, 1).float())  # (R, N, N)
    mask = combine_valid(valid, (n, r), feats.device)
    if mask is None:
        return d.mean(0)
    both = mask.T[:, :, None] & mask.T[:, None, :]
    count = both.sum(0)
    mean = torch.where(both, d, torch.zeros_like(d)).sum(0) / count.clamp(min=1)
    return mean.masked_fill(count == 0, float('inf'))


def region_triplet_loss(f_a: Tensor, f_p: Tensor, f_n: Tensor, margin: float = 0.2,
                        valid: ValidMask = None,
                        reduction: str = 'mean') -> Tuple[Tensor, Tensor]:
    """Region triplet ranking loss, eq. 2-3 of PS-Net.

        (2)  L_tri(I, I+, I-) = sum_{r=1..R} max(D_r(I, I+) - D_r(I, I-) + m, 0)
        (3)  L_tra = sum_{n=1..N} L_tri(I, I+, I-)

    A region missing on any image of the triplet (``valid`` False) is left out of the sum of
    eq. 2 for that triplet; a triplet with no region left has no loss and is not counted by
    ``'mean'`` nor by the active share.

    Args:
        f_a: anchor region features ``f_r(I)``, shape ``(B, R, D)`` (L2-normalised).
        f_p: positive region features ``f_r(I+)``, same shape.
        f_n: negative region features ``f_r(I-)``, same shape.
        margin: ``m`` of eq. 2, >= 0. Defaults to 0.2.
        valid: None (all present), a ``(B, R)`` bool mask for the triplets, or a sequence of
            ``(B, R)`` masks, one per image (combined by AND; see :func:`combine_valid`).
        reduction: ``'sum'`` is eq. 3; ``'mean'`` divides it by the number of triplets with at
            least one region; ``'none'`` returns eq. 2 per triplet, shape ``(B,)``.

    Returns:
        ``(loss, active_share)``: the loss, and the detached share (0-d float tensor in
        [0, 1]) of counted triplets whose eq. 2 loss is > 0 (0 when none is counted).

    Raises:
        TypeError, ValueError: on bad features, masks, margin or reduction.

    Example:
        >>> import torch
        >>> a = torch.tensor([[[1., 0.], [1., 0.]]])
        >>> p = torch.tensor([[[1., 0.], [0., 1.]]])
        >>> n = torch.tensor([[[0., 1.], [1., 0.]]])
        >>> loss, active = region_triplet_loss(a, p, n, margin=0.2)
        >>> round(loss.item(), 4), active.item()
        (1.6142, 1.0)
    """
    margin = _check_margin(margin)
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
    for name, f in (('f_a', f_a), ('f_p', f_p), ('f_n', f_n)):
        _check_features(name, f)
    if not f_a.shape == f_p.shape == f_n.shape:
        raise ValueError(f'f_a, f_p and f_n must have the same (B, R, D) shape, got '
                         f'{tuple(f_a.shape)!r}, {tuple(f_p.shape)!r}, {tuple(f_n.shape)!r}')
    mask = combine_valid(valid, tuple(f_a.shape[:2]), f_a.device)
    if mask is not None:  # zero missing regions so NaN features cannot leak into gradients
        keep = mask.unsqueeze(-1)
        f_a, f_p, f_n = (torch.where(keep, f, torch.zeros_like(f)) for f in (f_a, f_p, f_n))
    d_ap = region_distances(f_a, f_p)
    d_an = region_distances(f_a, f_n)
    hinge = triplet_hinge(d_ap, d_an, margin)
    if mask is not None:
        hinge = torch.where(mask, hinge, torch.zeros_like(hinge))
        counted = mask.any(dim=1)
    else:
        counted = torch.ones(hinge.shape[0], dtype=torch.bool, device=hinge.device)
    per_triplet = hinge.sum(dim=1)  # eq. 2
    n_counted = counted.sum()
    with torch.no_grad():
        active = ((per_triplet > 0) & counted).sum().to(per_triplet.dtype)
        active_share = active / n_counted.clamp(min=1).to(per_triplet.dtype)
    if reduction == 'none':
        loss = per_triplet
    elif reduction == 'sum':  # eq. 3
        loss = per_triplet.sum()
    else:
        loss = per_triplet.sum() / n_counted.clamp(min=1).to(per_triplet.dtype)
    return loss, active_share.detach()


@MODELS.register_module()
class PSNetRegionTripletLoss(nn.Module):
    """Region triplet loss of PS-Net (eq. 2-3, :func:`region_triplet_loss`) as a loss module
    (``loss=dict(type='PSNetRegionTripletLoss', margin=...)`` in ``PSNetRegionHead``).

    Args:
        margin: ``m``, >= 0. Defaults to 0.2.
        reduction: ``'mean'`` (over triplets with a region), ``'sum'`` (eq. 3) or ``'none'``.
        loss_weight: factor applied to the loss. Defaults to 1.0.
        normalize: L2-normalise each region feature first (a zero feature stays zero), for
            features that are not unit vectors already (``PSNetRegionHead``'s are). Defaults
            to False.

    Example:
        >>> import torch
        >>> loss_fn = PSNetRegionTripletLoss(margin=0.2)
        >>> f = torch.randn(4, 5, 8)
        >>> loss, active = loss_fn(f, f, torch.randn(4, 5, 8))
        >>> loss.shape, bool(0 <= active <= 1)
        (torch.Size([]), True)
    """

    def __init__(self, margin: float = 0.2, reduction: str = 'mean', loss_weight: float = 1.0,
                 normalize: bool = False) -> None:
        super().__init__()
        self.margin = _check_margin(margin)
        if reduction not in REDUCTIONS:
            raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
        if not isinstance(loss_weight, (int, float)) or not loss_weight >= 0:
            raise ValueError(f'loss_weight must be a number >= 0, got {loss_weight!r}')
        self.reduction = reduction
        self.loss_weight = float(loss_weight)
        self.normalize = bool(normalize)

    def forward(self, f_a: Tensor, f_p: Tensor, f_n: Tensor,
                valid: ValidMask = None) -> Tuple[Tensor, Tensor]:
        """Compute ``(loss_weight * loss, active_share)``; see :func:`region_triplet_loss`."""
        if self.normalize:
            for name, f in (('f_a', f_a), ('f_p', f_p), ('f_n', f_n)):
                _check_features(name, f)
            mask = combine_valid(valid, tuple(f_a.shape[:2]), f_a.device)
            if mask is not None:  # zero missing regions before normalising (NaN-safe)
                keep = mask.unsqueeze(-1)
                f_a, f_p, f_n = (torch.where(keep, f, torch.zeros_like(f))
                                 for f in (f_a, f_p, f_n))
            f_a, f_p, f_n = (F.normalize(f, p=2, dim=-1) for f in (f_a, f_p, f_n))
        loss, active = region_triplet_loss(f_a, f_p, f_n, self.margin, valid, self.reduction)
        return loss * self.loss_weight, active

    def extra_repr(self) -> str:
        return (f'margin={self.margin}, reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}, normalize={self.normalize}')
