"""Vector engines behind the gallery index: the interface, faiss and Milvus."""
from typing import Dict, Optional, Type

from .base import BackendCannotRemove, VectorBackend
from .faiss_backend import FaissBackend, faiss_gpu_available
from .milvus_backend import MilvusBackend

#: ``type`` of a backend config -> its class.
BACKENDS: Dict[str, Type[VectorBackend]] = {
    cls.type_name: cls for cls in (FaissBackend, MilvusBackend)}


def backend_class(config: dict) -> Type[VectorBackend]:
    """The class of a backend config's ``type``, with a clear error for an unknown one."""
    name = config.get('type')
    if name not in BACKENDS:
        raise ValueError(f'unknown vector backend {name!r}; known: {sorted(BACKENDS)}')
    return BACKENDS[name]


def build_backend(dim: int, config: dict, gpu: Optional[bool] = None) -> VectorBackend:
    """A new, empty backend of ``config`` (``type`` plus the class's keyword arguments)."""
    kwargs = {k: v for k, v in config.items() if k != 'type'}
    cls = backend_class(config)
    try:
        return cls(dim, gpu=gpu, **kwargs)
    except TypeError as err:  # a missing or unknown setting
        raise ValueError(f'bad {cls.type_name} backend config {config}: {err}') from None


__all__ = ['BACKENDS', 'BackendCannotRemove', 'FaissBackend', 'MilvusBackend',
           'VectorBackend', 'backend_class', 'build_backend', 'faiss_gpu_available']
