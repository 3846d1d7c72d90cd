"""Retrievers: PS-Net (eq. 1 similarity over five region features), its PCB and Ensemble
baselines, and the CBAM paper's triplet-loss ResNet50 / SE-ResNet50 / CBAM-ResNet50
(Euclidean ranking), and the global copy-detection baseline."""
from .copy_detection import PSNetCopyDetectionRetriever
from .ensemble import PSNetEnsembleRetriever
from .pcb import PSNetPCBRetriever
from .ps_net import PSNetRetriever
from .template_regions import PSNetTemplateRetriever
from .triplet_retriever import PSNetTripletRetriever, euclidean_distance

__all__ = ['PSNetCopyDetectionRetriever', 'PSNetRetriever', 'PSNetTemplateRetriever', 'PSNetPCBRetriever', 'PSNetEnsembleRetriever',
           'PSNetTripletRetriever', 'euclidean_distance']
