"""Small shared helpers (file writing, statistics over seeds, ``--cfg-options``)."""
from .atomic_io import atomic_write
from .config_overrides import merge_cfg_options, resolve_type_keys, type_index
from .seed_stats import aggregate_seeds

__all__ = ['atomic_write', 'aggregate_seeds', 'merge_cfg_options', 'resolve_type_keys',
           'type_index']
