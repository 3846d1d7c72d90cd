"""Metrics: the plagiarism retrieval metric (Recall@K, HitRate@K, mAP) and landmark errors."""
