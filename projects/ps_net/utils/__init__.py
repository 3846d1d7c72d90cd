"""Small shared helpers (file writing, statistics over seeds)."""
from .atomic_io import atomic_write
from .seed_stats import aggregate_seeds

__all__ = ['atomic_write', 'aggregate_seeds']
