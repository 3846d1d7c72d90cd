"""Generate the synthetic garment data set.

Example::

    python tools/make_synthetic.py --out data/synthetic --seed 0 --num-designs 500 --img-size 256

writes ``OUT/images/{train,val,test}/*.jpg`` and ``OUT/annotations/{pf,coco}_{train,val,test}.json``
(Plagiarized Fashion and COCO keypoints). The same seed and settings give byte-identical files
whatever ``--out`` is. Real fabric and print crops come from ``--texture-dir`` (default:
``$PSNET_SHARED_DATA/clothing-small`` when present); ``--texture-dir none`` uses procedural
textures only. ``--exclude-textures LIST`` (repeatable) keeps the photos a list names out of
the texture pool: a text file of paths (e.g. a real-photo benchmark's ``test_photos.txt``) or
a COCO-style JSON file (``images[].file_name``, e.g. the landmark validation annotations), so
no photo of an evaluation set reaches a training image.

The set is built in a hidden sibling of ``--out`` and swapped in when complete, so a run killed
at any moment leaves ``--out`` as it was; its pool workers die with it. A folder that is not
empty is only replaced with ``--force``.
"""
import argparse
import json
import os
import sys
import time
from typing import Optional, Sequence

from ps_net.datasets.synthetic import SyntheticConfig, default_texture_dir, generate_synthetic
from ps_net.datasets.synthetic.textures import read_photo_list


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Generate the synthetic garment data set.')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='data set seed (default 0)')
    parser.add_argument('--num-designs', type=int, default=200,
                        help='original designs; each gives 6 images by default (default 200)')
    parser.add_argument('--img-size', type=int, default=256, help='image side in pixels')
    parser.add_argument('--workers', type=int, default=min(4, os.cpu_count() or 1),
                        help='processes (default: min(4, CPUs))')
    parser.add_argument('--texture-dir', default='auto',
                        help="garment photos for real textures; 'auto' (default) or 'none'")
    parser.add_argument('--exclude-textures', action='append', default=[], metavar='LIST',
                        help='photos kept out of the texture pool: a text file of paths '
                        '(relative to the photo folder, or absolute) or a COCO JSON file '
                        '(images[].file_name); repeatable')
    parser.add_argument('--real-texture-prob', type=float,
                        default=SyntheticConfig.real_texture_prob,
                        help='probability that a fabric or print is a real photo crop '
                        '(default %(default)s)')
    parser.add_argument('--long-sleeve-angle', type=float, nargs=2,
                        default=SyntheticConfig.long_sleeve_angle, metavar=('MIN', 'MAX'),
                        help='range of a long sleeve\'s angle below the horizontal, degrees '
                        '(90: hanging down; default %(default)s)')
    parser.add_argument('--force', action='store_true',
                        help='replace the set of an earlier run in --out (the whole folder, '
                        'which may hold nothing else)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    texture_dir = {'auto': default_texture_dir(), 'none': None}.get(args.texture_dir,
                                                                   args.texture_dir)
    if texture_dir is not None and not os.path.isdir(texture_dir):
        print(f'error: --texture-dir {texture_dir!r} is not a folder', file=sys.stderr)
        return 2
    exclude = []
    try:
        for path in args.exclude_textures:
            exclude += read_photo_list(path)
    except (ValueError, FileNotFoundError) as err:
        print(f'error: --exclude-textures: {err}', file=sys.stderr)
        return 2
    if not 0 <= args.real_texture_prob <= 1:
        print(f'error: --real-texture-prob must be in [0, 1], got {args.real_texture_prob}',
              file=sys.stderr)
        return 2
    try:
        config = SyntheticConfig(real_texture_prob=args.real_texture_prob,
                                 long_sleeve_angle=tuple(args.long_sleeve_angle))
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        summary = generate_synthetic(args.out, seed=args.seed, num_designs=args.num_designs,
                                     img_size=args.img_size,
                                     config=config,
                                     texture_dir=texture_dir, workers=args.workers,
                                     overwrite=args.force, texture_exclude=exclude)
    except (ValueError, FileExistsError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    summary['seconds'] = round(seconds, 2)
    summary['images_per_second'] = round(summary['images'] / seconds, 1)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
