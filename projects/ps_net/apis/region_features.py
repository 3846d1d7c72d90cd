"""Region features of a whole data set with a trained ``PSNetRetriever`` (no Runner).

Used by the demo's top-hits picture and the analysis tools (``tools/analysis_tools/``), which
load a trained retriever with :func:`load_retriever` and a config's split with
:func:`build_dataset`; the same flat vectors as the retriever's prototype
(``[f_1..f_5, valid, category]``), plus what a picture or an index needs: the region boxes in
the model's input crop, the validity and fallback flags, and the crops themselves.
"""
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import pseudo_collate


def load_retriever(config: str, checkpoint: str) -> Tuple[object, torch.nn.Module]:
    """A ``PSNetRetriever`` (or ablation) built from ``config`` with a trained ``checkpoint``.

    The checkpoint holds both branches and the region weights, so the config's
    ``landmark_checkpoint`` is not loaded. The gallery is not extracted (``scores`` takes flat
    vectors from :func:`extract_region_features`).

    Returns:
        ``(cfg, model)``: the loaded ``mmengine.Config`` and the model in eval mode on CPU.
    """
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS

    cfg = Config.fromfile(config)  # ps_net (this package) is imported: components registered
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        cfg.model.landmark_checkpoint = None
        model = MODELS.build(cfg.model)
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return cfg, model.eval()


def build_dataset(loader_cfg: dict, **overrides):
    """The mmpretrain dataset of a config's dataloader entry, with ``overrides`` applied."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS

    ds_cfg = loader_cfg['dataset'].copy()
    ds_cfg.update(overrides)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(ds_cfg)


@torch.no_grad()
def extract_region_features(model, dataset, batch_size: int = 32,
                            limit: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Run ``model`` (a ``PSNetRetriever`` in eval mode) over ``dataset``.

    Args:
        model: the retriever; its ``data_preprocessor`` normalises the packed inputs.
        dataset: an mmpretrain dataset whose pipeline ends with ``PackInputs`` (e.g. a
            ``PlagiarizedFashionDataset`` with the config's test pipeline).
        batch_size: images per forward pass.
        limit: only the first ``limit`` items (None: all).

    Returns:
        ``flat`` ``(N, 5D + 6)`` float32 (what :meth:`PSNetRetriever.scores` takes), ``boxes``
        ``(N, 5, 4)``, ``valid`` and ``fallback`` ``(N, 5)`` bool, ``crops`` ``(N, H, W, 3)``
        uint8 RGB (the model's input before normalisation).
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size!r}')
    n = len(dataset) if limit is None else min(int(limit), len(dataset))
    out = {k: [] for k in ('flat', 'boxes', 'valid', 'fallback', 'crops')}
    model.eval()
    for start in range(0, n, batch_size):
        batch = pseudo_collate([dataset[i] for i in range(start, min(n, start + batch_size))])
        crops = torch.stack(batch['inputs']).permute(0, 2, 3, 1).numpy()
        data = model.data_preprocessor(batch, False)
        info = model.region_features(data['inputs'], data['data_samples'])
        out['flat'].append(model.flatten(info).cpu().numpy())
        out['boxes'].append(info['boxes'].cpu().numpy())
        out['valid'].append(info['valid'].cpu().numpy().astype(bool))
        out['fallback'].append(info['fallback'].cpu().numpy().astype(bool))
        # PackInputs keeps the loader's BGR channel order; the picture wants RGB
        out['crops'].append(np.ascontiguousarray(crops[..., ::-1]).astype(np.uint8))
    return {k: np.concatenate(v) for k, v in out.items()}
