"""What the retrieval metrics read, checked: score arrays, ``topk``, and data-sample fields.

Data samples reach a metric as ``DataSample.to_dict()`` dicts (mmengine's test loop) or as data
elements (a script); every helper accepts both. Each check raises ``ValueError`` echoing the
bad value.
"""
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.structures import BaseDataElement


def to_numpy(value: Any) -> np.ndarray:
    """A torch tensor (any device), numpy array or nested sequence as a numpy array."""
    if hasattr(value, 'detach'):  # torch.Tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def is_int(value: Any) -> bool:
    """A Python or numpy integer that is not a ``bool``."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def as_scores(value: Any, name: str, ndim: int) -> np.ndarray:
    """Numeric ``value`` as a float64 array with ``ndim`` dimensions and no NaN.

    Examples:
        >>> as_scores([[1, 2]], 'scores', 2).dtype
        dtype('float64')
    """
    try:
        array = to_numpy(value).astype(np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f'{name} must be numeric, got {value!r}') from err
    if array.ndim != ndim:
        raise ValueError(f'{name} must have {ndim} dimension(s), got shape {array.shape}')
    if np.isnan(array).any():
        raise ValueError(f'{name} must not contain NaN (a NaN score has no rank), got NaN at '
                         f'{np.argwhere(np.isnan(array))[0].tolist()}')
    return array


def check_topk(topk: Union[int, Sequence[int]]) -> Tuple[int, ...]:
    """``topk`` as a tuple of unique positive ints.

    Examples:
        >>> check_topk(5), check_topk([1, 10])
        ((5,), (1, 10))
    """
    values = (topk, ) if is_int(topk) else topk
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values \
            or not all(is_int(k) and k > 0 for k in values):
        raise ValueError(f'topk must be a positive int or a non-empty sequence of positive '
                         f'ints, got {topk!r}')
    if len(set(values)) != len(values):
        raise ValueError(f'topk must not repeat a value, got {topk!r}')
    return tuple(int(k) for k in values)


def check_score_key_and_prefix(score_key: Any, prefix: Any) -> None:
    """``score_key`` must be a non-empty string, ``prefix`` None or a non-empty string."""
    if not isinstance(score_key, str) or not score_key:
        raise ValueError(f'score_key must be a non-empty string, got {score_key!r}')
    if prefix is not None and (not isinstance(prefix, str) or not prefix):
        raise ValueError(f'prefix must be a non-empty string or None, got {prefix!r}')


def sample_get(sample: Any, key: str, default: Any = None) -> Any:
    """``sample[key]`` for a dict (``DataSample.to_dict()``) or a data element."""
    if isinstance(sample, BaseDataElement):
        return sample.get(key, default)
    return sample.get(key, default) if isinstance(sample, Mapping) else default


def sample_keys(sample: Any) -> List[str]:
    """The keys of a data sample (dict or data element), for error messages."""
    if isinstance(sample, BaseDataElement):
        return sorted(list(sample.metainfo_keys()) + list(sample.keys()))
    return sorted(sample) if isinstance(sample, Mapping) else []


def sample_scores(sample: Any, key: str, num_gallery: Optional[int],
                  owner: str) -> np.ndarray:
    """The sample's 1-D score vector over the gallery (``pred_score`` by default); its length
    must be ``num_gallery`` unless that is None."""
    value = sample_get(sample, key)
    if value is None:
        raise ValueError(f'{owner} needs {key!r} in each data sample, got keys '
                         f'{sample_keys(sample)}')
    scores = as_scores(value, key, 1)
    if num_gallery is not None and scores.size != num_gallery:
        raise ValueError(f'{owner}: {key} has {scores.size} gallery scores but the gallery has '
                         f"{num_gallery} entries (the retriever's prototype must be the "
                         f"split='gallery' dataset of the same file, in its order)")
    return scores


__all__ = ['to_numpy', 'is_int', 'as_scores', 'check_topk', 'check_score_key_and_prefix',
           'sample_get', 'sample_keys', 'sample_scores']
