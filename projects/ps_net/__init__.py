"""ps_net: fashion plagiarism retrieval as an OpenMMLab plugin.

Importing the package registers its components into the OpenMMLab registries (datasets into
mmpretrain, the CPU-capable DDP wrapper into mmengine) and the trusted checkpoint loader that
lets mmengine resume and load checkpoints under torch >= 2.6. Configs import it with
``custom_imports=dict(imports=['ps_net'], allow_failed_imports=False)``.
"""
from . import apis, datasets, engine, evaluation, models, structures, utils, visualization  # noqa: F401
from .version import __version__

__all__ = ['__version__']
