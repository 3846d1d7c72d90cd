"""Backbones: mmpretrain's ResNet with CBAM / SE after the stem and the last stage."""
from .attention_resnet import PSNetAttentionResNet

__all__ = ['PSNetAttentionResNet']
