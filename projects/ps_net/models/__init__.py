"""Models: the landmark branch (neck + head, mmpose), wrappers; retrieval parts in issue 4."""
from .heads import PSNetLandmarkHead
from .necks import PSNetFeatureNeck
from .wrappers import PSNetDistributedDataParallel

__all__ = ['PSNetDistributedDataParallel', 'PSNetFeatureNeck', 'PSNetLandmarkHead']
