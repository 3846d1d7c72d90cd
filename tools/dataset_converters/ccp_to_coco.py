"""Convert Clothing Co-Parsing pixel label maps to COCO detection files (DeepFashion2 classes).

``python tools/dataset_converters/ccp_to_coco.py --ccp-root data/ccp --out-dir data/ccp_coco
--split all``

Writes ``ccp_train.json`` (photos 1-560) and/or ``ccp_val.json`` (561-700) into ``--out-dir``
(created if missing), one box per DeepFashion2 category present in each photo; image
``file_name`` values are ``photos/NNNN.jpg``, relative to ``--ccp-root``. See
:mod:`ps_net.datasets.ccp` for the rules and :mod:`ps_net.datasets.category_map` for the
CCP-to-DeepFashion2 table. Prints the box count per category and split, and every problem (a
bad label map or photo is named and left out; the others are converted, and the last line
counts the photos left out). A split that converts no photo writes nothing (no split at all)
and exits with status 1. Bad arguments (a
missing ``--ccp-root`` or ``label_list.mat``, an output file that exists without ``--force``)
exit with status 2 and write nothing.
"""
import argparse
import os
import sys
from collections import Counter
from typing import List, Optional, Sequence

from ps_net.structures import DF2_CATEGORIES
from ps_net.datasets.ccp import CCP_SPLITS, CCPFormatError, ccp_to_coco
from ps_net.datasets.deepfashion2 import write_coco_json
from ps_net.utils.cli import dropped_line, parse_checked


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert Clothing Co-Parsing pixel labels to COCO boxes with the 13 '
                    'DeepFashion2 categories.')
    parser.add_argument('--ccp-root', required=True,
                        help='CCP folder (label_list.mat, photos/, annotations/pixel-level/)')
    parser.add_argument('--out-dir', required=True,
                        help='folder for ccp_train.json / ccp_val.json (created if missing)')
    parser.add_argument('--split', choices=('train', 'val', 'all'), default='all',
                        help='which split(s) to write (train: 1-560, val: 561-700; '
                             'default: all)')
    parser.add_argument('--force', action='store_true', help='replace existing output files')
    return parser.parse_args(argv)


def _splits(split: str) -> List[str]:
    return list(CCP_SPLITS) if split == 'all' else [split]


def _out_path(out_dir: str, split: str) -> str:
    return os.path.join(out_dir, f'ccp_{split}.json')


def _argument_error(args: argparse.Namespace) -> Optional[str]:
    """The first problem with the arguments, or None."""
    if not os.path.isdir(args.ccp_root):
        return f'--ccp-root {args.ccp_root} is not a folder'
    labels = os.path.join(args.ccp_root, 'label_list.mat')
    if not os.path.isfile(labels):
        return f'--ccp-root {args.ccp_root} has no label_list.mat'
    if os.path.lexists(args.out_dir) and not os.path.isdir(args.out_dir):
        return f'--out-dir {args.out_dir} exists and is not a folder'
    if not args.force:
        for split in _splits(args.split):
            path = _out_path(args.out_dir, split)
            if os.path.lexists(path):
                return f'{path} exists; pass --force to replace it'
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Convert; return 0 when written, 1 when a split converts no photo, 2 on bad arguments or
    existing output files."""
    args, code = parse_checked(parse_args, _argument_error, argv)
    if args is None:
        return code

    results = {}
    for split in _splits(args.split):
        try:
            results[split] = ccp_to_coco(args.ccp_root, CCP_SPLITS[split], on_error='skip')
        except CCPFormatError as err:  # label_list.mat itself is bad
            print(f'error: {err}', file=sys.stderr)
            return 2

    for split, (coco, problems) in results.items():
        for problem in problems:
            print(f'problem ({split}): {problem}')
    sys.stdout.flush()
    for split, (coco, problems) in results.items():
        if not coco['images']:
            print(f'error: nothing converted: all {len(CCP_SPLITS[split])} photos of split '
                  f'{split} were rejected (see the problem lines above); nothing written',
                  file=sys.stderr)
            return 1

    os.makedirs(args.out_dir, exist_ok=True)
    for split, (coco, problems) in results.items():
        path = _out_path(args.out_dir, split)
        try:
            write_coco_json(coco, path, force=args.force)
        except FileExistsError as err:  # appeared while converting
            print(f'error: {err}', file=sys.stderr)
            return 2
        per_cat = Counter(ann['category_id'] for ann in coco['annotations'])
        print(f'{path}: {len(coco["images"])} images, {len(coco["annotations"])} boxes, '
              f'{len(problems)} problem(s)')
        for cid in sorted(DF2_CATEGORIES):
            print(f'  {cid:2d} {DF2_CATEGORIES[cid]:<22s} {per_cat[cid]}')
    dropped = sum(len(problems) for _, problems in results.values())
    if dropped:
        print(dropped_line(dropped, sum(len(CCP_SPLITS[s]) for s in results), 'photo'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
