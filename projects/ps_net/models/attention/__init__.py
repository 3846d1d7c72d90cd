"""Attention blocks: PS-Net's landmark-guided attention, CBAM and SE."""
from .cbam import (ATTENTION_BLOCKS, PSNetCBAM, PSNetChannelAttention, PSNetSE,
                   PSNetSpatialAttention, check_attention_args)
from .landmark_attention import PSNetLandmarkAttention

__all__ = ['ATTENTION_BLOCKS', 'PSNetCBAM', 'PSNetChannelAttention', 'PSNetLandmarkAttention',
           'PSNetSE', 'PSNetSpatialAttention', 'check_attention_args']
