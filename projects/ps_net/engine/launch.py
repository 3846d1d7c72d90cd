"""What ``tools/train.py`` and ``tools/test.py`` do to a config before building the Runner.

Kept here, not in the scripts, so the logic is testable without a shell.
"""
import logging
import os
import os.path as osp
from typing import Optional, Sequence

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.runner import find_latest_checkpoint

from ..utils.config_overrides import merge_cfg_options
from .checkpoint_loader import trusted_checkpoint_globals

__all__ = ['apply_train_args', 'apply_test_args', 'enable_exact_resume', 'resume_seed',
           'setup_cpu_distributed', 'finish_distributed']

#: The hook and worker seeding that make ``--resume`` repeat an uninterrupted run.
RANDOM_STATE_HOOK = 'mmpretrain.PSNetRandomStateHook'
WORKER_INIT_FN = 'psnet_worker_init_fn'


def _set_work_dir(cfg: Config, config_path: str, work_dir: Optional[str]) -> None:
    # Priority as in every OpenMMLab tool: CLI > the config's work_dir > config file name.
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def apply_train_args(cfg: Config, config_path: str, *, work_dir: Optional[str] = None,
                     resume: Optional[str] = None, amp: bool = False,
                     no_validate: bool = False, launcher: str = 'none',
                     cfg_options: Optional[dict] = None) -> Config:
    """Merge ``tools/train.py`` arguments into a config (in place; returned for chaining).

    Also makes resume exact (:func:`enable_exact_resume`) and, when resuming, builds the run
    with the seed of the checkpoint it continues.

    Args:
        cfg: The loaded config.
        config_path: Path of the config file (names the default work dir).
        work_dir: Where logs and checkpoints go.
        resume: ``'auto'`` (latest checkpoint of the work dir), a checkpoint path, or None.
        amp: Train with automatic mixed precision.
        no_validate: Drop the validation loop.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        cfg_options: ``--cfg-options`` overrides, merged last (a list entry may be named
            by its type: ``custom_hooks.PSNetRegionWeightHook.steps``).

    Raises:
        ValueError: for an unknown launcher or a resume path that does not exist.
    """
    _check_launcher(launcher)
    if resume not in (None, 'auto') and not osp.isfile(resume):
        raise ValueError(f'--resume: checkpoint file {resume!r} does not exist')
    cfg.launcher = launcher
    _set_work_dir(cfg, config_path, work_dir)
    if no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume is not None:
        cfg.resume, cfg.load_from = True, resume
    if cfg_options:
        merge_cfg_options(cfg, cfg_options)
    enable_exact_resume(cfg)
    if cfg.get('resume'):
        _use_resumed_seed(cfg)
    return cfg


def enable_exact_resume(cfg: Config) -> Config:
    """Add what makes ``--resume`` repeat an uninterrupted run (in place; returned).

    Adds :class:`~ps_net.engine.hooks.PSNetRandomStateHook` to ``custom_hooks`` and
    ``worker_init_fn=dict(type='psnet_worker_init_fn')`` to a ``train_dataloader`` dict, each
    only where the config does not name one already (docs/checkpoints.md, "Exact resume").
    """
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(str(h.get('type', '')).split('.')[-1] == RANDOM_STATE_HOOK.split('.')[-1]
               for h in hooks if isinstance(h, dict)):
        cfg.custom_hooks = hooks + [ConfigDict(type=RANDOM_STATE_HOOK)]
    loader = cfg.get('train_dataloader')
    if isinstance(loader, dict) and loader.get('worker_init_fn') is None:
        loader['worker_init_fn'] = ConfigDict(type=WORKER_INIT_FN)
    return cfg


def resume_seed(checkpoint: str) -> Optional[int]:
    """The ``meta['seed']`` of a training checkpoint (None when it has none).

    Loaded with the trusted weights-only unpickler (memory-mapped where the file allows).
    """
    with trusted_checkpoint_globals():
        try:
            ckpt = torch.load(checkpoint, map_location='cpu', weights_only=True, mmap=True)
        except RuntimeError:  # a legacy (non-zip) file cannot be memory-mapped
            ckpt = torch.load(checkpoint, map_location='cpu', weights_only=True)
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    seed = meta.get('seed') if isinstance(meta, dict) else None
    return None if seed is None else int(seed)


def _use_resumed_seed(cfg: Config) -> None:
    """Build the resumed run with the seed of the run it continues.

    mmengine restores the checkpoint's seed only after the dataloaders and their samplers were
    built with the config's (a random one when ``randomness.seed`` is None, the default).
    """
    checkpoint = cfg.get('load_from') or find_latest_checkpoint(cfg.work_dir)
    if not checkpoint:
        return  # --resume without a checkpoint in the work dir starts from scratch
    seed = resume_seed(checkpoint)
    randomness = cfg.get('randomness') or {}
    if seed is None or randomness.get('seed') == seed:
        return
    if randomness.get('seed') is not None:
        print_log(f'--resume: using the seed {seed} of {checkpoint}, not the config\'s '
                  f'randomness.seed={randomness["seed"]}', logger='current', level=logging.WARNING)
    cfg.randomness = dict(randomness, seed=seed)


def apply_test_args(cfg: Config, config_path: str, checkpoint: str, *,
                    work_dir: Optional[str] = None, launcher: str = 'none',
                    cfg_options: Optional[dict] = None) -> Config:
    """Merge ``tools/test.py`` arguments into a config (in place; returned for chaining).

    Raises:
        ValueError: for an unknown launcher or a checkpoint path that does not exist.
    """
    _check_launcher(launcher)
    if '://' not in checkpoint and not osp.isfile(checkpoint):
        raise ValueError(f'checkpoint file {checkpoint!r} does not exist')
    cfg.launcher = launcher
    _set_work_dir(cfg, config_path, work_dir)
    cfg.load_from = checkpoint
    if cfg_options:
        merge_cfg_options(cfg, cfg_options)
    return cfg


def setup_cpu_distributed(cfg: Config) -> bool:
    """Prepare a distributed run on a machine without a GPU (gloo, CPU DDP).

    mmengine 0.10.7's pytorch launcher calls ``torch.cuda.set_device`` and wraps the model in
    DDP with ``device_ids``, both of which fail without a GPU. When ``cfg.launcher`` is not
    ``'none'`` and CUDA is unavailable, this starts the gloo process group itself (so the
    Runner skips ``init_dist``) and selects :class:`PSNetDistributedDataParallel`.

    Returns:
        True if the CPU distributed setup was applied.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return False
    if cfg.launcher != 'pytorch':
        raise ValueError(f'CPU distributed runs support launcher "pytorch", got {cfg.launcher!r}')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(type='PSNetDistributedDataParallel',
                                     broadcast_buffers=False,
                                     find_unused_parameters=cfg.get('find_unused_parameters',
                                                                    False))
    return True


def finish_distributed() -> bool:
    """Wait for every rank, then tear the process group down (end of train.py and test.py).

    Without it each rank leaves the group to interpreter finalization, where gloo's worker
    threads may still hold work objects whose tensors need the GIL; now and then a rank then dies
    with "terminate called without an active exception" (SIGABRT) after its work is done, and
    ``torch.distributed.run`` reports the whole job as failed (pytorch PR 179291 describes the
    mechanism). Called only after success: on an error the other ranks may
    be inside a collective, and the barrier would hang them instead of letting the job fail.

    Returns:
        True if a process group was torn down, False when the run was not distributed.
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return False
    torch_dist.barrier()
    torch_dist.destroy_process_group()
    return True


def _check_launcher(launcher: str, choices: Sequence[str] = ('none', 'pytorch', 'slurm', 'mpi')
                    ) -> None:
    if launcher not in choices:
        raise ValueError(f'launcher must be one of {choices}, got {launcher!r}')
    if launcher != 'none' and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = '0'
