"""Hooks (the region-weight coordinate-ascent hook of PS-Net)."""
from .gallery_hook import PSNetGalleryHook
from .region_weight_hook import PSNetRegionWeightHook

__all__ = ['PSNetGalleryHook', 'PSNetRegionWeightHook']
