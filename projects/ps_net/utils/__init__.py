"""Small shared helpers (file writing)."""
from .atomic_io import atomic_write

__all__ = ['atomic_write']
