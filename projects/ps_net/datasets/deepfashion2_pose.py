"""PSNetDeepFashion2Dataset: mmpose's DeepFashion2 dataset with a two-sided flip table.

mmpose's DeepFashion2 metainfo lists vest keypoint 9 -> 13 one way only, so its ``flip_indices``
map slot 140 (vest keypoint 13) to itself and a flipped vest keeps that point on the wrong side
(in flip augmentation and in flip test). This subclass takes mmpose's metainfo unchanged except
for ``flip_indices`` and ``flip_pairs``, which come from
:func:`ps_net.structures.df2_layout.df2_flip_indices` (derived from the keypoint order and tested
against mmpose's table: they differ in that one slot).
"""
from mmpose.datasets import DeepFashion2Dataset
from mmpose.registry import DATASETS

from ..structures.df2_layout import DF2_NUM_SLOTS, df2_flip_indices


@DATASETS.register_module()
class PSNetDeepFashion2Dataset(DeepFashion2Dataset):
    """DeepFashion2 (COCO layout, 294 slots) for mmpose, with the fixed flip table."""

    @classmethod
    def _load_metainfo(cls, metainfo: dict = None) -> dict:
        metainfo = super()._load_metainfo(metainfo)
        if metainfo.get('num_keypoints') == DF2_NUM_SLOTS:
            flip = df2_flip_indices()
            metainfo['flip_indices'] = flip
            metainfo['flip_pairs'] = [[i, j] for i, j in enumerate(flip) if i < j]
        return metainfo
