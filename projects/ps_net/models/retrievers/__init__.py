"""Retrievers: PS-Net (eq. 1 similarity over five region features)."""
from .ps_net import PSNetRetriever
from .similarity import region_similarity

__all__ = ['PSNetRetriever', 'region_similarity']
