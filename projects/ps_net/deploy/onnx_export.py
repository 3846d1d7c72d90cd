"""Export PS-Net's embedding model to ONNX behind an mmdeploy-style deploy config.

A deploy config (``configs/deploy/*.py``) holds ``onnx_config`` (``torch.onnx.export``
options: ``opset_version``, ``dynamo``, ...), ``codebase_config`` (``type='ps_net'``,
``task='RegionEmbedding'``), ``backend_config`` (``type='onnxruntime'``) and
``partition_config``: the two graphs of :mod:`ps_net.deploy.embedding_graphs` with their
``input_names``, ``output_names`` and ``dynamic_axes``.

:func:`export_embedding_onnx` writes the first graph to ``out`` and the second beside it
(``<out stem>.<name>.onnx``), each atomically, the second first, so a complete first file
means a complete pair. The first file's ``metadata_props`` carry what the embedding needs
besides the networks (:data:`METADATA_KEY`, JSON): the model fingerprint of the PyTorch weights
(what a gallery index built with them records), the second file's name and sha256, the
config's test pipeline, the region step (the landmark codec and score threshold, or the fixed
per-category boxes of a model without landmarks), the categories, the region weights and the
input size. :func:`read_embedding_metadata` reads it back.
"""
import copy
import hashlib
import io
import json
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from torch import nn

from .embedding_graphs import PSNetBackboneGraph, PSNetRegionGraph
from .region_decoder import FixedRegionLayout, RegionDecoder
from .rewriters import export_rewrites

#: Key of the first graph's ``metadata_props`` entry (JSON) described in the module docstring.
METADATA_KEY = 'ps_net.embedding'
#: Version of that entry's layout.
METADATA_VERSION = 1
#: The partitions, in order, and the arity of their inputs / outputs.
PARTITIONS = (('backbone', 1, 2), ('head', 3, 1))
#: The lowest opset whose ``RoiAlign`` has the ``half_pixel`` mode of ``aligned=True``.
MIN_OPSET = 16


def load_deploy_config(path: Union[str, os.PathLike]):
    """Read and check a deploy config (module docstring).

    Raises:
        ValueError: a missing section, another codebase / task / backend, an opset below
            :data:`MIN_OPSET`, or partitions that do not match :data:`PARTITIONS`.
    """
    from mmengine.config import Config
    path = os.fspath(path)
    cfg = Config.fromfile(path)
    for key in ('onnx_config', 'codebase_config', 'backend_config', 'partition_config'):
        if not isinstance(cfg.get(key), dict):
            raise ValueError(f'{path}: the deploy config needs a dict {key}')
    code = cfg.codebase_config
    if (code.get('type'), code.get('task')) != ('ps_net', 'RegionEmbedding'):
        raise ValueError(f"{path}: codebase_config must be dict(type='ps_net', "
                         f"task='RegionEmbedding'), got {dict(code)}")
    if cfg.backend_config.get('type') != 'onnxruntime':
        raise ValueError(f"{path}: backend_config.type must be 'onnxruntime', got "
                         f"{cfg.backend_config.get('type')!r}")
    opset = cfg.onnx_config.get('opset_version')
    if not isinstance(opset, int) or opset < MIN_OPSET:
        raise ValueError(f'{path}: onnx_config.opset_version must be an int >= {MIN_OPSET} '
                         f'(RoiAlign with half_pixel coordinates, aligned=True), got {opset!r}')
    parts = cfg.partition_config.get('partition_cfg')
    if not (isinstance(parts, (list, tuple)) and len(parts) == len(PARTITIONS)):
        raise ValueError(f'{path}: partition_config.partition_cfg must list the '
                         f'{len(PARTITIONS)} graphs {[p[0] for p in PARTITIONS]}')
    for part, (name, n_in, n_out) in zip(parts, PARTITIONS):
        if (part.get('name') != name or len(part.get('input_names', ())) != n_in
                or len(part.get('output_names', ())) != n_out):
            raise ValueError(f'{path}: partition {name!r} must have {n_in} input_names and '
                             f'{n_out} output_names, got {dict(part)}')
    return cfg


def partition_path(out: str, name: str) -> str:
    """Where partition ``name`` goes: ``out`` for the first, ``<out stem>.<name>.onnx`` else.

    Example:
        >>> partition_path('deploy/psnet.onnx', 'head')
        'deploy/psnet.head.onnx'
        >>> partition_path('deploy/psnet.onnx', 'backbone')
        'deploy/psnet.onnx'
    """
    if name == PARTITIONS[0][0]:
        return out
    stem = out[:-len('.onnx')] if out.endswith('.onnx') else out
    return f'{stem}.{name}.onnx'


def _json_safe(value, where: str):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as err:
        raise ValueError(f'{where} cannot be stored in the ONNX metadata (JSON): {err}') from err


def embedding_metadata(cfg, model: nn.Module) -> dict:
    """What the ONNX embedding needs besides the networks (module docstring)."""
    from mmengine.config import ConfigDict
    from ..index import model_fingerprint

    def plain(v):
        return v.to_dict() if isinstance(v, ConfigDict) else v

    if getattr(model, 'landmarks', None) is not None:
        codec = (cfg.model.get('landmark_branch') or {}).get('head', {}).get('decoder')
        if codec is None:
            raise ValueError('the config has no model.landmark_branch.head.decoder (the '
                             'landmark codec the heatmaps are decoded with)')
        regions = dict(type='landmarks', codec=_json_safe(
            plain(codec), 'model.landmark_branch.head.decoder'),
            landmark_score_thr=float(model.landmark_score_thr))
    else:
        layout = FixedRegionLayout.from_model(model)
        regions = dict(type='fixed', boxes=layout.boxes.double().tolist(),
                       valid=layout.valid.tolist(), fallback=layout.fallback.tolist())
    pipeline = [plain(t) for t in cfg.test_dataloader.dataset.pipeline]
    return dict(
        version=METADATA_VERSION,
        fingerprint=model_fingerprint(model.state_dict()),
        model_type=type(model).__name__,
        categories=list(model.categories),
        region_weights=model.region_weights.detach().cpu().double().tolist(),
        input_size=[int(v) for v in model.input_size],
        task=model.task,
        num_regions=int(model.head.num_regions),
        embed_dim=int(model.head.embed_dim),
        regions=regions,
        test_pipeline=_json_safe(pipeline, 'test_dataloader.dataset.pipeline'),
    )


def region_step(meta: dict):
    """The region step of an export's metadata: a :class:`RegionDecoder` (landmarks) or a
    :class:`FixedRegionLayout`."""
    regions = meta['regions']
    if regions['type'] == 'landmarks':
        return RegionDecoder(regions['codec'], meta['input_size'], meta['categories'],
                             regions['landmark_score_thr'])
    if regions['type'] == 'fixed':
        return FixedRegionLayout(meta['categories'], regions['boxes'], regions['valid'],
                                 regions['fallback'])
    raise ValueError(f'unknown region step {regions["type"]!r} in the export metadata')


def sample_crops(model: nn.Module, batch: int = 2, seed: int = 0) -> torch.Tensor:
    """Random uint8 BGR crops ``(batch, 3, h, w)`` of the model's input size (trace inputs)."""
    w, h = model.input_size
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (batch, 3, h, w), generator=gen, dtype=torch.uint8)


def _export_bytes(module: nn.Module, args: tuple, part: dict, onnx_cfg: dict) -> bytes:
    options = {k: v for k, v in onnx_cfg.items() if k not in ('type', 'save_file')}
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # the shape checks of the modules and the static pooling size become constants of
        # the trace: expected, the spatial size is the config's (only the batch is dynamic)
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(module, args, buf, input_names=list(part['input_names']),
                          output_names=list(part['output_names']),
                          dynamic_axes={k: dict(v)
                                        for k, v in part.get('dynamic_axes', {}).items()},
                          **options)
    return buf.getvalue()


def _regions(model: nn.Module, outputs: Sequence[torch.Tensor], batch_size: int) -> dict:
    """The PyTorch model's regions of a batch from the first graph's outputs."""
    if len(outputs) == 2:
        return model.regions(outputs[0])
    return model.stripe_regions(batch_size, None, outputs[-1].device)


def _with_metadata(data: bytes, entries: Dict[str, str]) -> bytes:
    import onnx
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto)
    proto.producer_name = 'ps_net'
    for key, value in entries.items():
        prop = proto.metadata_props.add()
        prop.key, prop.value = key, value
    return proto.SerializeToString()


@torch.no_grad()
def export_embedding_onnx(model: nn.Module, cfg, deploy_cfg, out: Union[str, os.PathLike],
                          overwrite: bool = False, source: Optional[dict] = None) -> List[str]:
    """Export ``model`` (a ``PSNetRetriever`` in eval mode on CPU) as the two graphs.

    Args:
        model: The retriever, as :func:`~ps_net.apis.region_features.load_retriever` gives it.
        cfg: Its config (test pipeline, landmark codec).
        deploy_cfg: A checked deploy config (:func:`load_deploy_config`).
        out: The first graph's file (``.onnx``); the second goes beside it.
        overwrite: Replace existing files.
        source: Recorded in the metadata as ``source`` (e.g. the config and checkpoint paths).

    Returns:
        The written files, in partition order.

    Raises:
        FileExistsError: a file exists and ``overwrite`` is False (nothing is written).
    """
    from ..utils import atomic_write
    out = os.fspath(out)
    parts = deploy_cfg.partition_config.partition_cfg
    paths = [partition_path(out, p['name']) for p in parts]
    if not overwrite:
        for p in paths:
            if osp.lexists(p):
                raise FileExistsError(f'{p} exists; refusing to overwrite it (pass overwrite)')
    model = model.eval()
    meta = embedding_metadata(cfg, model)
    meta.update(source=dict(source or {}), deploy=_json_safe(
        copy.deepcopy(deploy_cfg.to_dict() if hasattr(deploy_cfg, 'to_dict') else deploy_cfg),
        'the deploy config'))
    backbone, head = PSNetBackboneGraph(model).eval(), PSNetRegionGraph(model).eval()
    crops = sample_crops(model)
    onnx_cfg = dict(deploy_cfg.onnx_config)
    first = dict(parts[0])
    if not backbone.with_landmarks:  # F only: the regions do not depend on the image
        first['output_names'] = list(first['output_names'])[-1:]
        first['dynamic_axes'] = {k: v for k, v in first.get('dynamic_axes', {}).items()
                                 if k in first['input_names'] + first['output_names']}
    with export_rewrites(model):
        outputs = backbone(crops)
        info = _regions(model, outputs, len(crops))
        head_bytes = _export_bytes(head, (outputs[-1], info['boxes'], info['valid']), parts[1],
                                   onnx_cfg)
        backbone_bytes = _export_bytes(backbone, (crops, ), first, onnx_cfg)
    fingerprint = {'ps_net.fingerprint': meta['fingerprint']}
    head_bytes = _with_metadata(head_bytes, fingerprint)
    meta['partitions'] = [dict(name=p['name'], file=osp.basename(path))
                          for p, path in zip(parts, paths)]
    meta['partitions'][1]['sha256'] = hashlib.sha256(head_bytes).hexdigest()
    backbone_bytes = _with_metadata(backbone_bytes, {**fingerprint,
                                                     METADATA_KEY: json.dumps(meta)})
    folder = osp.dirname(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    atomic_write(paths[1], head_bytes, overwrite=overwrite)
    atomic_write(paths[0], backbone_bytes, overwrite=overwrite)
    return paths


def read_embedding_metadata(path: Union[str, os.PathLike]) -> dict:
    """The :data:`METADATA_KEY` entry of an exported first graph, with ``partition_files``
    (absolute paths of every partition, in order).

    Raises:
        ValueError: the file is not a PS-Net embedding export (no or unreadable entry, another
            layout version).
    """
    import onnx
    path = os.fspath(path)
    proto = onnx.load(path, load_external_data=False)
    props = {p.key: p.value for p in proto.metadata_props}
    if METADATA_KEY not in props:
        raise ValueError(f'{path} is not a PS-Net embedding export (tools/deployment/'
                         f'pytorch2onnx.py): its metadata has no {METADATA_KEY!r}')
    try:
        meta = json.loads(props[METADATA_KEY])
    except ValueError as err:
        raise ValueError(f'{path}: unreadable {METADATA_KEY!r} metadata: {err}') from err
    if meta.get('version') != METADATA_VERSION:
        raise ValueError(f'{path}: metadata version {meta.get("version")!r}, this ps_net reads '
                         f'version {METADATA_VERSION}')
    folder = osp.dirname(osp.abspath(path))
    meta['partition_files'] = [osp.abspath(path)] + [
        osp.join(folder, p['file']) for p in meta['partitions'][1:]]
    return meta


def max_abs_diff(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    """The largest ``|a_i - b_i|`` over paired arrays of equal shapes.

    Example:
        >>> max_abs_diff([np.zeros(2)], [np.array([0., -0.5])])
        0.5
    """
    worst = 0.0
    for x, y in zip(a, b):
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        if x.shape != y.shape:
            raise ValueError(f'shapes differ: {x.shape} and {y.shape}')
        if x.size:
            worst = max(worst, float(np.abs(x - y).max()))
    return worst


@torch.no_grad()
def verify_embedding_onnx(model: nn.Module, paths: Sequence[str],
                          crops: Optional[torch.Tensor] = None) -> Dict[str, float]:
    """Max ``|onnxruntime - PyTorch|`` of each output on the same crops.

    The first graph runs on ``crops`` (default: three random crops, another batch size than
    the trace's); the second on the first graph's PyTorch feature map with the boxes the
    retriever finds (from the PyTorch heatmaps), so each graph is compared on the same
    inputs.

    Returns:
        ``{'feature_map': ..., 'region_feats': ...}`` and ``'heatmaps'`` for a model with
        landmarks.
    """
    import onnxruntime as ort
    crops = sample_crops(model, 3, seed=1) if crops is None else crops
    model = model.eval()
    outputs = PSNetBackboneGraph(model).eval()(crops)
    info = _regions(model, outputs, len(crops))
    feats = model.head(outputs[-1], info['boxes'], info['valid'])
    sessions = [ort.InferenceSession(p, providers=['CPUExecutionProvider']) for p in paths]

    def run(session, arrays):
        names = [i.name for i in session.get_inputs()]
        return session.run(None, dict(zip(names, arrays)))

    got = run(sessions[0], [crops.numpy()])
    o_feats, = run(sessions[1], [outputs[-1].numpy(), info['boxes'].numpy(),
                                 info['valid'].numpy()])
    diffs = dict(feature_map=max_abs_diff(got[-1:], [outputs[-1].numpy()]),
                 region_feats=max_abs_diff([o_feats], [feats.numpy()]))
    if len(outputs) == 2:
        diffs['heatmaps'] = max_abs_diff(got[:1], [outputs[0].numpy()])
    return diffs
