"""Names every layer shares, defined once: regions, categories, the DeepFashion2 keypoint
layout, and eq. 1 (the region similarity that models, metrics and the index all compute).

This package imports nothing else of ``ps_net``, so datasets, models, engine, evaluation,
apis and visualization may all import it.
"""
from .categories import (DF2_CATEGORIES, DF2_SEARCHED, DF2_SLEEVELESS, DF2_TO_PSNET,
                         PSNET_CATEGORIES, df2_to_psnet)
from .df2_layout import (DF2_CHAIN_COUNTS, DF2_LOWER_BODY, DF2_NUM_KEYPOINTS, DF2_NUM_SLOTS,
                         df2_chain_length, df2_flip_indices, df2_side_chains, df2_slot_range)
from .fld_layout import FLD_KEYPOINTS, df2_to_fld
from .region_similarity import region_similarity
from .regions import REGIONS, SLEEVE_PAIR

__all__ = [
    'DF2_CATEGORIES', 'DF2_SEARCHED', 'DF2_SLEEVELESS', 'DF2_TO_PSNET', 'PSNET_CATEGORIES',
    'df2_to_psnet', 'DF2_CHAIN_COUNTS', 'DF2_LOWER_BODY', 'DF2_NUM_KEYPOINTS', 'DF2_NUM_SLOTS',
    'df2_chain_length', 'df2_flip_indices', 'df2_side_chains', 'df2_slot_range', 'FLD_KEYPOINTS',
    'df2_to_fld', 'region_similarity', 'REGIONS', 'SLEEVE_PAIR'
]
