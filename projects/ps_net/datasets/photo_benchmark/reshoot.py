"""Re-shooting a photo: the same garment photographed again, with its boxes carried along.

The synthetic generator's re-shot (:func:`ps_net.datasets.synthetic.reshoot.reshoot`) places a
transparent flat render on a generated background; a photo brings its own background and its
garment mask is only an estimate, so compositing would cut the garment along the estimate's
errors. This re-shot keeps the photo whole and moves the camera instead:

* geometry: one homography made of a scale (0.9-1.1), an in-plane rotation (up to 6 degrees),
  a shift (up to 4 % of each side) and a perspective tilt (each corner moved by up to 3 % of
  the side), about the image centre; the image keeps its size, and what the camera now sees
  beyond the photo's edge is the photo's edge mirrored (``BORDER_REFLECT_101``);
* light: a gamma (0.85-1.15), a colour cast (0.92-1.08 per channel), a brightness gradient
  across the frame (0.8-1.15 at the centre, +-0.25 across);
* the camera: a Gaussian blur in 30 % of shots (sigma 0.3-1.0), sensor noise in 50 % (sigma
  1-3), and JPEG compression (quality 65-92).

Every draw comes from the generator passed in (the noise from OpenCV's generator seeded by
it), so a seed gives the same bytes.
"""
import dataclasses
import math
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np


@dataclasses.dataclass(frozen=True)
class ReshootConfig:
    """Ranges of :func:`reshoot` (see the module docstring)."""
    scale: Tuple[float, float] = (0.9, 1.1)
    max_rotation_deg: float = 6.0
    max_shift: float = 0.04
    max_tilt: float = 0.03
    gain: Tuple[float, float] = (0.8, 1.15)
    gradient: float = 0.25
    cast: Tuple[float, float] = (0.92, 1.08)
    gamma: Tuple[float, float] = (0.85, 1.15)
    blur_prob: float = 0.3
    blur_sigma: Tuple[float, float] = (0.3, 1.0)
    noise_prob: float = 0.5
    noise_sigma: Tuple[float, float] = (1.0, 3.0)
    jpeg_quality: Tuple[int, int] = (65, 92)


@dataclasses.dataclass
class Shot:
    """A re-shot photo: ``jpeg`` bytes, the ``homography`` (3 x 3, input -> output pixels) and
    the output ``size`` ``(width, height)``."""
    jpeg: bytes
    homography: np.ndarray
    size: Tuple[int, int]


def draw_homography(width: int, height: int, rng: np.random.Generator,
                    config: ReshootConfig = ReshootConfig()) -> np.ndarray:
    """The camera move of one shot (see the module docstring)."""
    k = rng.uniform(*config.scale)
    a = math.radians(rng.uniform(-config.max_rotation_deg, config.max_rotation_deg))
    c = np.array([width / 2, height / 2])
    t = rng.uniform(-config.max_shift, config.max_shift, size=2) * [width, height]
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) * k
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    moved = (corners - c) @ rot.T + c + t
    moved += rng.uniform(-config.max_tilt, config.max_tilt, size=(4, 2)) * [width, height]
    return cv2.getPerspectiveTransform(corners.astype(np.float32), moved.astype(np.float32))


def map_box(box: Sequence[float], homography: np.ndarray, size: Tuple[int, int]
            ) -> List[float]:
    """The box around a box's four corners after the homography, clipped to ``size``; an
    empty list when nothing of it is left in the picture."""
    x1, y1, x2, y2 = box
    pts = np.array([[[x1, y1], [x2, y1], [x2, y2], [x1, y2]]], np.float64)
    out = cv2.perspectiveTransform(pts, homography)[0]
    lo = np.clip(out.min(0), 0, size)
    hi = np.clip(out.max(0), 0, size)
    if hi[0] - lo[0] < 1 or hi[1] - lo[1] < 1:
        return []
    return [round(float(v), 2) for v in (lo[0], lo[1], hi[0], hi[1])]


def map_boxes(boxes: Dict[str, Sequence[float]], homography: np.ndarray,
              size: Tuple[int, int]) -> Dict[str, List[float]]:
    """:func:`map_box` of every box; boxes that leave the picture are dropped."""
    mapped = {k: map_box(b, homography, size) for k, b in boxes.items()}
    return {k: b for k, b in mapped.items() if b}


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    """JPEG bytes of an RGB image."""
    ok, buf = cv2.imencode('.jpg', cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError('JPEG encoding failed')
    return buf.tobytes()


def reshoot(rgb: np.ndarray, rng: np.random.Generator,
            config: ReshootConfig = ReshootConfig()) -> Shot:
    """Shoot an RGB photo again (see the module docstring)."""
    height, width = rgb.shape[:2]
    hom = draw_homography(width, height, rng, config)
    warped = cv2.warpPerspective(rgb, hom, (width, height), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REFLECT_101)
    gamma = rng.uniform(*config.gamma)
    cast = rng.uniform(*config.cast, size=3)
    levels = 255 * (np.arange(256) / 255) ** gamma
    lut = (levels[:, None] * cast[None, :]).astype(np.float32).reshape(1, 256, 3)
    img = cv2.LUT(warped, lut)  # gamma and colour cast in one table
    xx = np.linspace(-0.5, 0.5, width, dtype=np.float32)[None, :]
    yy = np.linspace(-0.5, 0.5, height, dtype=np.float32)[:, None]
    gain = (rng.uniform(*config.gain) + rng.uniform(-config.gradient, config.gradient) * xx
            + rng.uniform(-config.gradient, config.gradient) * yy).astype(np.float32)
    img *= gain[..., None]
    if rng.uniform() < config.blur_prob:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(*config.blur_sigma))
    if rng.uniform() < config.noise_prob:
        noise = np.empty_like(img)
        cv2.setRNGSeed(int(rng.integers(2**31)))
        cv2.randn(noise, 0.0, float(rng.uniform(*config.noise_sigma)))
        img += noise
    np.add(img, 0.5, out=img)
    out = np.clip(img, 0, 255, out=img).astype(np.uint8)
    quality = int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1))
    return Shot(encode_jpeg(out, quality), hom, (width, height))
