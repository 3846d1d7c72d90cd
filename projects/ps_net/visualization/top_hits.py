"""One query and its top gallery hits, with the five PS-Net regions drawn on every image.

Each tile is the model's input crop with its region boxes (left sleeve, right sleeve, collar,
chest, waist; a region flagged as a template fallback is dashed, a missing one is not drawn)
and, under it, the rank, the eq. 1 score and the hit's status for the query: ``copy`` (a
positive: a plagiarized copy of the query's design, green frame), ``ignored`` (an identical
re-shot, ignored by the plagiarism task, grey) or ``other`` (red).
"""
import io
from typing import List, Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw

from ..datasets.pf_format import PF_REGIONS
from ..utils import atomic_write

#: One colour per region, in ``PF_REGIONS`` order.
REGION_COLOURS = ((66, 135, 245), (0, 190, 190), (245, 166, 35), (200, 60, 200), (120, 200, 40))
STATUS_COLOURS = {'query': (0, 0, 0), 'copy': (30, 160, 60), 'ignored': (150, 150, 150),
                  'other': (210, 40, 40)}


def _tile(img: np.ndarray, boxes: np.ndarray, valid: np.ndarray, fallback: np.ndarray,
          caption: str, status: str, scale: int) -> Image.Image:
    h, w = img.shape[:2]
    pic = Image.fromarray(img).resize((w * scale, h * scale), Image.BILINEAR)
    tile = Image.new('RGB', (w * scale + 8, h * scale + 24), 'white')
    tile.paste(pic, (4, 4))
    draw = ImageDraw.Draw(tile)
    draw.rectangle([1, 1, w * scale + 6, h * scale + 6], outline=STATUS_COLOURS[status], width=3)
    for r, box in enumerate(boxes):
        if not valid[r]:
            continue
        x0, y0, x1, y1 = (np.asarray(box, dtype=float) * scale + 4).tolist()
        colour = REGION_COLOURS[r % len(REGION_COLOURS)]
        if fallback[r]:  # dashed: the garment-box template, not the landmarks
            for x in np.arange(x0, x1, 6):
                draw.line([x, y0, min(x + 3, x1), y0], fill=colour, width=2)
                draw.line([x, y1, min(x + 3, x1), y1], fill=colour, width=2)
            for y in np.arange(y0, y1, 6):
                draw.line([x0, y, x0, min(y + 3, y1)], fill=colour, width=2)
                draw.line([x1, y, x1, min(y + 3, y1)], fill=colour, width=2)
        else:
            draw.rectangle([x0, y0, x1, y1], outline=colour, width=2)
    draw.text((4, h * scale + 9), caption, fill=STATUS_COLOURS[status])
    return tile


def draw_top_hits(query: dict, hits: Sequence[dict], out_path: Optional[str] = None,
                  scale: int = 2) -> Image.Image:
    """A row: the query, then its hits in rank order.

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
    tiles = [_tile(query['img'], query['boxes'], query['valid'], query['fallback'], 'query',
                   'query', scale)]
    for rank, hit in enumerate(hits, 1):
        if hit['status'] not in STATUS_COLOURS or hit['status'] == 'query':
            raise ValueError(f"hit {rank} status must be 'copy', 'ignored' or 'other', got "
                             f"{hit['status']!r}")
        tiles.append(_tile(hit['img'], hit['boxes'], hit['valid'], hit['fallback'],
                           f"#{rank} {hit['score']:.3f} {hit['status']}", hit['status'], scale))
    legend_h = 16
    width = sum(t.width for t in tiles) + 4 * (len(tiles) - 1)
    sheet = Image.new('RGB', (width, tiles[0].height + legend_h), 'white')
    x = 0
    for t in tiles:
        sheet.paste(t, (x, 0))
        x += t.width + 4
    draw = ImageDraw.Draw(sheet)
    x = 4
    for name, colour in zip(PF_REGIONS, REGION_COLOURS):
        draw.rectangle([x, tiles[0].height + 3, x + 10, tiles[0].height + 13], fill=colour)
        draw.text((x + 13, tiles[0].height + 2), name, fill=(0, 0, 0))
        x += 13 + 7 * len(name) + 8
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
