"""Metrics: plagiarism retrieval (Recall@K, HitRate@K, mAP), the CBAM paper's P@K, landmark
errors (NE) and DeepFashion2 keypoint AP."""
from .df2_keypoint_ap import DF2_OKS_SIGMAS, PSNetDF2CocoMetric
from .landmark_ne import PSNetNormalizedError
from .plagiarism import PSNetPlagiarismMetric
from .precision_at_k import PSNetPrecisionAtK

__all__ = ['PSNetNormalizedError', 'PSNetDF2CocoMetric', 'DF2_OKS_SIGMAS',
           'PSNetPlagiarismMetric', 'PSNetPrecisionAtK']
