"""A contact sheet of a Plagiarized Fashion file: one row per design, every shot of it.

Columns: the original (query), then its identical, plagiarized and irrelevant gallery shots.
Each tile shows the landmarks (green: visible, yellow: occluded), the region boxes (thin blue)
and, on plagiarized copies, the modified regions' boxes (thick red), with the relation and
the modified regions written under it.
"""
import io
import os
from typing import List, Optional

from PIL import Image, ImageDraw

from ..datasets.pf_format import load_pf
from ..utils import atomic_write

RELATION_ORDER = ('original', 'identical', 'plagiarized', 'irrelevant')


def _tile(root: str, entry: dict, size: int) -> Image.Image:
    img = Image.open(os.path.join(root, entry['img_path'])).convert('RGB')
    scale = size / max(img.size)
    img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BILINEAR)
    tile = Image.new('RGB', (size, size + 28), 'white')
    tile.paste(img, (0, 0))
    draw = ImageDraw.Draw(tile)
    modified = set(entry['modified_regions'])
    for name, box in entry.get('region_boxes', {}).items():
        box = [v * scale for v in box]
        if name in modified:
            draw.rectangle(box, outline=(230, 20, 20), width=3)
        else:
            draw.rectangle(box, outline=(40, 90, 230), width=1)
    for x, y, v in entry.get('landmarks', []):
        if v:
            r = 2
            color = (20, 220, 60) if v == 2 else (250, 210, 0)
            draw.ellipse((x * scale - r, y * scale - r, x * scale + r, y * scale + r), fill=color)
    label = entry['relation']
    if modified:
        label += ': ' + ', '.join(entry['modified_regions'])
    draw.text((3, size + 2), label, fill=(0, 0, 0))
    draw.text((3, size + 14), f"{entry['category']} #{entry['design_id']}", fill=(90, 90, 90))
    return tile


def draw_sheet(pf_path: str, out_path: str, data_root: Optional[str] = None,
               num_designs: int = 6, tile_size: int = 192, overwrite: bool = False) -> str:
    """Draw the first ``num_designs`` designs of a PF file into a PNG sheet.

    Args:
        pf_path: Plagiarized Fashion file (validated while loading).
        out_path: PNG to write (atomically; an existing file is kept unless ``overwrite``).
        data_root: folder the ``img_path`` values are relative to (default: the parent of the
            annotation file's folder, the generator's layout).
        num_designs: rows of the sheet.
        tile_size: side of each picture in the sheet.
        overwrite: replace an existing ``out_path``.

    Returns:
        ``out_path``.
    """
    if num_designs < 1 or tile_size < 32:
        raise ValueError(f'num_designs must be >= 1 and tile_size >= 32, got {num_designs!r} '
                         f'and {tile_size!r}')
    data = load_pf(pf_path)
    root = data_root or os.path.dirname(os.path.dirname(os.path.abspath(pf_path)))
    by_design: dict = {}
    for entry in data['data_list']:
        by_design.setdefault(entry['design_id'], []).append(entry)
    rows: List[List[dict]] = []
    for design_id in sorted(by_design)[:num_designs]:
        entries = sorted(by_design[design_id],
                         key=lambda e: (RELATION_ORDER.index(e['relation']), e['img_path']))
        rows.append(entries)
    if not rows:
        raise ValueError(f'{pf_path}: data_list is empty, nothing to draw')
    cols = max(len(r) for r in rows)
    th = tile_size + 28
    sheet = Image.new('RGB', (cols * (tile_size + 4), len(rows) * (th + 4)), (235, 235, 235))
    for i, row in enumerate(rows):
        for j, entry in enumerate(row):
            sheet.paste(_tile(root, entry, tile_size), (j * (tile_size + 4), i * (th + 4)))

    buf = io.BytesIO()
    sheet.save(buf, 'PNG')
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    atomic_write(out_path, buf.getvalue(), overwrite=overwrite)
    return out_path
