"""Convert raw DeepFashion2 annotations to a Plagiarized Fashion v1 file (PS-Net pre-train).

``python tools/dataset_converters/deepfashion2_to_pf.py --anno-dir data/deepfashion2/train/annos
--out data/deepfashion2/annotations/pf_train.json``

One design per ``(pair_id, style > 0)``: shop images are its ``original`` (query), consumer
images ``identical`` (gallery); box, 294-slot landmarks and PS-Net category kept; style-0
items, bottoms, empty boxes and second items of one image are left out and counted. See
:mod:`ps_net.datasets.deepfashion2_pf`. ``img_path`` is ``<--img-prefix>/<stem>.jpg``,
relative to the DeepFashion2 root (default prefix: ``<split folder>/image``, e.g.
``train/image`` for ``--anno-dir data/deepfashion2/train/annos``), so the file is read with
``data_root='data/deepfashion2'``.

A malformed annotation file is listed (file and field) and left out; the others are converted,
and the last line counts the files left out. When no entry results (every file rejected, or
no searchable item), or with ``--strict`` and any problem, nothing is written and the exit
status is 1. Bad arguments (a missing
folder, an existing ``--out`` without ``--force``) exit with status 2. The output is checked
against the format and written atomically.
"""
import argparse
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Optional, Sequence

from ps_net.datasets.deepfashion2_pf import df2_to_pf, write_df2_pf
from ps_net.utils.cli import finish_conversion, parse_checked


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert raw DeepFashion2 annos/*.json to one Plagiarized Fashion file '
        '(designs = (pair_id, style); shop = original query, consumer = identical gallery).')
    parser.add_argument('--anno-dir', required=True, help='folder of the NNNNNN.json files')
    parser.add_argument('--out', required=True, help='the PF JSON file to write')
    parser.add_argument('--img-prefix', default=None,
                        help='image folder relative to the DeepFashion2 root (the data_root '
                        'of the configs); default: <parent of --anno-dir>/image')
    parser.add_argument('--dataset-name', default=None, help='metainfo.dataset_name')
    parser.add_argument('--force', action='store_true', help='replace an existing --out')
    parser.add_argument('--strict', action='store_true',
                        help='write nothing and exit 1 if any file has a problem')
    return parser.parse_args(argv)


def _argument_error(args: argparse.Namespace) -> Optional[str]:
    """The first problem with the arguments, or None."""
    if not os.path.isdir(args.anno_dir):
        return f'--anno-dir {args.anno_dir} is not a folder'
    if not any(name.endswith('.json') for name in os.listdir(args.anno_dir)):
        return f'--anno-dir {args.anno_dir} has no *.json files'
    if os.path.isdir(args.out):
        return f'--out {args.out} is a folder'
    if os.path.lexists(args.out) and not args.force:
        return f'--out {args.out} exists; pass --force to replace it'
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Convert; return 0 when written, 1 when nothing converts or on problems with
    ``--strict``, 2 on bad arguments."""
    args, code = parse_checked(parse_args, _argument_error, argv)
    if args is None:
        return code
    img_prefix = args.img_prefix
    if img_prefix is None:
        img_prefix = f'{Path(args.anno_dir).resolve().parent.name}/image'

    data, report = df2_to_pf(args.anno_dir, img_prefix, on_error='skip',
                             dataset_name=args.dataset_name)
    per_cat = Counter(e['category'] for e in data['data_list'])
    cats = ', '.join(f'{c} {per_cat[c]}' for c in data['metainfo']['categories'])
    summary = f'{report.summary()}; per category: {cats}'
    return finish_conversion(report.problems, summary,
                             lambda: write_df2_pf(data, args.out, force=args.force),
                             args.out, args.strict, converted=report.entries,
                             inputs=report.files + len(report.problems),
                             unit='annotation file')


if __name__ == '__main__':
    sys.exit(main())
