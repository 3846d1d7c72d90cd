"""The faiss backend: an inner-product faiss index chosen by factory string."""
from typing import Optional, Tuple

import faiss
import numpy as np

from .base import BackendCannotRemove, VectorBackend


def faiss_gpu_available() -> bool:
    """Whether faiss sees a GPU and can copy an index onto it (a faiss-gpu build)."""
    return hasattr(faiss, 'index_cpu_to_all_gpus') and faiss.get_num_gpus() > 0


class FaissBackend(VectorBackend):
    """Vectors in a faiss index built by ``faiss.index_factory`` with METRIC_INNER_PRODUCT.

    The factory string names the index: ``'Flat'`` (exhaustive and exact, the default),
    ``'IVF1024,PQ32'`` or ``'OPQ32,IVF4096,PQ32'`` (compressed, trained) or ``'HNSW32'`` (a graph:
    fast, no removal) for large catalogues. The vectors keep the caller's int64 ids: IVF
    indexes store them natively, any other index is wrapped in an ``IndexIDMap`` (an ``IDMap``
    prefix of the factory string is ignored: over IVF it would map the wrong ids after a
    removal).

    Args:
        dim: Vector dimension.
        factory: faiss factory string. Defaults to ``'Flat'``.
        search_params: faiss ``ParameterSpace`` settings applied before every search, e.g.
            ``'nprobe=32'`` (IVF) or ``'efSearch=128'`` (HNSW). Defaults to none.
        gpu: Search on all GPUs that faiss sees (a copy of the index, refreshed after every
            change); None uses them when :func:`faiss_gpu_available`. The file keeps the CPU
            index.
    """

    type_name = 'faiss'

    def __init__(self, dim: int, factory: str = 'Flat', search_params: str = '',
                 gpu: Optional[bool] = None, index: Optional[faiss.Index] = None):
        super().__init__(dim)
        self.factory = factory
        self.search_params = search_params
        self.gpu = faiss_gpu_available() if gpu is None else bool(gpu)
        if index is None:
            index = self._build(factory)
        if index.d != self.dim or index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError(f'faiss index of dimension {index.d} and metric '
                             f'{index.metric_type}, expected {self.dim} and inner product')
        self.index = index
        inner = faiss.downcast_index(index.index) if hasattr(index, 'id_map') else index
        self.exact = type(inner) in (faiss.IndexFlat, faiss.IndexFlatIP)
        self._device_index = None
        self._apply_search_params(self.index)

    def _build(self, factory: str) -> faiss.Index:
        spec = factory.split(',', 1)[1] if factory.startswith('IDMap') else factory
        try:
            index = faiss.index_factory(self.dim, spec, faiss.METRIC_INNER_PRODUCT)
            if faiss.try_extract_index_ivf(index) is None:
                index = faiss.index_factory(self.dim, f'IDMap,{spec}', faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as err:
            raise ValueError(f'faiss cannot build index {factory!r} of dimension {self.dim}: '
                             f'{str(err).strip().splitlines()[-1]}') from None
        return index

    def _apply_search_params(self, index: faiss.Index) -> None:
        if self.search_params:
            space = (faiss.GpuParameterSpace() if index is not self.index
                     and hasattr(faiss, 'GpuParameterSpace') else faiss.ParameterSpace())
            space.set_index_parameters(index, self.search_params)

    def _changed(self) -> None:
        self._device_index = None

    @property
    def needs_training(self) -> bool:
        return not self.index.is_trained

    def train(self, vecs: np.ndarray) -> None:
        self.index.train(np.ascontiguousarray(vecs, np.float32))
        self._changed()

    def add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        self.index.add_with_ids(np.ascontiguousarray(vecs, np.float32),
                                np.ascontiguousarray(ids, np.int64))
        self._changed()

    def remove(self, ids: np.ndarray) -> None:
        try:
            self.index.remove_ids(np.ascontiguousarray(ids, np.int64))
        except RuntimeError as err:
            if 'not implemented' not in str(err):
                raise
            raise BackendCannotRemove(f'faiss index {self.factory!r} cannot remove vectors'
                                      ) from None
        self._changed()

    def _search_index(self) -> faiss.Index:
        if not self.gpu:
            return self.index
        if self._device_index is None:
            self._device_index = faiss.index_cpu_to_all_gpus(self.index)
            self._apply_search_params(self._device_index)
        return self._device_index

    def search(self, queries: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, np.float32)
        if len(self) == 0 or k < 1 or len(queries) == 0:
            return (np.full((len(queries), max(k, 0)), -np.inf, np.float32),
                    np.full((len(queries), max(k, 0)), -1, np.int64))
        scores, ids = self._search_index().search(queries, int(k))
        scores[ids < 0] = -np.inf
        return scores, ids

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def empty_like(self) -> 'FaissBackend':
        if len(self):
            raise ValueError('empty_like needs an empty index (the trained template)')
        return FaissBackend.restore(self.dim, self.config(), self.state(), gpu=self.gpu)

    def config(self) -> dict:
        return dict(type=self.type_name, factory=self.factory, search_params=self.search_params)

    def state(self) -> bytes:
        return faiss.serialize_index(self.index).tobytes()

    @classmethod
    def restore(cls, dim: int, config: dict, state: bytes,
                gpu: Optional[bool] = None) -> 'FaissBackend':
        index = faiss.deserialize_index(np.frombuffer(state, np.uint8).copy())
        return cls(dim, config['factory'], config.get('search_params', ''), gpu=gpu,
                   index=index)
