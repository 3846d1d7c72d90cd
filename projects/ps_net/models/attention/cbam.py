"""CBAM (channel + spatial attention) and SE blocks for the attention-ResNet backbone.

The clothing-retrieval method of Xuan, Liao and Su (CSA 2022, section 3.1) inserts the
Convolutional Block Attention Module of Woo et al. (ECCV 2018) after the first and after the
last convolution layer of ResNet50. CBAM (:class:`PSNetCBAM`, eq. (1) of the CBAM paper)
refines a feature map with a channel map (:class:`PSNetChannelAttention`, eq. (2)) and then a
spatial map (:class:`PSNetSpatialAttention`, eq. (3)). :class:`PSNetSE` is the
squeeze-and-excitation block of Hu et al. (CVPR 2018), mmpretrain's ``SELayer`` configured as
that paper's: the channel-only baseline that CBAM extends.

The CBAM layout follows timm's ``layers/cbam.py`` (1x1 convolutions as the shared MLP, the
spatial conv followed by a norm layer as in the authors' reference code). Every block maps
``(B, C, H, W) -> (B, C, H, W)`` and exposes its gate through ``attention_map``.
"""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from mmpretrain.models.utils import SELayer
from mmpretrain.registry import MODELS


def _check_channels(channels: int, reduction: int) -> int:
    """Validate ``channels`` / ``reduction``; return the hidden width ``max(1, C // r)``."""
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f'channels must be an int >= 1, got {channels!r}')
    if isinstance(reduction, bool) or not isinstance(reduction, int) or reduction < 1:
        raise ValueError(f'reduction must be an int >= 1, got {reduction!r}')
    return max(1, channels // reduction)


def _check_input(x: Tensor, channels: Optional[int], name: str) -> None:
    if not isinstance(x, Tensor) or x.dim() != 4:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f'{name} expects a (B, C, H, W) tensor, got {got}')
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f'{name} was built for {channels} channels, got input of shape '
                         f'{tuple(x.shape)}')


@MODELS.register_module()
class PSNetChannelAttention(nn.Module):
    """CBAM channel attention, eq. (2): ``Mc(F) = sigma(MLP(AvgPool(F)) + MLP(MaxPool(F)))``.

    Both spatial descriptors ``F^c_avg`` and ``F^c_max`` (``B x C x 1 x 1``) go through one
    shared MLP ``W1 ReLU(W0 .)`` (1x1 convolutions, hidden width ``max(1, C // reduction)``);
    the two outputs are summed before the sigmoid. ``forward`` returns ``Mc(F) * F``.

    Args:
        channels: ``C``, channels of the input map.
        reduction: ``r``, the MLP's reduction ratio (16 in CBAM).
        bias: whether the MLP's layers have biases (the reference code uses ``nn.Linear``,
            i.e. biases).

    Example:
        >>> import torch
        >>> ca = PSNetChannelAttention(32)
        >>> tuple(ca.attention_map(torch.rand(2, 32, 5, 5)).shape)
        (2, 32, 1, 1)
    """

    def __init__(self, channels: int, reduction: int = 16, bias: bool = True) -> None:
        super().__init__()
        hidden = _check_channels(channels, reduction)
        self.channels = channels
        self.reduction = reduction
        self.fc1 = nn.Conv2d(channels, hidden, 1, bias=bias)  # W0
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(hidden, channels, 1, bias=bias)  # W1

    def mlp(self, descriptor: Tensor) -> Tensor:
        """The shared MLP ``W1(ReLU(W0 d))`` on a ``(B, C, 1, 1)`` descriptor."""
        return self.fc2(self.act(self.fc1(descriptor)))

    def attention_map(self, x: Tensor) -> Tensor:
        """``Mc(F)`` of eq. (2), shape ``(B, C, 1, 1)``, values in ``[0, 1]``."""
        _check_input(x, self.channels, type(self).__name__)
        avg = x.mean(dim=(2, 3), keepdim=True)  # F^c_avg
        mx = x.amax(dim=(2, 3), keepdim=True)  # F^c_max
        return torch.sigmoid(self.mlp(avg) + self.mlp(mx))

    def forward(self, x: Tensor) -> Tensor:
        """``F' = Mc(F) (x) F`` (first line of eq. (1))."""
        return x * self.attention_map(x)


@MODELS.register_module()
class PSNetSpatialAttention(nn.Module):
    """CBAM spatial attention, eq. (3): ``Ms(F) = sigma(f7x7([AvgPool(F); MaxPool(F)]))``.

    The pooling runs along the channel axis: ``F^s_avg`` and ``F^s_max`` (``B x 1 x H x W``)
    are concatenated into two channels and convolved by one ``kernel_size`` convolution to one
    channel (``padding = kernel_size // 2`` keeps ``H x W``). ``forward`` returns
    ``Ms(F) * F``.

    Args:
        kernel_size: the convolution's size, 7 in CBAM (odd, so the map keeps its size).
        with_norm: follow the conv by a 1-channel BatchNorm (no conv bias), as the CBAM
            authors' code and timm do; ``False`` gives eq. (3) literally (conv with bias).

    Example:
        >>> import torch
        >>> sa = PSNetSpatialAttention()
        >>> sa.conv.kernel_size, tuple(sa.attention_map(torch.rand(2, 8, 6, 5)).shape)
        ((7, 7), (2, 1, 6, 5))
    """

    def __init__(self, kernel_size: int = 7, with_norm: bool = True) -> None:
        super().__init__()
        if (isinstance(kernel_size, bool) or not isinstance(kernel_size, int)
                or kernel_size < 1 or kernel_size % 2 == 0):
            raise ValueError(f'kernel_size must be an odd int >= 1, got {kernel_size!r}')
        self.kernel_size = kernel_size
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=not with_norm)
        self.norm = nn.BatchNorm2d(1) if with_norm else nn.Identity()

    def attention_map(self, x: Tensor) -> Tensor:
        """``Ms(F)`` of eq. (3), shape ``(B, 1, H, W)``, values in ``[0, 1]``."""
        _check_input(x, None, type(self).__name__)
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return torch.sigmoid(self.norm(self.conv(pooled)))

    def forward(self, x: Tensor) -> Tensor:
        """``F'' = Ms(F') (x) F'`` (second line of eq. (1))."""
        return x * self.attention_map(x)


@MODELS.register_module()
class PSNetCBAM(nn.Module):
    r"""Convolutional Block Attention Module, eq. (1): channel then spatial attention.

    .. math::

        F' = M_c(F) \otimes F, \qquad F'' = M_s(F') \otimes F'

    Args:
        channels: ``C``, channels of the input map.
        reduction: ``r`` of the channel MLP (16).
        kernel_size: the spatial convolution's size (7).
        mlp_bias: biases in the channel MLP.
        spatial_norm: BatchNorm after the spatial conv (see ``PSNetSpatialAttention``).

    Example:
        >>> import torch
        >>> cbam = PSNetCBAM(64)
        >>> tuple(cbam(torch.rand(2, 64, 7, 7)).shape)
        (2, 64, 7, 7)
    """

    def __init__(self, channels: int, reduction: int = 16, kernel_size: int = 7,
                 mlp_bias: bool = True, spatial_norm: bool = True) -> None:
        super().__init__()
        self.channels = channels
        self.channel_attention = PSNetChannelAttention(channels, reduction, bias=mlp_bias)
        self.spatial_attention = PSNetSpatialAttention(kernel_size, with_norm=spatial_norm)

    def forward(self, x: Tensor) -> Tensor:
        """``F''`` of eq. (1), same shape as ``x``."""
        return self.spatial_attention(self.channel_attention(x))


@MODELS.register_module()
class PSNetSE(SELayer):
    r"""Squeeze-and-Excitation block (Hu et al., CVPR 2018): mmpretrain's ``SELayer`` with the
    paper's hidden width ``max(1, C // r)`` (``SELayer`` would round it to a multiple of 8).

    Squeeze (their eq. 2), excitation (eq. 3) and scale (eq. 4) on ``U`` (``C x H x W``):

    .. math::

        z_c = F_{sq}(u_c) = \frac{1}{H W} \sum_{i=1}^{H} \sum_{j=1}^{W} u_c(i, j)

        s = F_{ex}(z, W) = \sigma(g(z, W)) = \sigma(W_2\, \delta(W_1 z))

        \tilde{x}_c = F_{scale}(u_c, s_c) = s_c \cdot u_c

    with ``W1 in R^{C/r x C}`` (``conv1``), ``W2 in R^{C x C/r}`` (``conv2``), ``delta`` the
    ReLU, both with biases. Unlike CBAM's channel attention it squeezes with the average only.

    Args:
        channels: ``C``, channels of the input map.
        reduction: ``r`` (16).

    Example:
        >>> import torch
        >>> se = PSNetSE(32)
        >>> tuple(se(torch.rand(2, 32, 4, 4)).shape), tuple(se.conv1.conv.weight.shape)
        ((2, 32, 4, 4), (2, 32, 1, 1))
    """

    def __init__(self, channels: int, reduction: int = 16) -> None:
        hidden = _check_channels(channels, reduction)
        super().__init__(channels, squeeze_channels=hidden, bias=True,
                         act_cfg=(dict(type='ReLU'), dict(type='Sigmoid')))
        self.channels = channels
        self.reduction = reduction

    def attention_map(self, x: Tensor) -> Tensor:
        """``s`` (excitation), shape ``(B, C, 1, 1)``, values in ``[0, 1]``."""
        _check_input(x, self.channels, type(self).__name__)
        return self.conv2(self.conv1(self.global_avgpool(x)))

    def forward(self, x: Tensor) -> Tensor:
        """``X~ = s (x) U``, same shape as ``x``."""
        return x * self.attention_map(x)


#: ``attention`` names of the attention backbones -> block class.
ATTENTION_BLOCKS = {'cbam': PSNetCBAM, 'se': PSNetSE}


def check_attention_args(attention: Optional[str], positions, allowed: tuple,
                         attention_cfg: Optional[dict]) -> tuple:
    """Validate the ``attention`` / ``attention_positions`` / ``attention_cfg`` arguments shared
    by the attention backbones; return the positions as a tuple.

    Raises:
        ValueError: an unknown block name, positions given as a string, repeated or not in
            ``allowed``, or an ``attention_cfg`` that is not a dict.
    """
    if attention is not None and attention not in ATTENTION_BLOCKS:
        raise ValueError(f"attention must be one of {sorted(ATTENTION_BLOCKS)} or None, got "
                         f'{attention!r}')
    if isinstance(positions, str):
        raise ValueError(f'attention_positions must be a sequence of names, got the string '
                         f'{positions!r}')
    positions = tuple(positions)
    bad = [p for p in positions if p not in allowed]
    if bad or len(set(positions)) != len(positions):
        raise ValueError(f'attention_positions must be distinct names from {allowed}, '
                         f'got {positions!r}')
    if attention_cfg is not None and not isinstance(attention_cfg, dict):
        raise ValueError(f'attention_cfg must be a dict or None, got {attention_cfg!r}')
    return positions

