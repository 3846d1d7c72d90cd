"""Axis stretch: the one geometric warp behind every shape edit.

Along a unit axis ``u`` from an anchor ``a``, a pixel at distance ``s = (p - a) . u`` of the
output shows the input at ``f(s)``::

    f(s) = s / k                      for 0 <= s <= s1
    f(s) = linear from s1 / k to s2   for s1 < s <= s2
    f(s) = s                          beyond s2 (and for s < 0, unless symmetric)

so content up to ``s1 / k`` is stretched by ``k`` (``k > 1``: a sleeve, hem or neckline moves
out by ``k``; ``k < 1``: it moves in and the background behind it shows), and the warp returns
to the identity at ``s2``. ``symmetric`` applies ``f`` to ``|s|`` on both sides (widths).
The displacement is multiplied by a weight ``w(p)`` in [0, 1], zero outside the zone box
(:func:`box_weight` tapers it to zero at the box edges), so no pixel outside the zone moves
and the output is continuous. ``k``, ``s1`` and ``s2`` may be arrays broadcast over the zone
(a hem that is shortened more at the sides than in the middle).
"""
from typing import Tuple, Union

import cv2
import numpy as np

ArrayOrFloat = Union[float, np.ndarray]
Box = Tuple[int, int, int, int]


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def box_weight(zone: Box, band: float, sides: Tuple[bool, bool, bool, bool] = (True, ) * 4
               ) -> np.ndarray:
    """``(h, w)`` weights over the zone box: 1 inside, falling smoothly to 0 over ``band``
    pixels at the edges named by ``sides`` (left, top, right, bottom)."""
    x1, y1, x2, y2 = zone
    xs = np.arange(x1, x2, dtype=np.float32) + 0.5
    ys = np.arange(y1, y2, dtype=np.float32) + 0.5
    band = max(float(band), 1.0)
    wx = np.ones_like(xs)
    wy = np.ones_like(ys)
    if sides[0]:
        wx = wx * _smoothstep((xs - x1) / band)
    if sides[2]:
        wx = wx * _smoothstep((x2 - xs) / band)
    if sides[1]:
        wy = wy * _smoothstep((ys - y1) / band)
    if sides[3]:
        wy = wy * _smoothstep((y2 - ys) / band)
    return wy[:, None] * wx[None, :]


def stretch_profile(s: np.ndarray, k: ArrayOrFloat, s1: ArrayOrFloat,
                    s2: ArrayOrFloat) -> np.ndarray:
    """``f(s)`` of the module docstring for ``s >= 0`` (element-wise).

    Raises:
        ValueError: if ``s1 / k > s2`` somewhere (``f`` would not be monotone).
    """
    k, s1, s2 = (np.asarray(v, np.float32) for v in (k, s1, s2))
    if np.any(s1 / k > s2 + 1e-3) or np.any(k <= 0):
        raise ValueError('axis stretch needs k > 0 and s1 / k <= s2')
    inner = s / k
    span = np.maximum(s2 - s1, 1e-6)
    ramp = s1 / k + (s - s1) / span * (s2 - s1 / k)
    return np.where(s <= s1, inner, np.where(s <= s2, ramp, s)).astype(np.float32)


def axis_stretch(image: np.ndarray, zone: Box, anchor: Tuple[float, float],
                 axis: Tuple[float, float], k: ArrayOrFloat, s1: ArrayOrFloat,
                 s2: ArrayOrFloat, weight: np.ndarray, symmetric: bool = False) -> np.ndarray:
    """Warp ``image`` inside ``zone`` (see the module docstring); a new array is returned.

    Args:
        image: ``(H, W, C)`` uint8 or float32.
        zone: ``(x1, y1, x2, y2)`` pixels that may change (clipped to the image).
        anchor, axis: ``a`` and ``u`` (``u`` is normalised here).
        k, s1, s2: the profile, scalars or arrays of the zone's shape.
        weight: ``(h, w)`` weights over the zone (e.g. :func:`box_weight`).
        symmetric: stretch both sides of the anchor (``|s|``).
    """
    height, width = image.shape[:2]
    x1, y1, x2, y2 = max(0, zone[0]), max(0, zone[1]), min(width, zone[2]), min(height, zone[3])
    out = image.copy()
    if x2 <= x1 or y2 <= y1:
        return out
    weight = weight[y1 - zone[1]:y2 - zone[1], x1 - zone[0]:x2 - zone[0]]
    u = np.asarray(axis, np.float32)
    u = u / max(float(np.linalg.norm(u)), 1e-6)
    gx, gy = np.meshgrid(np.arange(x1, x2, dtype=np.float32),
                         np.arange(y1, y2, dtype=np.float32))
    s = (gx - anchor[0]) * u[0] + (gy - anchor[1]) * u[1]

    def crop(v):
        v = np.asarray(v, np.float32)
        return v[y1 - zone[1]:y2 - zone[1], x1 - zone[0]:x2 - zone[0]] if v.ndim == 2 else v

    k, s1, s2 = crop(k), crop(s1), crop(s2)
    mag = np.abs(s) if symmetric else np.maximum(s, 0)
    shift = (stretch_profile(mag, k, s1, s2) - mag) * weight
    if symmetric:
        shift = shift * np.sign(s)
    map_x = gx + shift * u[0]
    map_y = gy + shift * u[1]
    out[y1:y2, x1:x2] = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REFLECT_101)
    return out
