"""Convert raw DeepFashion2 annotations to one COCO keypoint file.

``python tools/dataset_converters/deepfashion2_to_coco.py --anno-dir DF2/validation/annos
--image-dir DF2/validation/image --out data/df2_val_coco.json``

The layout is the official ``deepfashion2_to_coco.py`` one (294 keypoint slots, 13 categories,
``pair_id`` and ``style`` kept); see :mod:`ps_net.datasets.deepfashion2`. A malformed annotation
file, or one whose image is missing or unreadable, is listed (file and field) and left out; the
others are converted, and the last line counts the files left out. When no file converts, or
with ``--strict`` and any problem, nothing is written and the exit status is 1.
Bad arguments (a missing folder, an existing ``--out`` without ``--force``) exit with status 2.
"""
import argparse
import os
import sys
from collections import Counter
from typing import Optional, Sequence

from ps_net.structures import DF2_CATEGORIES
from ps_net.datasets.deepfashion2 import df2_to_coco, write_coco_json
from ps_net.utils.cli import finish_conversion, parse_checked


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert raw DeepFashion2 annos/*.json to one COCO keypoint file.')
    parser.add_argument('--anno-dir', required=True, help='folder of the NNNNNN.json files')
    parser.add_argument('--image-dir', required=True, help='folder of the NNNNNN.jpg images')
    parser.add_argument('--out', required=True, help='the COCO JSON file to write')
    parser.add_argument('--force', action='store_true', help='replace an existing --out')
    parser.add_argument('--strict', action='store_true',
                        help='write nothing and exit 1 if any file has a problem')
    return parser.parse_args(argv)


def _argument_error(args: argparse.Namespace) -> Optional[str]:
    """The first problem with the arguments, or None."""
    for flag, folder in (('--anno-dir', args.anno_dir), ('--image-dir', args.image_dir)):
        if not os.path.isdir(folder):
            return f'{flag} {folder} is not a folder'
    if not any(name.endswith('.json') for name in os.listdir(args.anno_dir)):
        return f'--anno-dir {args.anno_dir} has no *.json files'
    out_folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_folder):
        return f'--out {args.out}: folder {out_folder} does not exist'
    if os.path.lexists(args.out) and not args.force:
        return f'--out {args.out} exists; pass --force to replace it'
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Convert; return 0 when written, 1 when nothing converts or on problems with
    ``--strict``, 2 on bad arguments."""
    args, code = parse_checked(parse_args, _argument_error, argv)
    if args is None:
        return code

    coco, problems = df2_to_coco(args.anno_dir, args.image_dir, on_error='skip')
    per_cat = Counter(ann['category_id'] for ann in coco['annotations'])
    cats = ', '.join(f'{DF2_CATEGORIES[c]} {per_cat[c]}' for c in sorted(per_cat)) or 'none'
    summary = (f'{len(coco["images"])} images, {len(coco["annotations"])} annotations '
               f'({cats}), {len(problems)} problem(s)')
    return finish_conversion(problems, summary,
                             lambda: write_coco_json(coco, args.out, force=args.force),
                             args.out, args.strict, converted=len(coco['images']),
                             inputs=len(coco['images']) + len(problems),
                             unit='annotation file')


if __name__ == '__main__':
    sys.exit(main())
