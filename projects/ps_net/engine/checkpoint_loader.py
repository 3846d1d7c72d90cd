"""Load trusted mmengine checkpoints under torch >= 2.6 without weakening ``torch.load``.

torch 2.6 made ``torch.load(weights_only=True)`` the default. mmengine 0.10.7 still calls
``torch.load`` without ``weights_only`` while its checkpoints pickle ``HistoryBuffer`` and numpy
objects in ``message_hub`` (mmengine#1655), so ``--resume`` fails with an ``UnpicklingError``.

Instead of monkeypatching ``torch.load`` (which would turn off the safety check for every
caller in the process), this module re-registers mmengine's checkpoint schemes for local
files and http(s) URLs with loaders that run the original loader inside
``torch.serialization.safe_globals(TRUSTED_CHECKPOINT_GLOBALS)``: the weights-only unpickler
stays on and only the classes below are allowed in. The registration covers every mmengine
path that reads a checkpoint: ``Runner.resume`` (``--resume``), ``load_from`` and
``init_cfg=dict(type='Pretrained')``, all of which go through ``CheckpointLoader``.
"""
import contextlib
import pickle
from typing import Any, Callable, Iterator, List

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader, load_from_http, load_from_local

__all__ = ['TRUSTED_CHECKPOINT_GLOBALS', 'trusted_checkpoint_globals',
           'register_trusted_checkpoint_loader']


def _numpy_globals() -> List[object]:
    """numpy objects that mmengine pickles into ``message_hub`` (scalars and arrays)."""
    try:  # numpy >= 1.25 exposes the reconstructor under numpy.core.multiarray either way
        from numpy.core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 2 moved numpy.core to numpy._core
        from numpy._core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in
                     ('float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64',
                      'uint8', 'bool')]
    return [_reconstruct, scalar, np.ndarray, np.dtype] + dtype_classes


# HistoryBuffer registers these lazily, in its first __init__; a fresh process may load a
# checkpoint before any buffer exists.
_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """The only ``getattr`` a trusted checkpoint may call.

    A pickled ``HistoryBuffer`` holds its statistics methods (``HistoryBuffer.min`` ...), which
    protocol 2 writes as ``getattr(HistoryBuffer, 'min')``. Allowing the builtin ``getattr``
    would let a checkpoint reach any attribute of any allowed object, so the unpickler gets this
    function under that name instead: it resolves registered statistics methods of
    ``HistoryBuffer`` and refuses everything else.
    """
    if obj is HistoryBuffer and (name in _DEFAULT_STATISTICS
                                 or name in HistoryBuffer._statistics_methods):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only HistoryBuffer statistics '
        f'methods {sorted(HistoryBuffer._statistics_methods)} are allowed')


#: Objects allowed in a trusted checkpoint besides torch's own weights-only set.
TRUSTED_CHECKPOINT_GLOBALS: List[object] = [
    HistoryBuffer,
    bytes,  # an empty numpy array (mmpose DeepFashion2 sigmas) pickles bytes()
    (_history_buffer_getattr, '__builtin__.getattr'),
    (_history_buffer_getattr, 'builtins.getattr'),
] + _numpy_globals()


@contextlib.contextmanager
def trusted_checkpoint_globals() -> Iterator[None]:
    """Allow :data:`TRUSTED_CHECKPOINT_GLOBALS` in ``torch.load`` inside this block only."""
    with torch.serialization.safe_globals(TRUSTED_CHECKPOINT_GLOBALS):
        yield


def _trusted(loader: Callable) -> Callable:
    def load(filename: str, map_location=None, *args, **kwargs):
        with trusted_checkpoint_globals():
            return loader(filename, map_location, *args, **kwargs)

    # mmengine logs "Loads checkpoint by {__name__[10:]} backend": keep the load_from_ prefix.
    load.__name__ = f'{loader.__name__}_trusted'
    load.__doc__ = (f'{loader.__name__} with mmengine and numpy classes allowed by the '
                    'weights-only unpickler.')
    return load


def register_trusted_checkpoint_loader() -> None:
    """Register the trusted loaders for local paths and http(s) URLs (idempotent)."""
    CheckpointLoader.register_scheme(prefixes='', loader=_trusted(load_from_local), force=True)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=_trusted(load_from_http), force=True)
