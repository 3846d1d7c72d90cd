"""Retrievers: PS-Net (eq. 1 similarity over five region features), its PCB and Ensemble
baselines, and the CBAM paper's triplet-loss ResNet50 / SE-ResNet50 / CBAM-ResNet50
(Euclidean ranking)."""
from .ensemble import PSNetEnsembleCheckpointHook, PSNetEnsembleRetriever
from .pcb import PSNetPCBRetriever
from .ps_net import PSNetRetriever
from .similarity import region_similarity
from .triplet_retriever import PSNetTripletRetriever, euclidean_distance, triplet_loss

__all__ = ['PSNetRetriever', 'PSNetPCBRetriever', 'PSNetEnsembleRetriever',
           'PSNetEnsembleCheckpointHook', 'region_similarity', 'PSNetTripletRetriever',
           'euclidean_distance', 'triplet_loss']
