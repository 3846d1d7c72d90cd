from .distributed import PSNetDistributedDataParallel

__all__ = ['PSNetDistributedDataParallel']
