"""The columns of a gallery: ids, exact region features and what a hit reports."""
from typing import Dict, List, Sequence

import numpy as np
import torch


def pattern_keys(valid: np.ndarray) -> np.ndarray:
    """Region-validity patterns ``(N, R)`` bool as ints (bit r set when region r is valid).

    Example:
        >>> pattern_keys(np.array([[True, True, False], [False, False, True]])).tolist()
        [3, 4]
    """
    return (valid.astype(np.int64) << np.arange(valid.shape[1])).sum(1)


def pattern_mask(key: int, num_regions: int) -> np.ndarray:
    """The ``(R,)`` bool validity of a pattern key (inverse of :func:`pattern_keys`)."""
    return (int(key) >> np.arange(num_regions)) & 1 == 1


class GalleryStore:
    """The gallery's rows, in insertion order, in arrays that grow by doubling.

    Columns: ``ids`` (N,) int64, ``feats`` (N, R, D) (float32 or float16; a missing region is
    zero), ``valid`` (N, R) bool, ``categories`` (N,) int16 (row of the region-weight table),
    ``boxes`` (N, 4) float32, ``region_boxes`` (N, R, 4) float32 (NaN where unknown) and
    ``patterns`` (N,) int64 (:func:`pattern_keys`); ``paths`` is a list. The properties return
    views of the first N rows.
    """

    ids = property(lambda self: self._cols['ids'][:self._n])
    feats = property(lambda self: self._cols['feats'][:self._n])
    valid = property(lambda self: self._cols['valid'][:self._n])
    categories = property(lambda self: self._cols['categories'][:self._n])
    boxes = property(lambda self: self._cols['boxes'][:self._n])
    region_boxes = property(lambda self: self._cols['region_boxes'][:self._n])
    patterns = property(lambda self: self._cols['patterns'][:self._n])

    def __init__(self, num_regions: int, dim: int, dtype: str = 'float32'):
        self._shapes = dict(ids=((), np.int64), feats=((num_regions, dim), np.dtype(dtype)),
                            valid=((num_regions, ), np.bool_), categories=((), np.int16),
                            boxes=((4, ), np.float32),
                            region_boxes=((num_regions, 4), np.float32), patterns=((), np.int64))
        self._cols = {k: np.empty((0, ) + s, t) for k, (s, t) in self._shapes.items()}
        self.paths: List[str] = []
        self._n = 0
        self._row_of: Dict[int, int] = {}

    def __len__(self) -> int:
        return self._n

    def __contains__(self, id_: int) -> bool:
        return int(id_) in self._row_of

    def rows_of(self, ids: Sequence[int]) -> np.ndarray:
        """Rows of ids that are all present (KeyError otherwise)."""
        ids = ids.tolist() if isinstance(ids, np.ndarray) else [int(i) for i in ids]
        return np.array([self._row_of[i] for i in ids], np.int64)

    def append(self, **columns) -> None:
        """Add rows: every column of the class docstring and ``paths``, all of length n."""
        paths = columns.pop('paths')
        n = len(paths)
        if self._n + n > len(self._cols['ids']):
            cap = max(self._n + n, 2 * len(self._cols['ids']), 64)
            for k, col in self._cols.items():
                grown = np.empty((cap, ) + col.shape[1:], col.dtype)
                grown[:self._n] = col[:self._n]
                self._cols[k] = grown
        for k, value in columns.items():
            self._cols[k][self._n:self._n + n] = value
        self._row_of.update(zip(columns['ids'].tolist(), range(self._n, self._n + n)))
        self.paths.extend(paths)
        self._n += n

    def feats64(self, rows: np.ndarray) -> np.ndarray:
        """The exact features of ``rows`` as float64 (float16 converted by torch, several
        times faster than numpy's conversion)."""
        feats = self.feats[rows]
        if feats.dtype == np.float16:
            return torch.from_numpy(feats).double().numpy()
        return feats.astype(np.float64)

    def delete(self, rows: np.ndarray) -> None:
        """Remove rows, keeping the order of the others."""
        keep = np.ones(self._n, bool)
        keep[rows] = False
        n = int(keep.sum())
        for col in self._cols.values():
            col[:n] = col[:self._n][keep]
        self.paths = [p for p, k in zip(self.paths, keep.tolist()) if k]
        self._n = n
        self._row_of = dict(zip(self.ids.tolist(), range(n)))
