"""A copy-detection benchmark: a labelled split plus copy-less queries and unrelated garments.

    python tools/analysis_tools/distractor_benchmark.py BASE_PF --data-root ROOT --out OUT \
        [--queries-from PF ROOT]... [--gallery-from PF ROOT]... \
        [--photos DIR] [--photo-classes hat pants ...]

Writes one Plagiarized Fashion file (image paths made absolute) holding every entry of
``BASE_PF`` (its queries and their copies) and, as DISC21's protocol wants (most queries have
no copy, the gallery is mostly distractors):

* ``--queries-from PF ROOT``: the queries of another labelled file (e.g. a synthetic set drawn
  with another seed), whose copies are not added: queries with no copy;
* ``--gallery-from PF ROOT``: the gallery entries of another file (its copies of designs whose
  originals are not queries, its hard negatives): unrelated garments;
* ``--photos DIR``: the photos of ``DIR/<class>/*.jpg`` (the clothing-small layout), each a
  gallery garment of its own design (relation ``original``), the whole image as its box;
  ``--photo-classes`` picks the classes (default: all).

The design ids of each added file are shifted past every id before it (one shift per file,
however often it is given), so an added entry is never a copy of a query of another file. A
photo's ``category`` is the PS-Net category nearest its class (:data:`PHOTO_CATEGORIES`); it
only chooses which landmark layout the network decodes (eq. 1 weights by the query's
category). The output is never replaced.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

#: clothing-small class -> the PS-Net category a photo of it is given (lower-body garments
#: as dresses, the garments with the waist region; hats and shoes as short-sleeved tops).
PHOTO_CATEGORIES = {
    't-shirt': 'short_sleeved_top', 'shirt': 'long_sleeved_top',
    'longsleeve': 'long_sleeved_top', 'outwear': 'outwear', 'dress': 'dress',
    'skirt': 'dress', 'shorts': 'dress', 'pants': 'dress', 'hat': 'short_sleeved_top',
    'shoes': 'short_sleeved_top',
}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('base', help='the labelled Plagiarized Fashion file (kept whole)')
    parser.add_argument('--data-root', required=True, help='root of its image paths')
    parser.add_argument('--out', required=True, help='the file to write (never replaced)')
    parser.add_argument('--queries-from', nargs=2, action='append', default=[],
                        metavar=('PF', 'ROOT'), help='add the queries of PF (images under ROOT)')
    parser.add_argument('--gallery-from', nargs=2, action='append', default=[],
                        metavar=('PF', 'ROOT'), help='add the gallery of PF (images under ROOT)')
    parser.add_argument('--photos', help='folder of <class>/*.jpg photos to add to the gallery')
    parser.add_argument('--photo-classes', nargs='+', help='classes of --photos (default: '
                        f'all; known: {", ".join(PHOTO_CATEGORIES)})')
    return parser.parse_args(argv)


def _check(args: argparse.Namespace) -> Optional[str]:
    if osp.lexists(args.out):
        return f'--out {args.out!r} exists; refusing to overwrite it'
    for pf, root in [(args.base, args.data_root)] + args.queries_from + args.gallery_from:
        if not (osp.isfile(pf) and osp.isdir(root)):
            return f'{pf!r} must be a file and {root!r} a folder'
    if args.photos:
        if not osp.isdir(args.photos):
            return f'--photos {args.photos!r} is not a folder'
        classes = args.photo_classes or sorted(os.listdir(args.photos))
        unknown = [c for c in classes if c not in PHOTO_CATEGORIES
                   or not osp.isdir(osp.join(args.photos, c))]
        if unknown:
            return (f'--photo-classes {unknown} are not classes of {args.photos!r} with a '
                    f'category (known: {list(PHOTO_CATEGORIES)})')
    elif args.photo_classes:
        return '--photo-classes needs --photos'
    return None


def _absolute(entry: dict, root: str, shift: int) -> dict:
    entry = dict(entry, design_id=int(entry['design_id']) + shift)
    if not osp.isabs(entry['img_path']):
        entry['img_path'] = osp.abspath(osp.join(root, entry['img_path']))
    return entry


def photo_entries(folder: str, classes: Sequence[str], first_id: int) -> List[dict]:
    """Gallery entries of the photos of ``folder/<class>/``, one design each from
    ``first_id``, the whole image as the box."""
    import cv2

    entries = []
    for cls in classes:
        for name in sorted(os.listdir(osp.join(folder, cls))):
            path = osp.abspath(osp.join(folder, cls, name))
            img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if img is None:
                continue
            h, w = img.shape[:2]
            entries.append(dict(img_path=path, split='gallery',
                                design_id=first_id + len(entries), relation='original',
                                category=PHOTO_CATEGORIES[cls], modified_regions=[],
                                bbox=[0, 0, w, h]))
    return entries


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ps_net.utils.cli import parse_checked
    args, code = parse_checked(parse_args, _check, argv)
    if args is None:
        return code
    from ps_net.datasets.pf_format import PFFormatError, dump_pf, load_pf

    try:
        base = load_pf(args.base)
        sources = {}
        for pf, _ in args.queries_from + args.gallery_from:
            sources.setdefault(osp.realpath(pf), load_pf(pf))
    except PFFormatError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    for path, data in sources.items():
        if list(data['metainfo']['categories']) != list(base['metainfo']['categories']) or \
                list(data['metainfo']['regions']) != list(base['metainfo']['regions']):
            print(f'error: {path} declares other categories or regions than {args.base}',
                  file=sys.stderr)
            return 2

    entries = [_absolute(e, args.data_root, 0) for e in base['data_list']]
    top = max([e['design_id'] for e in entries], default=-1) + 1
    shifts: Dict[str, int] = {}
    for path, data in sources.items():
        shifts[path] = top
        top += max([int(e['design_id']) for e in data['data_list']], default=-1) + 1
    counts = dict(base=len(entries))
    for side, pairs in (('query', args.queries_from), ('gallery', args.gallery_from)):
        added = [_absolute(e, root, shifts[osp.realpath(pf)])
                 for pf, root in pairs for e in sources[osp.realpath(pf)]['data_list']
                 if e['split'] == side]
        entries += added
        counts[f'{side} distractors'] = len(added)
    if args.photos:
        classes = args.photo_classes or sorted(os.listdir(args.photos))
        photos = photo_entries(args.photos, classes, top)
        entries += photos
        counts['photos'] = len(photos)
    metainfo = dict(base['metainfo'])
    metainfo['description'] = (f'{base["metainfo"].get("description", args.base)} with '
                               f'distractors ({", ".join(f"{k}: {v}" for k, v in counts.items())})')
    try:
        dump_pf(dict(metainfo=metainfo, data_list=entries), args.out)
    except (PFFormatError, FileExistsError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    queries = [e for e in entries if e['split'] == 'query']
    gallery = [e for e in entries if e['split'] == 'gallery']
    copied = {e['design_id'] for e in gallery if e['relation'] in ('identical', 'plagiarized')}
    designs = {e['design_id'] for e in queries}
    print(f'{args.out}: {len(queries)} queries ({sum(d in copied for d in designs)} with a '
          f'copy in the gallery), {len(gallery)} gallery garments '
          f'({sum(e["design_id"] in designs for e in gallery)} of a query\'s design); '
          + ', '.join(f'{k} {v}' for k, v in counts.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
