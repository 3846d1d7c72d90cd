"""Hooks: galleries per loop, learned (coordinate ascent) and manual PS-Net region weights,
random streams that a resumed run repeats."""
from .ensemble_checkpoint_hook import PSNetEnsembleCheckpointHook
from .gallery_hook import PSNetGalleryHook
from .manual_region_weight_hook import PSNetManualRegionWeightHook, manual_weight_table
from .random_state_hook import PSNetRandomStateHook
from .region_weight_hook import PSNetRegionWeightHook

__all__ = ['PSNetEnsembleCheckpointHook', 'PSNetGalleryHook', 'PSNetManualRegionWeightHook',
           'PSNetRandomStateHook', 'PSNetRegionWeightHook', 'manual_weight_table']
