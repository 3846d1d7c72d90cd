"""A DistributedDataParallel wrapper that also serves CPU training (gloo)."""
from typing import Optional, Sequence

from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS
from torch import nn


@MODEL_WRAPPERS.register_module()
class PSNetDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that drops ``device_ids`` for CPU modules.

    mmengine's ``Runner.wrap_model`` always passes ``device_ids=[LOCAL_RANK]`` to a
    DistributedDataParallel subclass, which torch rejects for a module whose parameters are on
    the CPU. ``tools/train.py`` selects this wrapper when no GPU is present, so
    ``tools/dist_train.sh CONFIG N`` runs N gloo processes on a CPU machine too.

    Args:
        module: The model to wrap.
        device_ids: Forwarded to DDP for GPU modules, dropped for CPU modules.
        **kwargs: Other ``DistributedDataParallel`` arguments.
    """

    def __init__(self, module: nn.Module, device_ids: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        super().__init__(module=module, device_ids=None if on_cpu else device_ids, **kwargs)
