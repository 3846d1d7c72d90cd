"""Runner-side pieces: trusted checkpoint loading, launch helpers and hooks."""
from . import hooks  # noqa: F401  (registers the hooks)
from .checkpoint_loader import (TRUSTED_CHECKPOINT_GLOBALS, register_trusted_checkpoint_loader,
                                trusted_checkpoint_globals)

register_trusted_checkpoint_loader()

__all__ = ['TRUSTED_CHECKPOINT_GLOBALS', 'register_trusted_checkpoint_loader',
           'trusted_checkpoint_globals']
