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

:func:`checkpoint_match` counts how a loaded checkpoint's state dict matches a model's keys
(matched / missing / unexpected / of another shape); ``tools/test.py`` refuses a checkpoint that
matches less than all of them (:class:`CheckpointMismatchError`) unless a partial load is asked
for (docs/bad_inputs.md).
"""
import contextlib
import os
import os.path as osp
import pickle
import re
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.dist import get_dist_info
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = ['TRUSTED_CHECKPOINT_GLOBALS', 'trusted_checkpoint_globals', 'load_from_http_trusted',
           'load_from_local_trusted', 'register_trusted_checkpoint_loader', 'CheckpointMatch',
           'CheckpointMismatchError', 'checkpoint_match', 'checkpoint_file_problem']


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


# --------------------------------------------------------------------------- key matching
@dataclass(frozen=True)
class CheckpointMatch:
    """How a checkpoint's state dict matches a model's keys.

    Attributes:
        num_model_keys (int): Keys of the model's state dict.
        missing (tuple[str, ...]): Model keys the checkpoint does not have.
        unexpected (tuple[str, ...]): Checkpoint keys the model has no place for.
        shape_mismatch (tuple[str, ...]): Keys in both, of another shape in the checkpoint.
    """
    num_model_keys: int
    missing: Tuple[str, ...] = ()
    unexpected: Tuple[str, ...] = ()
    shape_mismatch: Tuple[str, ...] = ()

    @property
    def matched(self) -> int:
        """Model keys loaded from the checkpoint (present, same shape)."""
        return self.num_model_keys - len(self.missing) - len(self.shape_mismatch)

    @property
    def complete(self) -> bool:
        """Every model key matched and no checkpoint key left over."""
        return not (self.missing or self.unexpected or self.shape_mismatch)

    def summary(self, examples: int = 3) -> str:
        """One line of counts, with the first keys of each kind.

        Example:
            >>> CheckpointMatch(4, missing=('a.w', 'a.b'), unexpected=('x', )).summary()
            'matched 2 of 4 model keys; 2 missing (a.w, a.b), 1 unexpected (x), 0 of another shape'
        """

        def part(keys: Sequence[str], what: str) -> str:
            shown = ', '.join(keys[:examples]) + (', ...' if len(keys) > examples else '')
            return f'{len(keys)} {what}' + (f' ({shown})' if keys else '')

        return (f'matched {self.matched} of {self.num_model_keys} model keys; '
                f'{part(self.missing, "missing")}, {part(self.unexpected, "unexpected")}, '
                f'{part(self.shape_mismatch, "of another shape")}')


class CheckpointMismatchError(ValueError):
    """A checkpoint that matches the model by less than all of its keys.

    Args:
        source (str): The checkpoint.
        model_name (str): The model's class name.
        match (CheckpointMatch): The counts.
        hint (str): What the user can do, appended to the message.
    """

    def __init__(self, source: str, model_name: str, match: CheckpointMatch, hint: str = ''):
        self.source = source
        self.model_name = model_name
        self.match = match
        self.hint = hint
        super().__init__(f'checkpoint {source} does not fit the {model_name} of this config: '
                         f'{match.summary()}' + (f'. {hint}' if hint else ''))

    def __reduce__(self):
        return self.__class__, (self.source, self.model_name, self.match, self.hint)


_SIZE_MISMATCH = re.compile(r'size mismatch for (\S+?):')


def checkpoint_match(model: torch.nn.Module, checkpoint: Mapping[str, Any]) -> CheckpointMatch:
    """Count how ``checkpoint`` matches ``model``, by loading it non-strictly as mmengine's
    ``load_checkpoint`` does.

    The state dict is ``checkpoint['state_dict']`` (or ``checkpoint`` itself) with mmengine's
    default key revision (a ``module.`` prefix removed). Each submodule's
    ``_load_from_state_dict`` runs, so key renamings a model applies when loading (old
    checkpoint layouts) are honoured; the matching tensors are copied into ``model``, as the
    Runner's load that follows copies them. A BatchNorm ``num_batches_tracked`` the checkpoint
    lacks counts as missing (torch fills it in silently).

    Args:
        model (torch.nn.Module): The model (a model wrapper is unwrapped).
        checkpoint (Mapping): A loaded checkpoint.

    Returns:
        CheckpointMatch: The counts and the keys.

    Example:
        >>> net = torch.nn.Linear(2, 1)
        >>> checkpoint_match(net, {'state_dict': {'module.weight': torch.zeros(1, 2)}}).summary()
        'matched 1 of 2 model keys; 1 missing (bias), 0 unexpected, 0 of another shape'
    """
    if is_model_wrapper(model):
        model = model.module
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, Mapping) else {}
    metadata = getattr(state, '_metadata', None)
    state = OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in state.items())
    if metadata is not None:
        state._metadata = metadata  # type: ignore[attr-defined]
    missing: List[str] = []
    unexpected: List[str] = []
    errors: List[str] = []

    def load(module: torch.nn.Module, prefix: str = '') -> None:
        local = {} if metadata is None else metadata.get(prefix[:-1], {})
        module._load_from_state_dict(state, prefix, local, True, missing, unexpected, errors)
        for name, child in module._modules.items():
            if child is not None:
                load(child, prefix + name + '.')

    num_keys = len(model.state_dict())
    given = set(state)
    with torch.no_grad():
        load(model)
    # BatchNorm fills an absent num_batches_tracked with its own (torch's compatibility with
    # old checkpoints): not a key the checkpoint matched
    filled = sorted(k for k in set(state) - given if k.endswith('.num_batches_tracked'))
    shape = sorted({m.group(1) for e in errors for m in _SIZE_MISMATCH.finditer(e)})
    return CheckpointMatch(num_keys, tuple(missing + filled), tuple(unexpected), tuple(shape))


def checkpoint_file_problem(path: str) -> Optional[str]:
    """Why a local file cannot be a torch checkpoint, from its first bytes and its zip
    directory (no unpickling): empty, a damaged or truncated zip archive (``torch.save``'s
    format), or another format. None when it may be one.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(suffix='.pth') as f:
        ...     checkpoint_file_problem(f.name)
        'empty file (0 bytes)'
    """
    size = os.path.getsize(path)
    if size == 0:
        return 'empty file (0 bytes)'
    with open(path, 'rb') as f:
        head = f.read(4)
    if head.startswith(b'PK'):
        if not zipfile.is_zipfile(path):
            return (f'a damaged or truncated zip archive ({size} bytes; torch.save writes a '
                    f'zip archive): an interrupted download or copy?')
        return None
    if head[:1] == b'\x80':  # a pickle: torch's legacy format
        return None
    return f'not a PyTorch checkpoint (a torch.save file starts with PK, this one with {head!r})'
