"""Draw a contact sheet of a Plagiarized Fashion file (landmarks, region boxes, modified regions).

Example::

    python tools/visualize_synthetic.py data/synthetic/annotations/pf_val.json \\
        --out work_dirs/synthetic_sheet.png --num-designs 6
"""
import argparse
import sys
from typing import Optional, Sequence

from ps_net.datasets.pf_format import PFFormatError
from ps_net.visualization import draw_sheet


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('pf_file', help='Plagiarized Fashion JSON file')
    parser.add_argument('--out', default='work_dirs/synthetic_sheet.png', help='PNG to write')
    parser.add_argument('--data-root', default=None,
                        help='folder of the img_path values (default: parent of annotations/)')
    parser.add_argument('--num-designs', type=int, default=6, help='rows of the sheet')
    parser.add_argument('--tile-size', type=int, default=192, help='side of each picture')
    parser.add_argument('--force', action='store_true', help='replace an existing --out')
    args = parser.parse_args(argv)
    try:
        path = draw_sheet(args.pf_file, args.out, args.data_root, args.num_designs,
                          args.tile_size, overwrite=args.force)
    except (PFFormatError, ValueError, FileExistsError, OSError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
