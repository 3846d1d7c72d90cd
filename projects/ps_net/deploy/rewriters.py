"""Export-time rewrites of PS-Net modules (mmdeploy's function rewriters, in the small).

Two things in the PyTorch model do not pass ``torch.onnx.export`` (torch 2.14):

* ``PSNetFeatureNeck`` sizes ``F.adaptive_avg_pool2d`` by another map's traced shape, which the
  TorchScript exporter refuses ("output_size is not constant"); the spatial size of a PS-Net
  input is fixed by its config, so the rewrite passes that size as Python ints (the same op and
  values, a constant in the graph);
* the region head pools with mmcv's ``RoIAlign``, whose ONNX symbolic exists only at opset
  <= 12 (and not at all in the dynamo exporter); mmcv's own ``use_torchvision`` switch makes it
  call ``torchvision.ops.roi_align`` with the same output size, scale, sampling ratio and
  ``aligned=True`` (the same values: ``tests/test_deploy``), which exports to ONNX ``RoiAlign``
  (opset >= 16 for its ``half_pixel`` mode).

:func:`export_rewrites` applies both for the duration of an export and restores the model and
``torch.nn.functional`` afterwards, whatever happens.
"""
import contextlib
from typing import Iterator

import torch.nn.functional as F
from torch import nn


def _static_adaptive_avg_pool2d(pool):
    def rewritten(input, output_size):  # noqa: A002  (torch's own argument name)
        if isinstance(output_size, (tuple, list)):
            output_size = tuple(int(s) for s in output_size)
        return pool(input, output_size)

    return rewritten


@contextlib.contextmanager
def export_rewrites(model: nn.Module) -> Iterator[nn.Module]:
    """Make ``model`` exportable while the context lasts (module docstring).

    Args:
        model: A PS-Net retriever (or any module); every mmcv ``RoIAlign`` in it is switched
            to torchvision's kernel.

    Yields:
        ``model`` itself.
    """
    from mmcv.ops import RoIAlign
    switched = [m for m in model.modules() if isinstance(m, RoIAlign) and not m.use_torchvision]
    pool = F.adaptive_avg_pool2d
    F.adaptive_avg_pool2d = _static_adaptive_avg_pool2d(pool)
    for m in switched:
        m.use_torchvision = True
    try:
        yield model
    finally:
        F.adaptive_avg_pool2d = pool
        for m in switched:
            m.use_torchvision = False
