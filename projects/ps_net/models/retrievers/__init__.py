"""Retrievers: PS-Net (eq. 1 similarity over five region features), its PCB and Ensemble
baselines, and the CBAM paper's triplet-loss ResNet50 / SE-ResNet50 / CBAM-ResNet50
(Euclidean ranking)."""
from .ensemble import PSNetEnsembleRetriever
from .pcb import PSNetPCBRetriever
from .ps_net import PSNetRetriever
from .triplet_retriever import PSNetTripletRetriever, euclidean_distance

__all__ = ['PSNetRetriever', 'PSNetPCBRetriever', 'PSNetEnsembleRetriever',
           'PSNetTripletRetriever', 'euclidean_distance']
