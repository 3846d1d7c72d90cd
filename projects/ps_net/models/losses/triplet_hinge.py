"""The triplet hinge ``max(d_ap - d_an + m, 0)``, the term every triplet loss here sums."""
from typing import Union

import torch
from torch import Tensor


def triplet_hinge(d_ap: Tensor, d_an: Tensor, margin: Union[float, Tensor]) -> Tensor:
    """Elementwise ``max(d_ap - d_an + margin, 0)``.

    ``d_ap`` is the distance of an anchor to its positive, ``d_an`` to its negative (any
    matching shapes: ``(T,)`` for one distance per triplet, ``(T, R)`` for one per region).
    The gradient is that of ``torch.clamp``: ``d_ap - d_an + margin`` where the hinge is
    active, 0 elsewhere.

    Example:
        >>> import torch
        >>> triplet_hinge(torch.tensor([1., 2.]), torch.tensor([3., 1.]), 0.5)
        tensor([0.0000, 1.5000])
    """
    return torch.clamp(d_ap - d_an + margin, min=0)
