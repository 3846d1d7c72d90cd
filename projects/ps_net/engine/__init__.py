"""Runner-side pieces: trusted checkpoint loading, launch helpers, worker seeding and hooks."""
from . import hooks  # noqa: F401  (registers the hooks)
from . import worker_seeding  # noqa: F401  (registers psnet_worker_init_fn)
from .checkpoint_loader import (TRUSTED_CHECKPOINT_GLOBALS, register_trusted_checkpoint_loader,
                                trusted_checkpoint_globals)

register_trusted_checkpoint_loader()

__all__ = ['TRUSTED_CHECKPOINT_GLOBALS', 'register_trusted_checkpoint_loader',
           'trusted_checkpoint_globals']
