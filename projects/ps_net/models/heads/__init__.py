"""Heads: the PS-Net landmark branch (mmpose) and the region head (mmpretrain)."""
from .landmark_head import PSNetLandmarkHead
from .region_head import PSNetRegionHead

__all__ = ['PSNetLandmarkHead', 'PSNetRegionHead']
