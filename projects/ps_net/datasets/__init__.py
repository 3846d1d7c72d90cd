"""Datasets: the Plagiarized Fashion format, DeepFashion2/FLD/In-shop readers, the synthetic set."""
from .category_map import CCP_TO_DF2
from .ccp import CCP_SPLITS, CCPFormatError, ccp_to_coco
from .deepfashion2_pf import DF2PFReport, df2_to_pf, write_df2_pf
from .deepfashion2_pose import PSNetDeepFashion2Dataset
from .deepfashion2 import (DF2FormatError, df2_coco_categories, df2_keypoints_294, df2_to_coco,
                           read_df2_anno, write_coco_json)
from .fld import FLD_NUM_KEYPOINTS, FLDFormatError, load_fld_coco
from .pf_format import check_pf, load_pf, validate_pf
from .plagiarized_fashion import PlagiarizedFashionDataset
from .samplers import PSNetDesignSampler
from . import transforms  # noqa: F401  (registers PSNetGarmentCrop)
from .synthetic import SyntheticConfig, generate_synthetic, settings_hash

__all__ = [
    'check_pf', 'load_pf',
    'validate_pf', 'PlagiarizedFashionDataset', 'DF2FormatError', 'df2_coco_categories',
    'df2_keypoints_294', 'df2_to_coco', 'read_df2_anno', 'write_coco_json',
    'FLD_NUM_KEYPOINTS', 'FLDFormatError', 'load_fld_coco', 'SyntheticConfig',
    'generate_synthetic', 'settings_hash', 'PSNetDeepFashion2Dataset', 'CCP_TO_DF2',
    'CCP_SPLITS', 'CCPFormatError', 'ccp_to_coco', 'PSNetDesignSampler', 'DF2PFReport',
    'df2_to_pf', 'write_df2_pf'
]
