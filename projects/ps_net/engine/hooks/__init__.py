"""Hooks: galleries per loop, learned (coordinate ascent) and manual PS-Net region weights."""
from .ensemble_checkpoint_hook import PSNetEnsembleCheckpointHook
from .gallery_hook import PSNetGalleryHook
from .manual_region_weight_hook import PSNetManualRegionWeightHook, manual_weight_table
from .region_weight_hook import PSNetRegionWeightHook

__all__ = ['PSNetEnsembleCheckpointHook', 'PSNetGalleryHook', 'PSNetManualRegionWeightHook',
           'PSNetRegionWeightHook', 'manual_weight_table']
