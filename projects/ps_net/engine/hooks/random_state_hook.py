"""PSNetRandomStateHook: random streams that a resumed training run repeats exactly.

A run killed after epoch ``e``'s checkpoint and resumed with ``--resume`` restores the weights,
optimizer, schedulers and message hub, but not where the random streams were: the python,
numpy and torch generators of the main process (moved on by every iterator a validation or
gallery loader created after the checkpoint, and by the model's own draws) and those of the
dataloader workers (mmengine seeds them with ``seed + worker_id`` whenever they start). This
hook makes every stream a function of the run's seed and its progress, so none needs saving:

* ``before_train_epoch``: the train loader's ``generator`` is seeded with
  ``derive_seed(seed, WORKER_STREAM, epoch, rank)``; torch draws the epoch's worker base seed
  from it, and :func:`~ps_net.engine.worker_seeding.psnet_worker_init_fn` seeds worker ``i``
  from ``base_seed + i`` (python, numpy, torch). The main process (python ``random``, numpy,
  torch on CPU and CUDA) is seeded with ``derive_seed(seed, EPOCH_STREAM, epoch)``: with
  ``num_workers=0`` it loads the epoch's first batch next;
* ``before_train_iter``: the main process is seeded with
  ``derive_seed(seed, ITERATION_STREAM, iter)``.

``seed`` is ``runner.seed`` (the checkpoint's seed after a resume; rank-dependent with
``randomness.diff_rank_seed``). The sampler (``set_epoch``), the region-weight hook (weights in
a buffer, step from the epoch) and the miners (generators seeded from the batch) keep no other
state. Persistent workers carry their random state across epochs in processes a kill ends, so
the hook warns about them: set ``persistent_workers=False`` for exact resume.

Tested on epoch-based loops (``tests/test_engine/test_exact_resume.py``). An
``IterBasedTrainLoop`` resumes by drawing from a new loader the batches it already trained on;
with ``num_workers=0`` their random transforms run on the main process's stream between two
hook points, so the batches after the resume differ.
"""
from typing import Optional

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from torch.utils.data import DataLoader

from ..worker_seeding import (EPOCH_STREAM, ITERATION_STREAM, WORKER_STREAM, derive_seed,
                              seed_all)


@HOOKS.register_module()
class PSNetRandomStateHook(Hook):
    """Seed the main process per iteration and the dataloader workers per epoch.

    See the module docstring; ``tools/train.py`` adds this hook and
    ``worker_init_fn=dict(type='psnet_worker_init_fn')`` to every training config that lacks
    them (:func:`~ps_net.engine.launch.enable_exact_resume`).
    """

    priority = 'VERY_HIGH'  # before any other hook of the iteration draws a random number

    @staticmethod
    def _train_loader(runner) -> Optional[DataLoader]:
        loader = getattr(runner.train_loop, 'dataloader', None)
        return loader if isinstance(loader, DataLoader) else None

    def before_train(self, runner) -> None:
        loader = self._train_loader(runner)
        if loader is not None and loader.num_workers > 0 and loader.persistent_workers:
            runner.logger.warning(
                'train_dataloader has persistent_workers=True: its workers keep their random '
                'state across epochs and a resumed run restarts them, so --resume will not '
                'repeat an uninterrupted run; set persistent_workers=False for exact resume')

    def before_train_epoch(self, runner) -> None:
        loader = self._train_loader(runner)
        if loader is not None:
            loader.generator = torch.Generator().manual_seed(
                derive_seed(runner.seed, WORKER_STREAM, runner.epoch, get_rank()))
        seed_all(derive_seed(runner.seed, EPOCH_STREAM, runner.epoch))

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        seed_all(derive_seed(runner.seed, ITERATION_STREAM, runner.iter))
