"""InfoNCE over two views, per region: the copy-detection (SSCD / SimCLR) training loss.

SimCLR's NT-Xent (Chen et al., ICML 2020, eq. 1), as SSCD (Pizzi et al., CVPR 2022) trains a
copy detector with it: for the two views ``z_i``, ``z_j`` of image ``i`` (unit vectors),

    l(i, j) = -log( exp(sim(z_i, z_j) / t) / sum_{k != i} exp(sim(z_i, z_k) / t) )      (1)

averaged over both directions of every positive pair. Here each of ``R`` regions has its own
term (``R = 1``: one global embedding), and two changes keep it honest on labelled data:

* a negative ``k`` of the same design as ``i`` (another photo of the same garment, or a copy)
  is not a negative: it is taken out of the denominator;
* a positive pair whose region is not comparable (invalid in either view, or changed by a local
  edit of one view) is no positive: its term is dropped, and the edited region stays out of the
  denominators of the other images too (it is neither a match nor a fair negative).

mmpretrain's ``ContrastiveHead`` takes one fixed-size negative set per row, which cannot express
these per-pair exclusions, so the logits are masked here instead.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def multiview_info_nce(view1: Tensor, view2: Tensor, temperature: float = 0.1,
                       design_ids: Optional[Sequence[int]] = None,
                       comparable: Optional[Tensor] = None) -> Tensor:
    """Eq. (1) per region, over the ``2B`` views of a batch.

    Args:
        view1, view2: ``(B, D)`` or ``(B, R, D)`` unit-length features of the two views
            (region ``r`` of image ``b`` in ``view1`` pairs with the same in ``view2``).
        temperature: ``t`` of eq. (1), > 0.
        design_ids: ``B`` design ids; views of another image of the same design are not
            negatives. None: every other image is a negative.
        comparable: ``(B, R)`` bool, whether region ``r`` of image ``b`` may be matched
            across its two views (False for an edited or invalid region). None: all.

    Returns:
        Tensor: the mean of eq. (1) over the comparable positive pairs and both directions;
        0 (attached to the graph) when there is none.

    Example:
        >>> z = F.normalize(torch.randn(4, 8), dim=-1)
        >>> bool(multiview_info_nce(z, z) < multiview_info_nce(z, z.roll(1, 0)))
        True
    """
    if not temperature > 0:
        raise ValueError(f'temperature must be > 0, got {temperature!r}')
    if view1.shape != view2.shape or view1.dim() not in (2, 3):
        raise ValueError(f'view1 and view2 must both be (B, D) or (B, R, D), got '
                         f'{tuple(view1.shape)} and {tuple(view2.shape)}')
    if view1.dim() == 2:
        view1, view2 = view1[:, None], view2[:, None]
    b, r, _ = view1.shape
    dev = view1.device
    if comparable is None:
        comparable = torch.ones(b, r, dtype=torch.bool, device=dev)
    if tuple(comparable.shape) != (b, r):
        raise ValueError(f'comparable must be (B, R) = {(b, r)}, got {tuple(comparable.shape)}')
    same = torch.eye(b, dtype=torch.bool, device=dev)
    if design_ids is not None:
        if len(design_ids) != b:
            raise ValueError(f'got {len(design_ids)} design ids for {b} images')
        ids = torch.as_tensor(list(design_ids), device=dev)
        same = ids[:, None] == ids[None]
    # 2B x 2B: rows/columns are view1 images then view2 images
    same2 = same.repeat(2, 2)
    partner = torch.arange(2 * b, device=dev).roll(b)
    keep = comparable.T.repeat(1, 2)  # (R, 2B): a region usable in both views
    z = torch.cat([view1, view2]).transpose(0, 1)  # (R, 2B, D)
    logits = z @ z.transpose(1, 2) / temperature
    # neither the image itself, nor another image of its design, nor an incomparable region
    excluded = same2[None] | ~keep[:, None, :]
    excluded[:, torch.arange(2 * b), partner] = False
    logits = logits.masked_fill(excluded, float('-inf'))
    rows = keep  # a positive pair only where the region is comparable
    if not rows.any():
        return view1.sum() * 0
    target = partner[None].expand(r, -1)
    loss = F.cross_entropy(logits[rows], target[rows])
    return loss
