"""Necks: HRNet branches -> the feature map F shared by both PS-Net branches."""
from .feature_neck import PSNetFeatureNeck

__all__ = ['PSNetFeatureNeck']
