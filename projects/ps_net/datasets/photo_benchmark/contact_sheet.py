"""The contact sheet: one row per design, every picture with its boxes drawn.

A row shows the original (its region layout in green, the silhouette outline in yellow), the
identical re-shot, then for every copy the edited photo before its re-shot (the zones its
edits could change in red) and the copy as re-shot (its modified regions' boxes in red),
each labelled. Rows are padded to the longest.
"""
import io
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from ...utils import atomic_write

Box = Sequence[float]


def cell(rgb: np.ndarray, height: int, boxes: Sequence[Box] = (), color=(255, 40, 40),
         label: str = '', outline: Optional[np.ndarray] = None,
         extra: Sequence[Box] = (), extra_color=(40, 220, 40)) -> np.ndarray:
    """One picture of the sheet, ``height`` pixels tall, boxes and label drawn."""
    img = np.ascontiguousarray(rgb.copy())
    thick = max(1, round(img.shape[0] / height * 1.5))
    if outline is not None:
        contours, _ = cv2.findContours(outline.astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(img, contours, -1, (255, 230, 0), thick)
    for box_list, col in ((extra, extra_color), (boxes, color)):
        for b in box_list:
            x1, y1, x2, y2 = (int(round(v)) for v in b)
            cv2.rectangle(img, (x1, y1), (x2 - 1, y2 - 1), col, thick)
    scale = height / img.shape[0]
    img = cv2.resize(img, (max(1, round(img.shape[1] * scale)), height),
                     interpolation=cv2.INTER_AREA)
    if label:
        band = np.zeros((14, img.shape[1], 3), np.uint8)
        cv2.putText(band, label[:40], (2, 11), cv2.FONT_HERSHEY_PLAIN, 0.8, (255, 255, 255), 1,
                    cv2.LINE_AA)
        img = np.concatenate([img, band], 0)
    return img


def assemble(rows: List[List[np.ndarray]], gap: int = 3) -> np.ndarray:
    """Cells laid out in rows (each cell at its own width), on a dark background."""
    if not rows or not any(rows):
        raise ValueError('a contact sheet needs at least one picture')
    height = max(c.shape[0] for row in rows for c in row)
    width = max(sum(c.shape[1] + gap for c in row) for row in rows) + gap
    sheet = np.full((len(rows) * (height + gap) + gap, width, 3), 24, np.uint8)
    for r, row in enumerate(rows):
        x, y = gap, gap + r * (height + gap)
        for c in row:
            sheet[y:y + c.shape[0], x:x + c.shape[1]] = c
            x += c.shape[1] + gap
    return sheet


def write_sheet(sheet: np.ndarray, path: str, colors: int = 0,
                max_width: Optional[int] = None) -> Tuple[int, int]:
    """Write an RGB sheet as PNG (atomically); ``colors`` > 0 quantises it to that many
    colours (a smaller file), ``max_width`` reduces it. Returns its ``(width, height)``."""
    if max_width is not None and sheet.shape[1] > max_width:
        scale = max_width / sheet.shape[1]
        sheet = cv2.resize(sheet, (max_width, round(sheet.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA)
    img = Image.fromarray(sheet)
    if colors:
        img = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.NONE)
    buf = io.BytesIO()
    img.save(buf, 'PNG', optimize=True)
    atomic_write(path, buf.getvalue(), overwrite=True)
    return img.size
