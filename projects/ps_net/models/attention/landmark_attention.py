r"""PS-Net's landmark-guided attention (Lang et al., CVPR 2020, section 3.1).

The retrieval branch's feature map ``F`` (``28 x 28 x 1024`` at a 224 input) is modulated by
the landmark branch's predicted heatmaps. Following the paper:

1. the ``K`` heatmaps (at the input scale) are bilinearly resized to ``F``'s ``h x w`` and
   turned into the landmark information ``M in R^{28 x 28 x 32}`` (a 1x1 conv, ``K -> 32``);
2. ``[F, M]`` (concatenated along channels) is mapped to an attention map ``A`` of ``F``'s
   shape (``28 x 28 x 1024``) and squashed by a sigmoid;
3. the attention is applied as in the fashion-analysis work the paper cites ([25]: Liu and
   Lu, "Deep fashion analysis with feature map upsampling and landmark-driven attention",
   ECCV 2018):

.. math::

    A = \sigma\big(f([F; M])\big), \qquad F' = F \circ (1/2 + A),

with ``circ`` the Hadamard product. Every element of ``1/2 + A`` lies in ``(1/2, 3/2)``
(``[1/2, 3/2]`` once float32's sigmoid saturates): elements above 1 strengthen critical
features (e.g. near cuffs and collar), elements below 1 damp irrelevant ones, and no feature
is switched off or more than 1.5x amplified.

The kernel of ``f`` is not given in the paper, which only says the input is "reshaped" to
``28 x 28 x 1024``. We use a 1x1 convolution (``C + 32 -> C``): it is exactly that per-position
reshaping of the channel vector, keeps the attention at a location tied to the landmark
evidence and the feature at that same location (spatial context is already in ``F``, whose
receptive field covers the image, and in the Gaussian heatmaps), and adds only
``(C + 32) * C`` weights (~1.1 M at C = 1024; a 3x3 kernel would add ~9.7 M). ``kernel_size``
may be set to another odd size for experiments.
"""
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmpretrain.registry import MODELS


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f'{name} must be an int >= 1, got {value!r}')
    return value


@MODELS.register_module()
class PSNetLandmarkAttention(nn.Module):
    r"""Landmark-guided attention ``F' = F o (1/2 + sigma(conv([F, M])))``.

    Args:
        in_channels: ``C``, channels of the feature map ``F`` (1024 in the paper).
        num_landmarks: ``K``, channels of the predicted heatmaps (e.g. 294 for DeepFashion2's
            slot layout, 8 for DeepFashion-C).
        landmark_channels: channels of the landmark information ``M`` (the paper's 32).
        kernel_size: kernel of the conv producing ``A`` from ``[F, M]``; 1 by default (see the
            module docstring), any odd size keeps ``F``'s ``h x w``.
        enabled: ``False`` is the "no attention" ablation: ``forward`` returns ``F`` itself
            and the module has no parameters (``A`` is then the constant 1/2).
        detach_heatmaps: stop the retrieval loss's gradient from flowing into the landmark
            branch through the heatmaps.
        zero_init: initialise the ``A`` conv to zero, so that ``A = 1/2`` and ``F' = F`` at
            the start of training (useful when fine-tuning a model trained without attention);
            the default keeps PyTorch's initialisation.
        align_corners: passed to the bilinear resize of the heatmaps.

    Example:
        >>> import torch
        >>> att = PSNetLandmarkAttention(in_channels=64, num_landmarks=8)
        >>> feats, heatmaps = torch.rand(2, 64, 28, 28), torch.rand(2, 8, 224, 224)
        >>> tuple(att(feats, heatmaps).shape), tuple(att.landmark_conv.weight.shape)
        ((2, 64, 28, 28), (32, 8, 1, 1))
        >>> PSNetLandmarkAttention(64, 8, enabled=False)(feats, heatmaps) is feats
        True
    """

    def __init__(self, in_channels: int, num_landmarks: int, landmark_channels: int = 32,
                 kernel_size: int = 1, enabled: bool = True, detach_heatmaps: bool = False,
                 zero_init: bool = False, align_corners: bool = False) -> None:
        super().__init__()
        self.in_channels = _positive_int('in_channels', in_channels)
        self.num_landmarks = _positive_int('num_landmarks', num_landmarks)
        self.landmark_channels = _positive_int('landmark_channels', landmark_channels)
        _positive_int('kernel_size', kernel_size)
        if kernel_size % 2 == 0:
            raise ValueError(f'kernel_size must be odd (to keep the size of F), got '
                             f'{kernel_size!r}')
        if not isinstance(enabled, bool):
            raise ValueError(f'enabled must be a bool, got {enabled!r}')
        self.kernel_size = kernel_size
        self.enabled = enabled
        self.detach_heatmaps = detach_heatmaps
        self.align_corners = align_corners
        if not enabled:
            return
        # M: the K heatmaps (resized to h x w) -> 32 channels of landmark information.
        self.landmark_conv = nn.Conv2d(num_landmarks, landmark_channels, 1)
        # f: [F; M] -> pre-sigmoid attention with F's shape.
        self.attention_conv = nn.Conv2d(in_channels + landmark_channels, in_channels,
                                        kernel_size, padding=kernel_size // 2)
        if zero_init:
            nn.init.zeros_(self.attention_conv.weight)
            nn.init.zeros_(self.attention_conv.bias)

    def _check(self, feats: Tensor, heatmaps: Optional[Tensor]) -> None:
        if (not isinstance(feats, Tensor) or feats.dim() != 4
                or feats.shape[1] != self.in_channels):
            got = tuple(feats.shape) if isinstance(feats, Tensor) else type(feats).__name__
            raise ValueError(f'feats must be (B, {self.in_channels}, h, w), got {got}')
        if heatmaps is None:
            if self.enabled:
                raise ValueError('heatmaps are required when the attention is enabled, got None')
            return
        if (not isinstance(heatmaps, Tensor) or heatmaps.dim() != 4
                or heatmaps.shape[1] != self.num_landmarks
                or heatmaps.shape[0] != feats.shape[0]):
            got = (tuple(heatmaps.shape) if isinstance(heatmaps, Tensor)
                   else type(heatmaps).__name__)
            raise ValueError(f'heatmaps must be ({feats.shape[0]}, {self.num_landmarks}, H, W) '
                             f'to match feats {tuple(feats.shape)}, got {got}')

    def landmark_information(self, heatmaps: Tensor, size: Tuple[int, int]) -> Tensor:
        """``M``: heatmaps bilinearly resized to ``size`` and 1x1-convolved to 32 channels."""
        if self.detach_heatmaps:
            heatmaps = heatmaps.detach()
        if tuple(heatmaps.shape[-2:]) != tuple(size):
            heatmaps = F.interpolate(heatmaps, size=tuple(size), mode='bilinear',
                                     align_corners=self.align_corners)
        return self.landmark_conv(heatmaps)

    def attention_map(self, feats: Tensor, heatmaps: Optional[Tensor]) -> Tensor:
        """``A = sigma(f([F; M]))``, same shape as ``feats``, values in ``[0, 1]``.

        With ``enabled=False`` this is the constant 1/2, for which ``F o (1/2 + A) = F``.
        """
        self._check(feats, heatmaps)
        if not self.enabled:
            return torch.full_like(feats, 0.5)
        m = self.landmark_information(heatmaps.to(feats.dtype), feats.shape[-2:])
        return torch.sigmoid(self.attention_conv(torch.cat([feats, m], dim=1)))

    def forward(self, feats: Tensor, heatmaps: Optional[Tensor] = None,
                return_attention: bool = False) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """``F' = F o (1/2 + A)``.

        Args:
            feats: ``F``, ``(B, C, h, w)``.
            heatmaps: predicted heatmaps, ``(B, K, H, W)`` at any size (resized to ``h x w``);
                may be ``None`` only when the attention is disabled.
            return_attention: also return ``A``.

        Returns:
            ``F'`` of ``feats``' shape (``feats`` itself when disabled), or ``(F', A)``.
        """
        self._check(feats, heatmaps)
        if not self.enabled:
            return (feats, self.attention_map(feats, heatmaps)) if return_attention else feats
        attention = self.attention_map(feats, heatmaps)
        out = feats * (0.5 + attention)
        return (out, attention) if return_attention else out

    def extra_repr(self) -> str:
        return (f'in_channels={self.in_channels}, num_landmarks={self.num_landmarks}, '
                f'landmark_channels={self.landmark_channels}, kernel_size={self.kernel_size}, '
                f'enabled={self.enabled}')
