"""Load trusted mmengine checkpoints under torch >= 2.6 without weakening ``torch.load``.

torch 2.6 made ``torch.load(weights_only=True)`` the default. mmengine 0.10.7 still calls
``torch.load`` without ``weights_only`` while its checkpoints pickle ``HistoryBuffer`` and numpy
objects in ``message_hub`` (mmengine#1655), so ``--resume`` fails with an ``UnpicklingError``.

Instead of monkeypatching ``torch.load`` (which would turn off the safety check for every
caller in the process), this module re-registers mmengine's checkpoint schemes for local
files and http(s) URLs with loaders that call ``torch.load(..., weights_only=True)`` inside
``torch.serialization.safe_globals(TRUSTED_CHECKPOINT_GLOBALS)``: the weights-only unpickler
is on (passed explicitly, so ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` cannot turn it off) and
only the classes below are allowed in; any other global (a class whose ``__reduce__`` would
run code) is refused with an ``UnpicklingError``. The registration covers every mmengine path
that reads a local or http(s) checkpoint: ``Runner.resume`` (``--resume``), ``load_from``
(``tools/test.py``) and ``init_cfg=dict(type='Pretrained')``, all of which go through
``CheckpointLoader``. What is trusted: docs/checkpoints.md.
"""
import contextlib
import os
import os.path as osp
import pickle
from typing import Any, Iterator, List

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.dist import get_dist_info
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = ['TRUSTED_CHECKPOINT_GLOBALS', 'trusted_checkpoint_globals', 'load_from_http_trusted',
           'load_from_local_trusted', 'register_trusted_checkpoint_loader']


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


def load_from_local_trusted(filename: str, map_location=None) -> Any:
    """Load a local checkpoint with the weights-only unpickler and the trusted globals.

    mmengine logs ``Loads checkpoint by local_trusted backend``.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    with trusted_checkpoint_globals():
        return torch.load(filename, map_location=map_location, weights_only=True)


def load_from_http_trusted(filename: str, map_location=None, model_dir=None,
                           progress: bool = os.isatty(0)) -> Any:
    """Download (rank 0 first, as mmengine does) and load an http(s) checkpoint with the
    weights-only unpickler and the trusted globals."""

    def fetch() -> Any:
        with trusted_checkpoint_globals():
            return torch.hub.load_state_dict_from_url(
                filename, model_dir=model_dir, map_location=map_location, progress=progress,
                weights_only=True)

    rank, world_size = get_dist_info()
    if rank == 0:
        checkpoint = fetch()
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            checkpoint = fetch()
    return checkpoint


def register_trusted_checkpoint_loader() -> None:
    """Register the trusted loaders for local paths and http(s) URLs (idempotent)."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_trusted, force=True)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=load_from_http_trusted, force=True)
