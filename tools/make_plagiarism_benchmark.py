"""Build a real-photo plagiarism benchmark (Plagiarized Fashion format) from garment photos.

Example::

    python tools/make_plagiarism_benchmark.py --images ../shared/data/clothing-small/train \
        --out data/real_bench --seed 0

Each photo of a design class becomes a query (its original) with an identical re-shot and two
or three copies edited in one or two regions (drawn by the PS-Net paper's Table 1), then
re-shot; photos of the other classes are distractors. Writes ``OUT/images``,
``OUT/annotations/pf_{train,val,test}.json`` (and ``pf_test_{seen,unseen}.json`` with a
held-out operator family), ``OUT/test_photos.txt``, ``OUT/report.json`` and
``OUT/contact_sheet.png`` and ``OUT/operators.png`` (see ``docs/real_benchmark.md``).

``--exclude LIST`` (repeatable): photos never used in any split, listed in a text file (paths
relative to ``--images``, or absolute) or a COCO JSON file (``images[].file_name``). The
landmark validation set ``annotations/clothing-small_landmarks_val.json`` of this repository
is excluded by default when it exists (``--no-default-exclude`` drops it).

Photos that cannot be used (not an image whatever their name, unreadable, too small, too
large) are skipped and counted on the last line; the exit code is 1 when no photo can make a
design, 2 for bad arguments or an output folder that must not be replaced. A folder that is
not empty is only replaced with ``--force`` (the whole folder, which may then hold nothing
but an earlier benchmark), and atomically: a run killed at any moment leaves it as it was.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from ps_net.datasets.photo_benchmark import (FAMILIES, BenchmarkConfig, NothingUsable,
                                             build_benchmark)
from ps_net.datasets.synthetic.textures import read_photo_list

#: The landmark validation set (COCO style, file names relative to clothing-small/train).
DEFAULT_EXCLUDE = Path(__file__).resolve().parents[1] / 'annotations' / \
    'clothing-small_landmarks_val.json'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', required=True,
                        help='folder of <class>/*.jpg garment photos (clothing-small/train)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='benchmark seed (default 0)')
    parser.add_argument('--exclude', action='append', default=[], metavar='LIST',
                        help='photos never used: a text list of paths (relative to --images) '
                        'or a COCO JSON file (images[].file_name); repeatable')
    parser.add_argument('--no-default-exclude', action='store_true',
                        help=f'do not exclude {DEFAULT_EXCLUDE.name} (the landmark '
                        'validation set) even when it exists')
    parser.add_argument('--holdout-family', default='texture',
                        help=f"operator family used only in the test split: one of {FAMILIES} "
                        "or 'none' (default texture)")
    parser.add_argument('--per-category', type=int, default=None, metavar='N',
                        help='most designs per PS-Net category (default: every photo)')
    parser.add_argument('--max-distractors', type=int, default=None, metavar='N',
                        help='most distractors (default: all)')
    parser.add_argument('--copies', type=int, nargs=2, default=[2, 3], metavar=('MIN', 'MAX'),
                        help='plagiarized copies per design (default 2 3)')
    parser.add_argument('--two-region-prob', type=float, default=0.25,
                        help='probability of a second edited region (default 0.25)')
    parser.add_argument('--split-fractions', type=float, nargs=3, default=[0.6, 0.15, 0.25],
                        metavar=('TRAIN', 'VAL', 'TEST'), help='default 0.6 0.15 0.25')
    parser.add_argument('--max-side', type=int, default=640,
                        help='longer side of the photos as read (default 640)')
    parser.add_argument('--sheet-per-category', type=int, default=2, metavar='N',
                        help='test designs per category on contact_sheet.png and '
                        'operators.png (default 2)')
    parser.add_argument('--workers', type=int, default=1, help='processes (default 1)')
    parser.add_argument('--force', action='store_true',
                        help='replace an earlier benchmark in --out')
    return parser.parse_args(argv)


def _summary(report: dict, seconds: float) -> dict:
    splits = {s: {k: v[k] for k in ('queries', 'gallery', 'designs_by_category', 'distractors',
                                     'copies', 'copies_with_holdout')}
              for s, v in report['splits'].items()}
    fb = report['silhouette_fallbacks']
    return dict(photos=report['photos'], splits=splits, copies_failed=report['copies_failed'],
                silhouette_fallbacks=dict(count=fb['count'], rate=fb['rate'],
                                          designs=fb['designs'], design_rate=fb['design_rate'],
                                          by_reason=fb['by_reason']),
                excluded_unmatched=report['exclusion']['unmatched_count'],
                seconds=round(seconds, 1))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    lists = list(args.exclude)
    if not args.no_default_exclude and DEFAULT_EXCLUDE.is_file() \
            and str(DEFAULT_EXCLUDE) not in lists:
        lists.append(str(DEFAULT_EXCLUDE))
    entries = []
    try:
        for path in lists:
            entries += read_photo_list(path)
        holdout = None if args.holdout_family == 'none' else args.holdout_family
        config = BenchmarkConfig(split_fractions=tuple(args.split_fractions),
                                 copies=tuple(args.copies),
                                 two_region_prob=args.two_region_prob, holdout_family=holdout,
                                 per_category=args.per_category,
                                 max_distractors=args.max_distractors, max_side=args.max_side,
                                 sheet_per_category=args.sheet_per_category)
    except (ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        report = build_benchmark(args.images, args.out, seed=args.seed, config=config,
                                 exclude=entries, exclude_lists=lists, workers=args.workers,
                                 overwrite=args.force)
    except NothingUsable as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    except (ValueError, FileExistsError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(json.dumps(_summary(report, time.perf_counter() - start), indent=1))
    if report['exclusion']['unmatched_count']:
        print(f"warning: {report['exclusion']['unmatched_count']} --exclude entries matched no "
              f'photo of {args.images} (see report.json)', file=sys.stderr)
    photos = report['photos']
    reasons = ', '.join(f'{n} {r}' for r, n in photos['skipped_by_reason'].items())
    print(f"{os.path.join(args.out, 'annotations')}: skipped {photos['skipped']} of "
          f"{photos['found'] - photos['excluded']} photos" + (f' ({reasons}; see report.json)'
                                                             if reasons else '')
          + f", excluded {photos['excluded']}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
