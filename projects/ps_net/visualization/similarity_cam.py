"""Grad-CAM of a retrieval model with a similarity target (grad-cam 1.5.7, ``pytorch_grad_cam``).

Xuan et al. (CSA 2022, section 4.3, figure 5) show Grad-CAM heat maps of ResNet50, ResNet50 + SE
and ResNet50 + CBAM computed "with the output of the last convolution layer". A retrieval model
has no class score to explain: here the explained scalar is the similarity of the query's
embedding to one fixed gallery embedding, so the map shows which query pixels make the query
look like (or unlike) that gallery image, and it changes with the gallery image.

* :class:`EmbeddingModel`: ``nn.Module`` mapping preprocessed images to their embeddings
  (``retriever.extract_feat``), the model that grad-cam runs.
* :class:`SimilarityTarget`: the grad-cam target, ``cos(q, g)`` or ``-dist(q, g)`` (eq. (4)) of
  the query embedding ``q`` to the fixed gallery embedding ``g``.
* :func:`similarity_cam`: the ``(H, W)`` map in ``[0, 1]`` at the input's size.
* :func:`overlay_cam` / :func:`load_image`: the picture.

mmpretrain's ``tools/visualization/vis_cam.py`` assumes a classifier and passes ``use_cuda``,
which grad-cam >= 1.5 removed; this module targets the pinned grad-cam 1.5.7 API (the device is
the model's).
"""
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['EmbeddingModel', 'SimilarityTarget', 'default_target_layer', 'resolve_layer',
           'embed', 'similarity_cam', 'overlay_cam', 'load_image', 'make_panel',
           'SIMILARITY_METRICS']

#: ``metric`` values of :class:`SimilarityTarget`.
SIMILARITY_METRICS = ('cosine', 'neg_euclidean')


class EmbeddingModel(nn.Module):
    """Preprocessed images ``(B, 3, H, W)`` -> embeddings ``(B, D)`` of a retriever.

    Args:
        retriever (nn.Module): A model with ``extract_feat(inputs)`` (e.g.
            ``PSNetTripletRetriever``); when it returns a tuple the last item is used.
    """

    def __init__(self, retriever: nn.Module) -> None:
        super().__init__()
        if not callable(getattr(retriever, 'extract_feat', None)):
            raise ValueError(f'retriever must have an extract_feat method, got '
                             f'{type(retriever).__name__}')
        self.retriever = retriever

    def forward(self, inputs: Tensor) -> Tensor:
        feats = self.retriever.extract_feat(inputs)
        feats = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if feats.dim() != 2:
            raise ValueError(f'the retriever must give (B, D) embeddings, got shape '
                             f'{tuple(feats.shape)}')
        return feats


class SimilarityTarget:
    """grad-cam target: the similarity of one model output to a fixed gallery embedding.

    Args:
        gallery_embedding (Tensor): ``(D, )`` (or ``(1, D)``) embedding of the gallery image;
            it is detached (the gallery is a constant of the explanation).
        metric (str): ``'cosine'`` (default) for ``cos(q, g)``, or ``'neg_euclidean'`` for
            ``-dist(q, g)``, minus the Euclidean distance of eq. (4) (higher is more similar for
            both).

    Example:
        >>> target = SimilarityTarget(torch.tensor([3., 4.]), metric='neg_euclidean')
        >>> target(torch.tensor([0., 0.])).item()
        -5.0
        >>> round(SimilarityTarget(torch.tensor([1., 0.]))(torch.tensor([1., 1.])).item(), 4)
        0.7071
    """

    def __init__(self, gallery_embedding: Tensor, metric: str = 'cosine') -> None:
        if metric not in SIMILARITY_METRICS:
            raise ValueError(f'metric must be one of {SIMILARITY_METRICS}, got {metric!r}')
        if not isinstance(gallery_embedding, Tensor):
            raise ValueError(f'gallery_embedding must be a tensor, got {gallery_embedding!r}')
        g = gallery_embedding.detach()
        if g.dim() == 2 and g.shape[0] == 1:
            g = g[0]
        if g.dim() != 1:
            raise ValueError(f'gallery_embedding must be (D, ) or (1, D), got shape '
                             f'{tuple(gallery_embedding.shape)}')
        self.gallery_embedding = g
        self.metric = metric

    def __call__(self, model_output: Tensor) -> Tensor:
        """``(D, )`` embedding of one query -> scalar similarity (differentiable)."""
        g = self.gallery_embedding.to(model_output.device, model_output.dtype)
        if model_output.shape != g.shape:
            raise ValueError(f'the model output {tuple(model_output.shape)} and the gallery '
                             f'embedding {tuple(g.shape)} differ in shape')
        if self.metric == 'cosine':
            return F.cosine_similarity(model_output, g, dim=0)
        return -(model_output - g).norm()


def resolve_layer(model: nn.Module, name: str) -> nn.Module:
    """The submodule ``name`` (dotted path) of a retriever.

    ``name`` is looked up from the retriever, then, for short names such as
    ``'backbone.layer4'``, under its ``image_encoder``.

    Raises:
        ValueError: When there is no such module (the names of the top-level children are
            listed).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f'target layer must be a dotted module name, got {name!r}')
    for prefix in ('', 'image_encoder.'):
        try:
            return model.get_submodule(prefix + name)
        except AttributeError:
            continue
    children = [n for n, _ in model.named_children()]
    raise ValueError(f'no module {name!r} in {type(model).__name__} (children: {children}); '
                     f"use a dotted path such as 'image_encoder.backbone.layer4'")


def default_target_layer(model: nn.Module) -> str:
    """The last convolution stage of the retriever's backbone, e.g.
    ``'image_encoder.backbone.layer4'`` (before a ``final_attention`` block: pass
    ``'image_encoder.backbone.final_attention'`` for the map after it)."""
    backbone = getattr(getattr(model, 'image_encoder', None), 'backbone', None)
    layers = getattr(backbone, 'res_layers', None)
    if not layers:
        raise ValueError(f'cannot find the last stage of {type(model).__name__}: expected '
                         f'image_encoder.backbone.res_layers (a ResNet); pass a target layer')
    return f'image_encoder.backbone.{layers[-1]}'


@torch.no_grad()
def embed(model: nn.Module, inputs: Tensor) -> Tensor:
    """``(B, D)`` embeddings of preprocessed images, in eval mode and without gradients."""
    wrapper = model if isinstance(model, EmbeddingModel) else EmbeddingModel(model)
    wrapper.eval()
    device = next(wrapper.parameters()).device
    return wrapper(inputs.to(device))


def similarity_cam(model: nn.Module, query: Tensor, gallery: Tensor,
                   target_layer: Optional[Union[str, nn.Module]] = None,
                   metric: str = 'cosine') -> Tuple[np.ndarray, float]:
    """Grad-CAM of the query's similarity to a gallery image.

    Args:
        model (nn.Module): The retriever (anything with ``extract_feat``); it is put in eval
            mode.
        query (Tensor): ``(3, H, W)`` or ``(1, 3, H, W)`` preprocessed query image.
        gallery (Tensor): The gallery image, preprocessed like the query (``(3, H', W')`` or
            ``(1, 3, H', W')``), or its embedding (``(D, )``).
        target_layer (str | nn.Module, optional): The layer whose activations and gradients
            give the map; a dotted name (see :func:`resolve_layer`) or a module. None: the last
            convolution stage (:func:`default_target_layer`).
        metric (str): ``'cosine'`` or ``'neg_euclidean'`` (see :class:`SimilarityTarget`).

    Returns:
        tuple[np.ndarray, float]: The ``(H, W)`` float32 map in ``[0, 1]`` (grad-cam's ReLU and
        min-max scaling, resized to the query's size) and the similarity it explains.
    """
    from pytorch_grad_cam import GradCAM

    if metric not in SIMILARITY_METRICS:
        raise ValueError(f'metric must be one of {SIMILARITY_METRICS}, got {metric!r}')
    query = _batch_of_one(query, 'query')
    wrapper = EmbeddingModel(model).eval()
    if gallery.dim() == 1:
        gallery_embedding = gallery
    else:
        gallery_embedding = embed(wrapper, _batch_of_one(gallery, 'gallery'))[0]
    if target_layer is None:
        target_layer = default_target_layer(model)
    layer = resolve_layer(model, target_layer) if isinstance(target_layer, str) else target_layer
    target = SimilarityTarget(gallery_embedding, metric)
    with torch.enable_grad(), GradCAM(model=wrapper, target_layers=[layer]) as cam:
        maps = cam(input_tensor=query.to(next(wrapper.parameters()).device), targets=[target])
        score = float(target(cam.outputs[0]).detach())
    return np.clip(maps[0].astype(np.float32), 0.0, 1.0), score


def _batch_of_one(image: Tensor, name: str) -> Tensor:
    if not isinstance(image, Tensor) or image.dim() not in (3, 4) or \
            (image.dim() == 4 and image.shape[0] != 1):
        shape = tuple(image.shape) if isinstance(image, Tensor) else image
        raise ValueError(f'{name} must be a (3, H, W) or (1, 3, H, W) tensor, got {shape!r}')
    return image[None] if image.dim() == 3 else image


def overlay_cam(image: np.ndarray, cam: np.ndarray, image_weight: float = 0.5) -> np.ndarray:
    """Blend a jet-coloured map over an RGB image (grad-cam's ``show_cam_on_image``).

    Args:
        image (np.ndarray): ``(H, W, 3)`` RGB image, uint8 or float in ``[0, 1]``.
        cam (np.ndarray): ``(h, w)`` map in ``[0, 1]``, resized to ``(H, W)`` when it differs.
        image_weight (float): Weight of the image in ``[0, 1]``.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB picture.
    """
    from pytorch_grad_cam.utils.image import show_cam_on_image

    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be (H, W, 3), got shape {image.shape}')
    if not 0 <= image_weight <= 1:
        raise ValueError(f'image_weight must be in [0, 1], got {image_weight!r}')
    img = image.astype(np.float32) / 255 if image.dtype == np.uint8 else \
        np.clip(image.astype(np.float32), 0, 1)
    cam = np.clip(np.asarray(cam, np.float32), 0, 1)
    if cam.shape != img.shape[:2]:
        cam = cv2.resize(cam, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
    return show_cam_on_image(img, cam, use_rgb=True, image_weight=image_weight)


def load_image(path: str, pipeline: Sequence[dict], data_preprocessor: nn.Module
               ) -> Tuple[Tensor, np.ndarray]:
    """Run one image through a config's test pipeline and the model's data preprocessor.

    Args:
        path (str): Image file.
        pipeline (Sequence[dict]): Transform configs (the config's test pipeline, ending with
            ``PackInputs``); transforms that need annotations (e.g. ``PSNetGarmentCrop``
            without a ``bbox``) fall back to the whole image.
        data_preprocessor (nn.Module): The model's data preprocessor.

    Returns:
        tuple[Tensor, np.ndarray]: ``(1, 3, H, W)`` model input and the ``(H, W, 3)`` uint8
        RGB image the model sees (after the pipeline's crop / resize).
    """
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope('mmpretrain'):
        packed = Compose(list(pipeline))(dict(img_path=path))
    data = data_preprocessor(dict(inputs=[packed['inputs']],
                                  data_samples=[packed['data_samples']]), False)
    shown = packed['inputs'].permute(1, 2, 0).cpu().numpy()[..., ::-1]  # BGR (mmcv) -> RGB
    return data['inputs'], np.ascontiguousarray(shown.astype(np.uint8))


def _panel(images: Sequence[np.ndarray], titles: Sequence[str]) -> np.ndarray:
    """Images side by side, each with a caption above it (uint8 RGB)."""
    h = max(im.shape[0] for im in images)
    tiles = []
    for im, title in zip(images, titles):
        tile = np.full((h + 20, im.shape[1], 3), 255, np.uint8)
        tile[20:20 + im.shape[0]] = im
        cv2.putText(tile, title, (2, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1,
                    cv2.LINE_AA)
        tiles.append(tile)
        tiles.append(np.full((h + 20, 4, 3), 255, np.uint8))
    return np.concatenate(tiles[:-1], axis=1)


def make_panel(query: np.ndarray, query_cam: np.ndarray, gallery: np.ndarray,
               gallery_cam: Optional[np.ndarray] = None, score: Optional[float] = None,
               metric: str = 'cosine') -> np.ndarray:
    """``query | query CAM | gallery [| gallery CAM]`` as one uint8 RGB picture.

    Args:
        query, gallery (np.ndarray): ``(H, W, 3)`` uint8 RGB images (as the model sees them).
        query_cam (np.ndarray): Map of the query towards the gallery.
        gallery_cam (np.ndarray, optional): Map of the gallery towards the query.
        score (float, optional): The similarity, written in the captions.
        metric (str): Its name, for the captions.
    """
    name = 'cos' if metric == 'cosine' else '-dist'
    images = [query, overlay_cam(query, query_cam), gallery]
    titles = ['query', 'CAM' if score is None else f'CAM {name}={score:.3f}', 'gallery']
    if gallery_cam is not None:
        images.append(overlay_cam(gallery, gallery_cam))
        titles.append('CAM')
    return _panel(images, titles)
