"""Evaluation: retrieval and landmark metrics (registered into mmpretrain / mmpose)."""
