"""The interface between the gallery index and the engine that stores and searches vectors."""
from abc import ABCMeta, abstractmethod
from typing import Optional, Tuple

import numpy as np


class BackendCannotRemove(NotImplementedError):
    """Raised by :meth:`VectorBackend.remove` when the engine cannot delete vectors (faiss HNSW);
    the gallery index then rebuilds that vector set from its exact vectors."""


class VectorBackend(metaclass=ABCMeta):
    """One set of vectors with int64 ids, searched by inner product (largest first).

    :class:`~ps_net.index.GalleryIndex` keeps one such set per region-validity pattern of the
    gallery and all the logic of eq. 1 (query weighting, exact re-rank, merging); a backend only
    stores vectors and returns candidates, so another engine plugs in by implementing these
    methods (:class:`~ps_net.index.backends.FaissBackend` and
    :class:`~ps_net.index.backends.MilvusBackend` do). ``config()`` must be JSON and, with
    ``state()``, enough for ``restore``.

    Attributes:
        type_name (str): key of the backend in ``ps_net.index.backends.BACKENDS`` and in index
            files.
        exact (bool): whether ``search`` scans every vector and returns exact inner products
            (then the index only re-checks ties; otherwise it re-ranks a shortlist).
    """

    type_name: str = ''
    exact: bool = False

    def __init__(self, dim: int):
        if int(dim) < 1:
            raise ValueError(f'vector dimension must be >= 1, got {dim}')
        self.dim = int(dim)

    @property
    @abstractmethod
    def needs_training(self) -> bool:
        """Whether ``train`` must run before ``add``."""

    @abstractmethod
    def train(self, vecs: np.ndarray) -> None:
        """Fit the engine's quantisers on ``(N, dim)`` float32 sample vectors."""

    @abstractmethod
    def add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        """Store ``(N, dim)`` float32 vectors under ``(N,)`` int64 ids (new ids only)."""

    @abstractmethod
    def remove(self, ids: np.ndarray) -> None:
        """Delete the vectors of ``ids`` (all present); raise :class:`BackendCannotRemove`
        without changing anything when the engine cannot."""

    @abstractmethod
    def search(self, queries: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
        """``(Q, k)`` scores and ids of the best inner products of ``(Q, dim)`` queries, best
        first; id -1 (score -inf) pads a row with fewer than ``k`` results."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of stored vectors."""

    @abstractmethod
    def empty_like(self) -> 'VectorBackend':
        """A new, empty set with the same configuration and training."""

    def release(self) -> None:
        """Free what the engine holds for this set outside the process (a server-side
        collection) once the gallery index no longer uses it; in-process engines hold
        nothing there."""

    @abstractmethod
    def config(self) -> dict:
        """JSON-serialisable settings (with ``type``), stored in the index file's metadata."""

    @abstractmethod
    def state(self) -> bytes:
        """The engine's own data as bytes for the index file (empty for an external engine)."""

    @classmethod
    @abstractmethod
    def restore(cls, dim: int, config: dict, state: bytes,
                gpu: Optional[bool] = None) -> 'VectorBackend':
        """The backend that ``config()`` and ``state()`` describe (``gpu``: as in the
        constructor; engines without a GPU mode ignore it)."""
