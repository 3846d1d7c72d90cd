"""Models: landmark branch (mmpose neck + head), attention, backbones, regions, losses and the
PS-Net retriever (mmpretrain), and the CPU-capable DDP wrapper."""
from .attention import (PSNetCBAM, PSNetChannelAttention, PSNetLandmarkAttention, PSNetSE,
                        PSNetSpatialAttention)
from .backbones import PSNetAttentionResNet, PSNetEfficientNetLite
from .heads import PSNetLandmarkHead
from .losses import PSNetRegionTripletLoss
from .necks import PSNetFeatureNeck
from .regions import RegionPooling, divide_regions
from .retrievers import (PSNetCopyDetectionRetriever, PSNetEnsembleRetriever,
                         PSNetPCBRetriever, PSNetRetriever, PSNetTemplateRetriever,
                         PSNetTripletRetriever)
from .wrappers import PSNetDistributedDataParallel

__all__ = [
    'PSNetCBAM', 'PSNetChannelAttention', 'PSNetLandmarkAttention', 'PSNetSE',
    'PSNetSpatialAttention', 'PSNetAttentionResNet', 'PSNetLandmarkHead',
    'PSNetRegionTripletLoss', 'PSNetFeatureNeck', 'RegionPooling', 'divide_regions',
    'PSNetRetriever', 'PSNetPCBRetriever', 'PSNetEnsembleRetriever', 'PSNetTripletRetriever',
    'PSNetCopyDetectionRetriever', 'PSNetEfficientNetLite', 'PSNetTemplateRetriever',
    'PSNetDistributedDataParallel'
]
