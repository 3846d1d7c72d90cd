"""Models: wrappers now; heads, attention, regions, losses and retrievers in later issues."""
from .wrappers import PSNetDistributedDataParallel

__all__ = ['PSNetDistributedDataParallel']
