"""The retriever's flat vector layout ``[f_1..f_R (R*D), valid (R), category index (1)]``.

``PSNetRetriever.flatten`` writes one such vector per image (``forward(mode='tensor')``, the
prototype of ``tools/test.py``); these helpers read it without importing the models.
"""
from typing import Tuple, Union

import numpy as np
import torch

from ..structures import REGIONS


def split_flat(vecs: Union[np.ndarray, torch.Tensor], num_regions: int = len(REGIONS)
               ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Region features ``(N, R, D)`` float32, validity ``(N, R)`` bool and category index
    ``(N,)`` int64 of ``(N, R*D + R + 1)`` flat vectors (D inferred from the width).

    Example:
        >>> flat = np.array([[1., 0., 0., 1., 1., 0., 2.]])  # R=2, D=2, region 2 missing
        >>> feats, valid, cat = split_flat(flat, num_regions=2)
        >>> feats.shape, valid.tolist(), cat.tolist()
        ((1, 2, 2), [[True, False]], [2])
    """
    if isinstance(vecs, torch.Tensor):
        vecs = vecs.detach().cpu().numpy()
    vecs = np.asarray(vecs)
    r = int(num_regions)
    if vecs.ndim != 2 or (vecs.shape[1] - r - 1) % r or vecs.shape[1] < 2 * r + 1:
        raise ValueError(f'flat vectors must be (N, R*D + R + 1) with R={r}, got shape '
                         f'{vecs.shape}')
    dim = (vecs.shape[1] - r - 1) // r
    feats = vecs[:, :r * dim].reshape(-1, r, dim).astype(np.float32)
    valid = vecs[:, r * dim:r * dim + r] > 0.5
    return feats, valid, np.rint(vecs[:, -1]).astype(np.int64)
