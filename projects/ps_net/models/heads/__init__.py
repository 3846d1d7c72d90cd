"""Heads: the PS-Net landmark branch (mmpose)."""
from .landmark_head import PSNetLandmarkHead

__all__ = ['PSNetLandmarkHead']
