"""Garments in images -> PS-Net region features on onnxruntime (the exported model).

:class:`OnnxGarmentEmbedder` has :class:`~ps_net.apis.GarmentEmbedder`'s interface
(``load_image``, ``pack``, ``embed``, ``categories``, ``fingerprint``) and its results, but
runs the two graphs of ``tools/deployment/pytorch2onnx.py`` in onnxruntime, with the region
step between them in Python (:class:`~ps_net.deploy.RegionDecoder`, the retriever's own
landmark decode and region division, or the fixed per-category boxes of a model without
landmarks, :class:`~ps_net.deploy.FixedRegionLayout`). It needs no PyTorch weights: the first
graph's metadata carries the test pipeline, the region step, the categories, the region
weights and the fingerprint of the weights it was exported from, so a gallery index built with the PyTorch model is searched with its export
(and an index of another model is refused, as with PyTorch).

``GarmentEmbedder(config, 'model.onnx')`` returns one of these, so ``PSNetSearcher`` and
``tools/search.py --backend onnx`` use it unchanged.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from .garment_embedder import GarmentEmbedder


def onnxruntime_providers(device: str) -> List:
    """onnxruntime execution providers for a torch-style device string.

    Example:
        >>> onnxruntime_providers('cpu')
        ['CPUExecutionProvider']
    """
    import onnxruntime as ort
    kind, _, index = str(device).partition(':')
    if kind == 'cpu':
        return ['CPUExecutionProvider']
    if kind == 'cuda':
        if 'CUDAExecutionProvider' not in ort.get_available_providers():
            raise ValueError(f'device {device!r}: this onnxruntime has no CUDAExecutionProvider '
                             f'(install onnxruntime-gpu), only {ort.get_available_providers()}')
        return [('CUDAExecutionProvider', dict(device_id=int(index or 0))),
                'CPUExecutionProvider']
    raise ValueError(f"device must be 'cpu' or 'cuda[:N]', got {device!r}")


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


class OnnxGarmentEmbedder(GarmentEmbedder):
    """The exported PS-Net embedding model with the interface of :class:`GarmentEmbedder`.

    Args:
        config: None, or the retriever config the model was exported from: when it names an
            existing file, its test pipeline must equal the export's (a guard against pairing
            a model with another config's crops); the export's own pipeline is used.
        checkpoint: The first graph's ``.onnx`` file; the second is found beside it.
        device: ``'cpu'`` or ``'cuda[:N]'`` (onnxruntime-gpu).
        num_threads: onnxruntime's intra-op threads (None: its default, every core).

    Attributes:
        fingerprint: The fingerprint of the PyTorch weights the graphs were exported from.
        metadata: The export's metadata (:func:`~ps_net.deploy.read_embedding_metadata`).
        region_weights: ``(categories, R)`` float32, the retriever's at export.
        sessions: The two ``onnxruntime.InferenceSession`` (backbone, head).

    Raises:
        ValueError: not a PS-Net export, a missing or altered second graph, or a config whose
            test pipeline differs from the export's.
    """

    def __init__(self, config: Optional[str], checkpoint: str, device: str = 'cpu',
                 num_threads: Optional[int] = None) -> None:
        import onnxruntime as ort
        from ..deploy import read_embedding_metadata, region_step

        checkpoint = os.fspath(checkpoint)
        if not osp.isfile(checkpoint):
            raise ValueError(f'{checkpoint} is not a file')
        meta = read_embedding_metadata(checkpoint)
        files = meta['partition_files']
        for part, path in zip(meta['partitions'][1:], files[1:]):
            if not osp.isfile(path):
                raise ValueError(f'{checkpoint}: its {part["name"]} graph {path} is missing '
                                 f'(export both with tools/deployment/pytorch2onnx.py)')
            if _sha256(path) != part['sha256']:
                raise ValueError(f'{path} is not the {part["name"]} graph exported with '
                                 f'{checkpoint} (sha256 differs): export them again together')
        if config is not None and osp.isfile(os.fspath(config)):
            self._check_config(os.fspath(config), meta['test_pipeline'], checkpoint)
        self.cfg = None
        self.metadata = meta
        self.fingerprint = meta['fingerprint']
        self._region_weights = np.asarray(meta['region_weights'], np.float32)
        self._build_pipeline(meta['test_pipeline'], checkpoint)
        self._regions = region_step(meta)
        self._categories = tuple(meta['categories'])
        options = ort.SessionOptions()
        if num_threads is not None:
            options.intra_op_num_threads = int(num_threads)
            options.inter_op_num_threads = 1
        providers = onnxruntime_providers(device)
        self.sessions = [ort.InferenceSession(p, options, providers=providers) for p in files]

    @staticmethod
    def _check_config(config: str, exported: list, checkpoint: str) -> None:
        from mmengine.config import Config, ConfigDict
        pipeline = [t.to_dict() if isinstance(t, ConfigDict) else t
                    for t in Config.fromfile(config).test_dataloader.dataset.pipeline]
        if json.loads(json.dumps(pipeline)) != exported:
            raise ValueError(f'{config}: its test pipeline differs from the one {checkpoint} '
                             f'was exported with')

    @property
    def categories(self) -> tuple:
        """The exported retriever's PS-Net categories (rows of its region weights)."""
        return self._categories

    @property
    def region_weights(self) -> np.ndarray:
        """The exported retriever's region weights lambda, ``(categories, R)`` float32."""
        return self._region_weights

    def _run(self, part: int, *arrays: np.ndarray) -> List[np.ndarray]:
        session = self.sessions[part]
        return session.run(None, {i.name: a for i, a in zip(session.get_inputs(), arrays)})

    def forward_crops(self, crops: np.ndarray, data_samples: Optional[Sequence] = None
                      ) -> Dict[str, np.ndarray]:
        """Both graphs and the region division on a stacked batch of packed crops.

        Args:
            crops: ``(B, 3, H, W)`` uint8 BGR, ``PackInputs``' ``inputs`` stacked.
            data_samples: Their data samples (the category hints), or None.

        Returns:
            ``feature_map`` (F'), ``feats`` ``(B, R, D)``, ``boxes`` (crop pixels), ``valid``,
            ``fallback``, ``category`` (index into :attr:`categories`) and, for a model with
            landmarks, ``heatmaps``.
        """
        crops = np.ascontiguousarray(crops)
        if crops.dtype != np.uint8 or crops.ndim != 4:
            raise ValueError(f'crops must be (B, 3, H, W) uint8, got {crops.dtype} '
                             f'{crops.shape}')
        outputs = self._run(0, crops)
        if len(outputs) == 2:
            info = self._regions(torch.from_numpy(outputs[0]), data_samples)
        else:
            info = self._regions(len(crops), data_samples)
        feats, = self._run(1, outputs[-1], info['boxes'].numpy(), info['valid'].numpy())
        out = {k: v.numpy() for k, v in info.items()}
        out.update(feature_map=outputs[-1], feats=feats)
        if len(outputs) == 2:
            out['heatmaps'] = outputs[0]
        return out

    def embed(self, packed: Sequence[dict], batch_size: int = 32) -> Dict[str, np.ndarray]:
        """Region features of packed garments (:meth:`pack`): the arrays of
        :meth:`GarmentEmbedder.embed`, from onnxruntime."""
        from ..models.heads import PSNetRegionHead
        if not len(packed):
            raise ValueError('no garments to embed')
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size!r}')
        packed = list(packed)
        out = {k: [] for k in ('flat', 'boxes', 'valid', 'fallback', 'crops')}
        for start in range(0, len(packed), batch_size):
            chunk = packed[start:start + batch_size]
            crops = np.stack([np.asarray(p['inputs']) for p in chunk])
            res = self.forward_crops(crops, [p['data_samples'] for p in chunk])
            out['flat'].append(PSNetRegionHead.flatten(
                torch.from_numpy(res['feats']), torch.from_numpy(res['valid']),
                torch.from_numpy(res['category'])).numpy())
            out['boxes'].append(res['boxes'])
            out['valid'].append(res['valid'].astype(bool))
            out['fallback'].append(res['fallback'].astype(bool))
            # PackInputs keeps the loader's BGR channel order; the picture wants RGB
            out['crops'].append(np.ascontiguousarray(crops.transpose(0, 2, 3, 1)[..., ::-1]))
        return self._in_image({k: np.concatenate(v) for k, v in out.items()}, packed)
