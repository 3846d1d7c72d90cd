"""Garments in images -> PS-Net region features, through the config's own test pipeline.

:class:`GarmentEmbedder` loads a trained retriever (:func:`~ps_net.apis.region_features.
load_retriever`) and the test pipeline of its config without the image loading step
(``PSNetGarmentCrop`` -> ``PackInputs``), the way mmpretrain's inferencers reuse a config's
pipeline. An image is read with the config's ``LoadImageFromFile`` (same decoder and flags), so a
garment embedded here gets the same features as in the config's data set. The crop's
``input_center`` / ``input_scale`` map the region boxes the landmark branch found in the crop
back to the photo (:func:`~ps_net.datasets.transforms.garment_crop.crop_to_image`).
"""
import copy
import os
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch

from ..datasets.transforms.garment_crop import crop_to_image
from ..index import model_fingerprint
from ..structures import DF2_CATEGORIES, df2_to_psnet
from .region_features import extract_region_features, load_retriever

#: An image: a path, encoded bytes (JPEG, PNG, ...) or a BGR uint8 ``(H, W, 3)`` array.
ImageSource = Union[str, os.PathLike, bytes, bytearray, memoryview, np.ndarray]

#: Meta keys the crop must carry to map region boxes back to the image.
_CROP_KEYS = ('input_center', 'input_scale')


class UnsearchableGarment(ValueError):
    """A garment of a category the retriever does not search (outside PS-Net's four, e.g.
    DeepFashion2 trousers, shorts, skirts)."""


def garment_name(category: Optional[str], df2_category_id: Optional[int]) -> str:
    """A garment's category for people: its DeepFashion2 name when known, else its PS-Net
    category, else ``'garment'``."""
    if df2_category_id is not None:
        return DF2_CATEGORIES.get(int(df2_category_id),
                                  f'DeepFashion2 category {df2_category_id}')
    return category or 'garment'


class GarmentEmbedder:
    """A trained PS-Net retriever and its config's test pipeline, for garments in photos.

    Args:
        config: Path of a PS-Net retriever config whose ``test_dataloader`` pipeline loads the
            image, crops the garment (``PSNetGarmentCrop``) and packs it (``PackInputs``).
        checkpoint: Its trained checkpoint, or the ``.onnx`` export of it
            (``tools/deployment/pytorch2onnx.py``): then an :class:`OnnxGarmentEmbedder`.
        device: torch device of the model.

    Attributes:
        cfg: The loaded config. model: The retriever, in eval mode.
        fingerprint: :func:`~ps_net.index.model_fingerprint` of the model's weights (what a
            gallery index built with this model records).
    """

    def __new__(cls, config: Optional[str] = None, checkpoint: Optional[str] = None,
                *args, **kwargs):
        """``GarmentEmbedder(config, 'model.onnx')`` gives the onnxruntime backend
        (:class:`~ps_net.apis.OnnxGarmentEmbedder`), so every user of the embedder (the
        searcher, the index builder) runs an exported model with the same calls."""
        if cls is GarmentEmbedder and os.fspath(checkpoint or '').endswith('.onnx'):
            from .onnx_embedder import OnnxGarmentEmbedder
            cls = OnnxGarmentEmbedder
        return super().__new__(cls)

    def __init__(self, config: str, checkpoint: str, device: str = 'cpu') -> None:
        self.cfg, model = load_retriever(config, checkpoint)
        self.model = model.to(device)
        self.fingerprint = model_fingerprint(self.model.state_dict())
        self._build_pipeline(self.cfg.test_dataloader.dataset.pipeline, config)

    def _build_pipeline(self, pipeline: Sequence[dict], source: str) -> None:
        """The image loader and the rest of the test ``pipeline`` (of config ``source``)."""
        from mmcv.transforms import Compose
        from mmengine.registry import DefaultScope
        from mmpretrain.datasets import remove_transform
        from mmpretrain.registry import TRANSFORMS

        pipeline = copy.deepcopy(list(pipeline))
        types = [t['type'].split('.')[-1] for t in pipeline]
        if 'PSNetGarmentCrop' not in types or types[-1] != 'PackInputs':
            raise ValueError(f'{source}: the test pipeline must crop the garment with '
                             f'PSNetGarmentCrop and end with PackInputs, got {types}')
        pack = pipeline[-1]
        pack['meta_keys'] = tuple(pack.get('meta_keys', ())) + tuple(
            k for k in _CROP_KEYS if k not in pack.get('meta_keys', ()))
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            loads = [t for t in pipeline if t['type'].split('.')[-1] == 'LoadImageFromFile']
            self._loader = TRANSFORMS.build(loads[0] if loads else dict(type='LoadImageFromFile'))
            self._pipeline = Compose([TRANSFORMS.build(t) for t in remove_transform(
                pipeline, 'LoadImageFromFile')])

    @property
    def categories(self) -> tuple:
        """The retriever's PS-Net categories (rows of its region weights)."""
        return tuple(self.model.categories)

    @property
    def region_weights(self) -> np.ndarray:
        """The retriever's region weights lambda, ``(categories, R)`` float32."""
        return self.model.region_weights.detach().cpu().numpy().astype(np.float32)

    def load_image(self, source: ImageSource) -> np.ndarray:
        """A BGR uint8 ``(H, W, 3)`` image from a path, encoded bytes or an array.

        Paths are read by the config's ``LoadImageFromFile``; bytes are decoded with its
        decoder and colour flag. Raises (``OSError``, ``ValueError``, ...) for a missing,
        empty, corrupt or non-image file; callers turn that into a status.
        """
        import mmcv
        if isinstance(source, np.ndarray):
            img = source
        elif isinstance(source, (bytes, bytearray, memoryview)):
            if not len(source):
                raise ValueError('empty bytes')
            img = mmcv.imfrombytes(bytes(source), flag=self._loader.color_type,
                                   backend=self._loader.imdecode_backend)
        elif isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            if os.path.isfile(path) and os.path.getsize(path) == 0:
                raise ValueError('empty file (0 bytes)')
            results = self._loader.transform(dict(img_path=path))
            img = None if results is None else results['img']
        else:
            raise TypeError(f'expected a path, encoded bytes or an array, got '
                            f'{type(source).__name__}')
        if img is None:
            raise ValueError('not a decodable image')
        if not (isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.ndim == 3
                and img.shape[2] == 3 and min(img.shape[:2]) > 0):
            desc = f'{img.dtype} {img.shape}' if isinstance(img, np.ndarray) else type(img)
            raise ValueError(f'expected a BGR uint8 (H, W, 3) image, got {desc}')
        return img

    def pack(self, img: np.ndarray, bbox: Optional[Sequence[float]] = None,
             category: Optional[str] = None, df2_category_id: Optional[int] = None,
             img_path: str = '') -> dict:
        """One garment through the test pipeline: ``dict(inputs, data_samples)``.

        Args:
            img: The BGR image.
            bbox: The garment box ``[x1, y1, x2, y2]``; None is the whole image.
            category: Its PS-Net category when known (the landmark branch then picks the
                DeepFashion2 category among that category's), else None.
            df2_category_id: Its DeepFashion2 category when known, else None.
            img_path: Recorded in the sample's metainfo.

        Raises:
            UnsearchableGarment: a DeepFashion2 category outside PS-Net's four, or a category
                that is not one of the retriever's.
            ValueError: a degenerate box.
        """
        if df2_category_id is not None:
            category = df2_to_psnet(int(df2_category_id)) if int(
                df2_category_id) in DF2_CATEGORIES else None
            if category is None:
                raise UnsearchableGarment(
                    f'{garment_name(None, df2_category_id)} is not one of the PS-Net '
                    f'categories ({", ".join(self.categories)})')
        if category is not None and category not in self.categories:
            raise UnsearchableGarment(f'{category} is not one of the PS-Net categories '
                                      f'({", ".join(self.categories)})')
        h, w = img.shape[:2]
        box = np.array([0, 0, w, h] if bbox is None else bbox, np.float32)
        results = dict(img=img, img_shape=(h, w), ori_shape=(h, w), img_path=img_path,
                       bbox=box, sample_idx=0)
        if category is not None:
            results['category'] = category
        if df2_category_id is not None:
            results['df2_category_id'] = int(df2_category_id)
        packed = self._pipeline(results)
        packed['data_samples'].set_metainfo(dict(garment_box=box, image_size=(w, h)))
        return packed

    @torch.no_grad()
    def embed(self, packed: Sequence[dict], batch_size: int = 32) -> Dict[str, np.ndarray]:
        """Region features of packed garments (:meth:`pack`).

        Returns:
            The arrays of :func:`~ps_net.apis.region_features.extract_region_features`
            (``flat``, ``boxes`` in crop pixels, ``valid``, ``fallback``, ``crops`` RGB) and
            ``garment_boxes`` ``(N, 4)`` and ``region_boxes`` ``(N, R, 4)`` in image pixels
            (clipped to the image; NaN rows for the regions the garment lacks).
        """
        if not len(packed):
            raise ValueError('no garments to embed')
        return self._in_image(extract_region_features(self.model, list(packed), batch_size),
                              packed)

    @staticmethod
    def _in_image(out: Dict[str, np.ndarray], packed: Sequence[dict]) -> Dict[str, np.ndarray]:
        """Add ``region_boxes`` and ``garment_boxes`` in image pixels to the crop's arrays."""
        size = out['crops'].shape[2], out['crops'].shape[1]  # the crop's (w, h)
        region_boxes = np.full(out['boxes'].shape, np.nan, np.float32)
        for i, sample in enumerate(p['data_samples'] for p in packed):
            corners = crop_to_image(out['boxes'][i].reshape(-1, 2), sample.input_center,
                                    sample.input_scale, size).reshape(-1, 4)
            corners = np.clip(corners, 0, np.tile(sample.image_size, 2))
            region_boxes[i][out['valid'][i]] = corners[out['valid'][i]]
        out['region_boxes'] = region_boxes
        out['garment_boxes'] = np.stack([p['data_samples'].garment_box for p in packed])
        return out
