"""One query and its top gallery hits, with the five PS-Net regions drawn on every image.

Each tile is the model's input crop with its region boxes (left sleeve, right sleeve, collar,
chest, waist; a region flagged as a template fallback is dashed, a missing one is not drawn)
and, under it, the rank, the eq. 1 score and the hit's status for the query: ``copy`` (a
positive: a plagiarized copy of the query's design, green frame), ``ignored`` (an identical
re-shot, ignored by the plagiarism task, grey) or ``other`` (red).
"""
import io
from typing import List, Optional, Sequence

import mmcv
import numpy as np
from mmengine.visualization import Visualizer
from PIL import Image

from ..structures import REGIONS
from ..utils import atomic_write

#: One colour per region, in ``REGIONS`` order.
REGION_COLOURS = ((66, 135, 245), (0, 190, 190), (245, 166, 35), (200, 60, 200), (120, 200, 40))
STATUS_COLOURS = {'query': (0, 0, 0), 'copy': (30, 160, 60), 'ignored': (150, 150, 150),
                  'other': (210, 40, 40)}
#: Border around each crop (left, top, right, bottom; the caption sits in the bottom one).
PADDING = (4, 4, 4, 20)
GAP = 4  # between tiles
LEGEND_HEIGHT = 16


def _visualizer() -> Visualizer:
    # mmpretrain's UniversalVisualizer.visualize_image_retrieval draws the dataset's original
    # images with scores only; the regions and status frames need the input crops, so the
    # tiles are drawn with mmengine's Visualizer primitives instead. A private instance
    # (Visualizer.get_instance would make it every later caller's current visualizer).
    return Visualizer(name='ps_net_top_hits')


def pixels_to_points(vis: Visualizer, pixels: float) -> float:
    """A line width of ``pixels`` in the points matplotlib draws with."""
    return pixels * 72 / vis.dpi


def draw_tile(vis: Visualizer, img: np.ndarray, boxes: np.ndarray, valid: np.ndarray,
              fallback: np.ndarray, caption: str, colour: tuple, scale: int) -> np.ndarray:
    """An RGB crop upscaled by ``scale`` in a frame of ``colour``, its valid region boxes in
    :data:`REGION_COLOURS` (dashed where ``fallback``) and ``caption`` under it."""
    h, w = img.shape[:2]
    crop = mmcv.imresize(np.ascontiguousarray(img), (w * scale, h * scale),
                         interpolation='bilinear')
    vis.set_image(mmcv.impad(crop, padding=PADDING, pad_val=(255, 255, 255)))
    # the frame: 3 px just outside the crop, in the status (or verdict) colour (a line at
    # integer x covers pixels x - 1 to x + 1)
    frame = np.array([PADDING[0] - 2, PADDING[1] - 2, PADDING[0] + w * scale + 1,
                      PADDING[1] + h * scale + 1])
    vis.draw_bboxes(frame, edge_colors=colour, line_widths=pixels_to_points(vis, 3),
                    alpha=1.0)
    shown = np.flatnonzero(np.asarray(valid, bool))
    if len(shown):
        vis.draw_bboxes(
            np.asarray(boxes, dtype=float)[shown] * scale + PADDING[0],
            edge_colors=[REGION_COLOURS[r % len(REGION_COLOURS)] for r in shown],
            # dashed: the garment-box template, not the landmarks
            line_styles=['--' if fallback[r] else '-' for r in shown],
            line_widths=pixels_to_points(vis, 2), alpha=1.0)
    vis.draw_texts(caption, np.array([PADDING[0], PADDING[1] + h * scale + 5]),
                   colors=colour, font_sizes=6)
    return vis.get_image()


def draw_legend(vis: Visualizer, width: int) -> np.ndarray:
    """A white strip ``width`` wide naming each region beside a swatch of its colour."""
    vis.set_image(np.full((LEGEND_HEIGHT, width, 3), 255, np.uint8))
    x = 4
    for name, colour in zip(REGIONS, REGION_COLOURS):
        if x + 10 > width:  # a narrow row shows the first regions only
            break
        vis.draw_bboxes(np.array([x, 3, x + 10, 13]), edge_colors=colour, face_colors=colour,
                        line_widths=pixels_to_points(vis, 1), alpha=1.0)
        vis.draw_texts(name, np.array([x + 13, 2]), colors=(0, 0, 0), font_sizes=6)
        x += 13 + 7 * len(name) + 8
    return vis.get_image()


def draw_top_hits(query: dict, hits: Sequence[dict], out_path: Optional[str] = None,
                  scale: int = 2) -> Image.Image:
    """A row: the query, then its hits in rank order, over a legend of the region colours.

    Args:
        query: ``dict(img, boxes, valid, fallback)``: ``img`` an ``(H, W, 3)`` uint8 RGB crop,
            ``boxes`` ``(5, 4)`` region boxes in that crop's pixels, ``valid`` and ``fallback``
            ``(5,)`` bools.
        hits: the same keys plus ``score`` (float) and ``status`` (``'copy'``, ``'ignored'``
            or ``'other'``).
        out_path: PNG to write (None: only return the image).
        scale: upscaling of the crops.

    Returns:
        The picture.
    """
    if scale < 1:
        raise ValueError(f'scale must be >= 1, got {scale!r}')
    for rank, hit in enumerate(hits, 1):
        if hit['status'] not in STATUS_COLOURS or hit['status'] == 'query':
            raise ValueError(f"hit {rank} status must be 'copy', 'ignored' or 'other', got "
                             f"{hit['status']!r}")
    vis = _visualizer()
    items = [(query, 'query', 'query')] + [
        (hit, f"#{rank} {hit['score']:.3f} {hit['status']}", hit['status'])
        for rank, hit in enumerate(hits, 1)]
    tiles = [draw_tile(vis, item['img'], item['boxes'], item['valid'], item['fallback'],
                       caption, STATUS_COLOURS[status], scale) for item, caption, status in items]
    row = [tiles[0]]
    for tile in tiles[1:]:
        row += [np.full((tile.shape[0], GAP, 3), 255, np.uint8), tile]
    row = np.concatenate(row, axis=1)
    sheet = Image.fromarray(np.concatenate([row, draw_legend(vis, row.shape[1])], axis=0))
    if out_path is not None:
        buf = io.BytesIO()
        sheet.save(buf, 'PNG')
        atomic_write(out_path, buf.getvalue(), overwrite=True)
    return sheet


def hit_status(gallery_index: int, positives: Sequence[int], ignored: Sequence[int]) -> str:
    """``'copy'``, ``'ignored'`` or ``'other'`` for one gallery position."""
    if gallery_index in set(int(p) for p in positives):
        return 'copy'
    if gallery_index in set(int(i) for i in ignored):
        return 'ignored'
    return 'other'


__all__: List[str] = ['draw_top_hits', 'hit_status', 'REGION_COLOURS']
