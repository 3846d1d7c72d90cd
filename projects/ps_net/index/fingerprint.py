"""The fingerprint of the embedding model that made an index's features."""
import hashlib
from typing import Mapping, Union

import numpy as np
import torch

#: State-dict keys with this ending are left out: the region weights lambda are stored in the
#: index beside the fingerprint and may be replaced without re-embedding the gallery.
EXCLUDED_SUFFIX = 'region_weights'


def model_fingerprint(state_dict: Mapping[str, Union[torch.Tensor, np.ndarray]]) -> str:
    """A sha256 of every tensor of a model's state dict except the region weights.

    Two models give the same fingerprint exactly when their state dicts hold the same keys
    with tensors of the same dtype, shape and bytes (keys ending in ``region_weights`` left
    out); the key order of the mapping does not matter.

    Args:
        state_dict: The embedding model's ``state_dict()`` (or a checkpoint's ``state_dict``).

    Returns:
        ``'sha256:'`` and 64 hex digits.

    Raises:
        TypeError: for a value that is not a tensor or an array (e.g. a whole checkpoint with
            its ``meta`` was passed).

    Example:
        >>> sd = {'w': torch.ones(2), 'head.region_weights': torch.full((4, 5), 0.2)}
        >>> fp = model_fingerprint(sd)
        >>> fp == model_fingerprint({'w': torch.ones(2)})  # lambda left out
        True
        >>> fp == model_fingerprint({'w': torch.zeros(2)})
        False
    """
    digest = hashlib.sha256()
    for key in sorted(state_dict):
        if key.endswith(EXCLUDED_SUFFIX):
            continue
        value = state_dict[key]
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(np.ascontiguousarray(value))
        if not isinstance(value, torch.Tensor):
            raise TypeError(f'state dict entry {key!r} is a {type(value).__name__}, not a '
                            f'tensor: pass the model state dict (checkpoint["state_dict"])')
        value = value.detach().cpu().contiguous()
        header = f'{key}\0{str(value.dtype)}\0{tuple(value.shape)}\0'.encode()
        digest.update(len(header).to_bytes(8, 'little') + header)
        digest.update(value.reshape(-1).view(torch.uint8).numpy().tobytes())
    return 'sha256:' + digest.hexdigest()
