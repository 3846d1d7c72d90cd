"""Datasets: the Plagiarized Fashion format, DeepFashion2/FLD/In-shop readers, the synthetic set."""
from .category_map import DF2_CATEGORIES, DF2_TO_PSNET, PSNET_CATEGORIES, df2_to_psnet
from .df2_layout import DF2_NUM_KEYPOINTS, DF2_NUM_SLOTS, df2_slot_range
from .pf_format import PF_CATEGORIES, PF_REGIONS, check_pf, load_pf, validate_pf
from .plagiarized_fashion import PlagiarizedFashionDataset

__all__ = [
    'DF2_CATEGORIES', 'DF2_TO_PSNET', 'PSNET_CATEGORIES', 'df2_to_psnet', 'DF2_NUM_KEYPOINTS',
    'DF2_NUM_SLOTS', 'df2_slot_range', 'PF_CATEGORIES', 'PF_REGIONS', 'check_pf', 'load_pf',
    'validate_pf', 'PlagiarizedFashionDataset'
]
