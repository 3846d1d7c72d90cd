"""Seeds of a training run as functions of (seed, progress), so a resumed run repeats them.

mmengine 0.10.7 seeds the process once (``randomness.seed``) and gives every dataloader worker
``seed + worker_id + num_workers * rank`` (``mmengine.dataset.worker_init_fn``): the same seeds
in every epoch, and after ``--resume`` the streams of epoch 0 again. Here every stream is
derived from the run's seed and where the run is:

* :func:`derive_seed` maps integer keys (the run's seed, a stream id, the epoch or iteration,
  the rank) to a 63-bit seed with numpy's ``SeedSequence``;
* :func:`seed_all` seeds python ``random``, numpy's global generator and torch (CPU and every
  CUDA device) with one seed;
* :func:`psnet_worker_init_fn` (registered in mmengine's ``FUNCTIONS`` as
  ``'psnet_worker_init_fn'``) seeds a dataloader worker from the seed torch gave it,
  ``base_seed + worker_id``, instead of overriding it as mmengine's default does; with
  :class:`~ps_net.engine.hooks.PSNetRandomStateHook` the base seed is
  ``derive_seed(seed, WORKER_STREAM, epoch, rank)``.
"""
import random

import numpy as np
import torch
from mmengine.registry import FUNCTIONS
from torch.utils.data import get_worker_info

__all__ = ['EPOCH_STREAM', 'ITERATION_STREAM', 'WORKER_STREAM', 'derive_seed', 'seed_all',
           'psnet_worker_init_fn']

#: Stream ids (second key of :func:`derive_seed`): the main process before every training
#: iteration and before every epoch, and the base seed of an epoch's dataloader workers.
ITERATION_STREAM, WORKER_STREAM, EPOCH_STREAM = 1, 2, 3

_SEED_BITS = 63  # fits torch.Generator.manual_seed, python random and numpy alike


def derive_seed(*keys: int) -> int:
    """A seed in ``[0, 2**63)`` that depends on every key and on their order.

    Args:
        *keys: integers (a negative one is taken modulo ``2**64``).

    Example:
        >>> derive_seed(0, 1, 5) == derive_seed(0, 1, 5) != derive_seed(0, 1, 6)
        True
    """
    if not keys:
        raise ValueError('derive_seed needs at least one key')
    words = [int(k) % 2**64 for k in keys]
    state = np.random.SeedSequence(words).generate_state(1, np.uint64)
    return int(state[0]) >> (64 - _SEED_BITS)


def seed_all(seed: int) -> None:
    """Seed python ``random``, numpy's global generator and torch (CPU and CUDA) with ``seed``.

    numpy's legacy generator takes 32-bit words, so it is seeded with four words drawn from
    ``SeedSequence(seed)`` (all 64 bits of the seed count).
    """
    seed = int(seed)
    random.seed(seed)
    np.random.seed(np.random.SeedSequence(seed % 2**64).generate_state(4))
    torch.manual_seed(seed % 2**64)


@FUNCTIONS.register_module(name='psnet_worker_init_fn')
def psnet_worker_init_fn(worker_id: int) -> None:
    """Seed a dataloader worker from the seed torch gave it (``base_seed + worker_id``).

    ``torch.utils.data`` draws ``base_seed`` once per iterator, from the loader's ``generator``
    (set per epoch by :class:`~ps_net.engine.hooks.PSNetRandomStateHook`) or the global torch
    generator: so each epoch's workers get fresh seeds, reproduced by a resumed run. Use it as
    ``train_dataloader = dict(..., worker_init_fn=dict(type='psnet_worker_init_fn'))``.
    """
    info = get_worker_info()
    if info is None:
        raise RuntimeError('psnet_worker_init_fn runs in a dataloader worker only')
    seed_all(info.seed)
