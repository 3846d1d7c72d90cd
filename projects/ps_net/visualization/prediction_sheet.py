"""Predicted vs true boxes and landmarks on a few images of a COCO file, as one PNG.

True boxes and landmarks are green, predicted ones red (landmarks: dots with a line to their true
position when the slot is labelled); each tile is captioned with the predicted category and
score. Works for files without landmarks too (CCP: boxes only, predicted landmarks drawn).
"""
import io
import json
import os
from typing import List, Optional

import numpy as np
from PIL import Image, ImageDraw

from ..structures import DF2_CATEGORIES
from ..utils import atomic_write


def _tile(img_path: str, anns: List[dict], result, size: int) -> Image.Image:
    img = Image.open(img_path).convert('RGB')
    s = size / max(img.size)
    img = img.resize((round(img.width * s), round(img.height * s)), Image.BILINEAR)
    tile = Image.new('RGB', (size, size + 26), 'white')
    tile.paste(img, (0, 0))
    d = ImageDraw.Draw(tile)
    for a in anns:
        x, y, w, h = a['bbox']
        d.rectangle([x * s, y * s, (x + w) * s, (y + h) * s], outline=(20, 200, 60), width=2)
    truth = {}
    for a in anns:
        kp = np.asarray(a.get('keypoints', []), np.float64).reshape(-1, 3)
        for slot, (x, y, v) in enumerate(kp):
            if v > 0:
                truth[slot] = (x, y)
                d.ellipse([x * s - 2, y * s - 2, x * s + 2, y * s + 2], fill=(20, 200, 60))
    caption = []
    for g in result.garments:
        d.rectangle([v * s for v in g.bbox], outline=(230, 30, 30), width=2)
        for slot, (x, y) in zip(g.slots, g.keypoints):
            if int(slot) in truth:
                tx, ty = truth[int(slot)]
                d.line([x * s, y * s, tx * s, ty * s], fill=(250, 200, 0), width=1)
            d.ellipse([x * s - 2, y * s - 2, x * s + 2, y * s + 2], fill=(230, 30, 30))
        caption.append(f'{g.category_name} {g.score:.2f}')
    d.text((3, size + 2), '; '.join(caption) or result.status, fill=(0, 0, 0))
    true_names = ', '.join(DF2_CATEGORIES[a['category_id']] for a in anns)
    d.text((3, size + 13), f'true: {true_names}', fill=(90, 90, 90))
    return tile


def draw_predictions(pipeline, coco_path: str, out_path: str, data_root: Optional[str] = None,
                     num_images: int = 12, cols: int = 6, tile_size: int = 192,
                     overwrite: bool = False) -> str:
    """Run ``pipeline`` (a :class:`ps_net.apis.GarmentPipeline`) on ``num_images`` images spread
    evenly over a COCO file and write the sheet to ``out_path`` (atomically)."""
    if num_images < 1 or cols < 1:
        raise ValueError(f'num_images and cols must be >= 1, got {num_images!r}, {cols!r}')
    with open(coco_path, encoding='utf-8') as f:
        coco = json.load(f)
    root = data_root or os.path.dirname(os.path.dirname(os.path.abspath(coco_path)))
    by_image = {}
    for a in coco['annotations']:
        by_image.setdefault(a['image_id'], []).append(a)
    step = max(1, len(coco['images']) // num_images)  # spread over the file (many designs)
    images = coco['images'][::step][:num_images]
    rows = (len(images) + cols - 1) // cols
    sheet = Image.new('RGB', (cols * (tile_size + 4), rows * (tile_size + 30)), (235, 235, 235))
    for i, info in enumerate(images):
        path = os.path.join(root, info['file_name'])
        tile = _tile(path, by_image.get(info['id'], []), pipeline(path), tile_size)
        sheet.paste(tile, ((i % cols) * (tile_size + 4), (i // cols) * (tile_size + 30)))
    buf = io.BytesIO()
    sheet.save(buf, 'PNG')
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    atomic_write(out_path, buf.getvalue(), overwrite=overwrite)
    return out_path
