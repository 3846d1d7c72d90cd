"""Triplet loss on one feature vector per image, ``mean(max(d(a, p) - d(a, n) + m, 0))``."""
from typing import Tuple

from torch import Tensor

from .triplet_hinge import triplet_hinge


def triplet_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                 margin: float) -> Tuple[Tensor, Tensor]:
    """``mean over triplets of max(||a - p||_2 - ||a - n||_2 + margin, 0)``.

    Args:
        anchor (Tensor): ``(T, D)`` anchor features.
        positive (Tensor): ``(T, D)`` features of the same design as the anchor.
        negative (Tensor): ``(T, D)`` features of another design.
        margin (float): The margin.

    Returns:
        tuple[Tensor, Tensor]: The loss (a scalar, the mean over the ``T`` triplets, 0 for
        ``T = 0``) and the share of active triplets (loss > 0) in ``[0, 1]``, detached.

    Example:
        >>> import torch
        >>> a, p, n = torch.tensor([[0., 0.]]), torch.tensor([[1., 0.]]), torch.tensor([[0., 3.]])
        >>> loss, active = triplet_loss(a, p, n, margin=2.5)  # max(1 - 3 + 2.5, 0)
        >>> round(loss.item(), 4), active.item()
        (0.5, 1.0)
    """
    if not (anchor.shape == positive.shape == negative.shape) or anchor.dim() != 2:
        raise ValueError(f'anchor, positive and negative must be (T, D) of one shape, got '
                         f'{tuple(anchor.shape)}, {tuple(positive.shape)}, '
                         f'{tuple(negative.shape)}')
    if anchor.shape[0] == 0:
        zero = anchor.sum() * 0
        return zero, zero.detach()
    d_ap = (anchor - positive).norm(dim=-1)
    d_an = (anchor - negative).norm(dim=-1)
    per_triplet = triplet_hinge(d_ap, d_an, margin)
    return per_triplet.mean(), (per_triplet > 0).float().mean().detach()
