"""Metrics: the plagiarism retrieval metric (Recall@K, HitRate@K, mAP) and landmark errors."""
from .df2_keypoint_ap import DF2_OKS_SIGMAS, PSNetDF2CocoMetric
from .landmark_ne import PSNetNormalizedError

__all__ = ['PSNetNormalizedError', 'PSNetDF2CocoMetric', 'DF2_OKS_SIGMAS']
