"""Vector engines behind the gallery index: the interface and the faiss implementation."""
from typing import Dict, Optional, Type

from .base import BackendCannotRemove, VectorBackend
from .faiss_backend import FaissBackend, faiss_gpu_available

#: ``type`` of a backend config -> its class (a Milvus backend registers here).
BACKENDS: Dict[str, Type[VectorBackend]] = {FaissBackend.type_name: FaissBackend}


def backend_class(config: dict) -> Type[VectorBackend]:
    """The class of a backend config's ``type``, with a clear error for an unknown one."""
    name = config.get('type')
    if name not in BACKENDS:
        raise ValueError(f'unknown vector backend {name!r}; known: {sorted(BACKENDS)}')
    return BACKENDS[name]


def build_backend(dim: int, config: dict, gpu: Optional[bool] = None) -> VectorBackend:
    """A new, empty backend of ``config`` (``type`` plus the class's keyword arguments)."""
    kwargs = {k: v for k, v in config.items() if k != 'type'}
    return backend_class(config)(dim, gpu=gpu, **kwargs)


__all__ = ['BACKENDS', 'BackendCannotRemove', 'FaissBackend', 'VectorBackend',
           'backend_class', 'build_backend', 'faiss_gpu_available']
