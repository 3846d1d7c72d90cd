"""Attention blocks: PS-Net's landmark-guided attention, CBAM and SE."""
from .cbam import PSNetCBAM, PSNetChannelAttention, PSNetSE, PSNetSpatialAttention
from .landmark_attention import PSNetLandmarkAttention

__all__ = ['PSNetCBAM', 'PSNetChannelAttention', 'PSNetLandmarkAttention', 'PSNetSE',
           'PSNetSpatialAttention']
