"""Draw the landmarks of a COCO-style keypoint file (FLD layout or any other) on its photos.

Each tile shows one annotation: its box (yellow) and its landmarks numbered 1..K in the order of
the category's ``keypoints`` (filled: visible, ring: occluded/estimated; absent ones are not
drawn) and, when the annotation has them (``region_boxes``, as written by
``tools/analysis_tools/landmark_photo_error.py --predictions``), the five region boxes; a legend
under the sheet names the numbers. Photos that cannot be read become grey tiles
with the reason, and the tool exits non-zero only when none could be read.

Example::

    python tools/visualization/draw_landmark_annotations.py \\
        annotations/clothing-small_landmarks_val.json \\
        --img-root ../shared/data/clothing-small/train --per-class 3 --cols 6 \\
        --out docs/figures/landmarks_val_sheet.png
"""
import argparse
import io
import json
import os
import sys
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple

from PIL import Image, ImageDraw

from ps_net.datasets.fld import FLDFormatError, load_fld_coco
from ps_net.structures import REGIONS
from ps_net.utils import atomic_write

#: Landmark colours, cycled when a layout has more points.
COLORS = ((228, 26, 28), (55, 126, 184), (77, 175, 74), (152, 78, 163), (255, 127, 0),
          (255, 255, 51), (166, 86, 40), (247, 129, 191))
#: Region box colours, in the order of ``ps_net.structures.REGIONS``.
REGION_COLORS = ((0, 200, 255), (0, 120, 255), (255, 0, 200), (0, 200, 80), (140, 70, 255))


def load_keypoint_coco(path: str) -> dict:
    """Read a COCO-style keypoint file: an FLD one (8 points) through
    :func:`ps_net.datasets.fld.load_fld_coco`, any other layout with the checks drawing needs.

    Raises:
        FLDFormatError: naming the file and the first bad field.
    """
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except json.JSONDecodeError as err:
        raise FLDFormatError(f'{path}: invalid JSON: {err}') from None
    anns = data.get('annotations') if isinstance(data, dict) else None
    if isinstance(anns, list) and all(isinstance(a, dict) and len(a.get('keypoints') or []) == 24
                                      for a in anns):
        return load_fld_coco(path)
    if not (isinstance(anns, list) and isinstance(data.get('images'), list)):
        raise FLDFormatError(f'{path}: expected an object with lists images and annotations')
    ids = {img.get('id') for img in data['images'] if isinstance(img, dict)}
    for i, ann in enumerate(anns):
        kpts, bbox = ann.get('keypoints'), ann.get('bbox')
        if not (isinstance(kpts, list) and len(kpts) % 3 == 0 and isinstance(bbox, list)
                and len(bbox) == 4 and ann.get('image_id') in ids):
            raise FLDFormatError(f'{path}: annotations[{i}]: expected keypoints of 3*K numbers, '
                                 f'a bbox [x, y, w, h] and the image_id of a listed image')
    return data


def select(data: dict, per_class: Optional[int], num: Optional[int]) -> List[Tuple[dict, dict]]:
    """(image, annotation) pairs in file order; ``per_class`` keeps the first ones of each top
    folder of ``file_name``; ``num`` caps the total."""
    images = {img['id']: img for img in data['images']}
    pairs = [(images[a['image_id']], a) for a in data['annotations']]
    if per_class is not None:
        groups: 'OrderedDict[str, list]' = OrderedDict()
        for img, ann in pairs:
            groups.setdefault(img['file_name'].split('/', 1)[0], []).append((img, ann))
        pairs = [p for group in groups.values() for p in group[:per_class]]
    return pairs[:num] if num is not None else pairs


def draw_tile(img_root: str, img: dict, ann: dict, size: int,
              annotate: bool = True) -> Tuple[Image.Image, bool]:
    """One tile of ``size`` x ``size + 14`` px (the photo alone unless ``annotate``); returns it
    and whether the photo was read."""
    tile = Image.new('RGB', (size, size + 14), 'white')
    draw = ImageDraw.Draw(tile)
    path = os.path.join(img_root, img['file_name'])
    try:
        with Image.open(path) as photo:
            photo = photo.convert('RGB')
    except OSError as err:
        draw.rectangle((0, 0, size - 1, size - 1), fill=(200, 200, 200))
        draw.text((4, 4), f'unreadable:\n{type(err).__name__}', fill=(0, 0, 0))
        draw.text((2, size + 1), img['file_name'][:size // 6], fill=(0, 0, 0))
        return tile, False
    scale = size / max(photo.size)
    photo = photo.resize((round(photo.width * scale), round(photo.height * scale)),
                         Image.BILINEAR)
    tile.paste(photo, (0, 0))
    if not annotate:
        return tile, True
    x, y, w, h = (v * scale for v in ann['bbox'])
    draw.rectangle((x, y, x + w, y + h), outline=(255, 215, 0), width=1)
    for region, color in zip(REGIONS, REGION_COLORS):
        box = (ann.get('region_boxes') or {}).get(region)
        if box:
            draw.rectangle(tuple(v * scale for v in box), outline=color, width=2)
    k = ann['keypoints']
    for i in range(len(k) // 3):
        px, py, v = k[3 * i] * scale, k[3 * i + 1] * scale, k[3 * i + 2]
        if v <= 0:
            continue
        color, r = COLORS[i % len(COLORS)], 5
        box = (px - r, py - r, px + r, py + r)
        if v >= 2:
            draw.ellipse(box, fill=color, outline=(0, 0, 0))
        else:
            draw.ellipse(box, outline=color, width=2)
        draw.text((px + r, py - 2 * r), str(i + 1), fill=color, stroke_width=1,
                  stroke_fill=(0, 0, 0))
    draw.text((2, size + 1), img['file_name'].split('/', 1)[0], fill=(0, 0, 0))
    return tile, True


def draw_sheet(data: dict, img_root: str, pairs: Sequence[Tuple[dict, dict]], cols: int,
               size: int, annotate: bool = True) -> Tuple[Image.Image, int]:
    """The sheet of ``pairs`` (photos alone unless ``annotate``) and the number of photos that
    could be read."""
    names = data['categories'][0].get('keypoints', []) if data.get('categories') else []
    rows = (len(pairs) + cols - 1) // cols
    with_regions = any(ann.get('region_boxes') for _, ann in pairs)
    legend_h = 14 * ((len(names) + 3) // 4 + 2 * with_regions) + 6 if names else 0
    th = size + 14
    sheet = Image.new('RGB', (cols * (size + 2), rows * (th + 2) + legend_h), 'white')
    ok = 0
    for n, (img, ann) in enumerate(pairs):
        tile, read = draw_tile(img_root, img, ann, size, annotate)
        ok += read
        sheet.paste(tile, ((n % cols) * (size + 2), (n // cols) * (th + 2)))
    if not annotate:
        return sheet, ok
    draw = ImageDraw.Draw(sheet)
    col_w = sheet.width // 4
    for i, name in enumerate(names):
        x, y = 4 + (i % 4) * col_w, rows * (th + 2) + 3 + 14 * (i // 4)
        draw.ellipse((x, y + 1, x + 9, y + 10), fill=COLORS[i % len(COLORS)], outline=(0, 0, 0))
        draw.text((x + 14, y), f'{i + 1} {name}', fill=(0, 0, 0))
    if with_regions:
        top = rows * (th + 2) + 3 + 14 * ((len(names) + 3) // 4)
        for i, (region, color) in enumerate(zip(REGIONS, REGION_COLORS)):
            x, y = 4 + (i % 4) * col_w, top + 14 * (i // 4)
            draw.rectangle((x, y + 1, x + 9, y + 10), outline=color, width=2)
            draw.text((x + 14, y), region, fill=(0, 0, 0))
    return sheet, ok


def quantize(sheet: Image.Image, photos: Image.Image, colors: int) -> Image.Image:
    """``sheet`` as a palette image of ``colors`` entries: the drawing colours exactly, the rest
    fitted to the photos alone (so that the landmark colours are never merged)."""
    fixed = [*COLORS, *REGION_COLORS, (0, 0, 0), (255, 255, 255), (255, 215, 0),
             (200, 200, 200)]
    n = max(1, colors - len(fixed))
    fitted = photos.quantize(n, method=Image.Quantize.MEDIANCUT).getpalette()[:3 * n]
    palette = Image.new('P', (1, 1))
    palette.putpalette(fitted + [c for rgb in fixed for c in rgb])
    return sheet.quantize(palette=palette, dither=Image.Dither.NONE)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='COCO-style keypoint JSON (checked strictly when it '
                        'has the 8 FLD points per annotation)')
    parser.add_argument('--img-root', required=True, help='folder of the file_name values')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--per-class', type=int, default=None,
                        help='first N annotations of each top folder of file_name')
    parser.add_argument('--num', type=int, default=None, help='at most this many tiles')
    parser.add_argument('--cols', type=int, default=6, help='tiles per row')
    parser.add_argument('--tile-size', type=int, default=200, help='side of each picture')
    parser.add_argument('--colors', type=int, default=0,
                        help='quantise the PNG to this many colours (0: full colour)')
    parser.add_argument('--force', action='store_true', help='replace an existing --out')
    args = parser.parse_args(argv)
    if args.cols < 1 or args.tile_size < 32 or not 0 <= args.colors <= 256:
        parser.error('--cols must be >= 1, --tile-size >= 32 and --colors 0..256')
    try:
        data = load_keypoint_coco(args.ann_file)
    except (FLDFormatError, OSError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    pairs = select(data, args.per_class, args.num)
    if not pairs:
        print(f'error: {args.ann_file}: no annotation selected', file=sys.stderr)
        return 2
    sheet, ok = draw_sheet(data, args.img_root, pairs, args.cols, args.tile_size)
    if ok == 0:
        print(f'error: none of the {len(pairs)} photos could be read under {args.img_root}',
              file=sys.stderr)
        return 1
    if ok < len(pairs):
        print(f'warning: {len(pairs) - ok} of {len(pairs)} photos could not be read',
              file=sys.stderr)
    if args.colors:
        sheet = quantize(sheet, draw_sheet(data, args.img_root, pairs, args.cols,
                                           args.tile_size, annotate=False)[0], args.colors)
    buf = io.BytesIO()
    sheet.save(buf, 'PNG', optimize=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    try:
        atomic_write(args.out, buf.getvalue(), overwrite=args.force)
    except FileExistsError as err:
        print(f'error: {err} (use --force to replace it)', file=sys.stderr)
        return 2
    print(f'wrote {args.out} ({len(pairs)} tiles)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
