"""PS-Net similarity, eq. 1: s(I, I') = sum_r lambda_r cos(f_r(I), f_r(I')).

The weights are those of the *query's* category (the gallery is never filtered by category: a
copy may change category, e.g. a long-sleeved copy of a T-shirt). A region missing on either
image of a pair (no sleeves on a vest) is masked out of that pair, and the remaining weights are
renormalised to sum 1 for that pair, so a vest is not penalised for sleeves it cannot have.
"""
import torch
from torch import Tensor


def region_similarity(q_feats: Tensor, q_valid: Tensor, g_feats: Tensor, g_valid: Tensor,
                      q_weights: Tensor, eps: float = 1e-12) -> Tensor:
    """Eq. 1 for every query-gallery pair.

    Args:
        q_feats: ``(Q, R, D)`` L2-normalised region features of the queries.
        q_valid: ``(Q, R)`` bool, the regions each query has.
        g_feats: ``(G, R, D)`` L2-normalised region features of the gallery.
        g_valid: ``(G, R)`` bool.
        q_weights: ``(Q, R)`` region weights lambda of each query's category (rows sum to 1).
        eps: guards a pair with no common region (its similarity is 0).

    Returns:
        ``(Q, G)`` similarities in ``[-1, 1]``.

    Example:
        >>> f = torch.eye(2).view(2, 1, 2).repeat(1, 2, 1)  # 2 images, 2 regions
        >>> valid = torch.tensor([[True, True], [True, False]])
        >>> w = torch.tensor([[0.5, 0.5], [0.5, 0.5]])
        >>> region_similarity(f, valid, f, valid, w)
        tensor([[1., 0.],
                [0., 1.]])
    """
    if q_feats.dim() != 3 or g_feats.dim() != 3 or q_feats.shape[1:] != g_feats.shape[1:]:
        raise ValueError(f'region features must be (Q, R, D) and (G, R, D) with the same R and '
                         f'D, got {tuple(q_feats.shape)} and {tuple(g_feats.shape)}')
    if q_weights.shape != q_valid.shape or q_valid.shape != q_feats.shape[:2]:
        raise ValueError(f'q_weights and q_valid must be (Q, R) = {tuple(q_feats.shape[:2])}, '
                         f'got {tuple(q_weights.shape)} and {tuple(q_valid.shape)}')
    cos = torch.einsum('qrd,grd->qgr', q_feats, g_feats)
    mask = (q_valid[:, None, :] & g_valid[None, :, :]).to(cos.dtype)
    w = q_weights[:, None, :].to(cos.dtype) * mask
    w = w / w.sum(-1, keepdim=True).clamp_min(eps)
    return (w * cos).sum(-1)
