"""Check Plagiarized Fashion v1 files: ``python tools/dataset_converters/validate_pf.py FILE...``.

Prints every problem of every file (file, entry index, field, expected vs. got) and exits with
status 1 if any file has a problem; a valid file gets a one-line summary and the status is 0.
The rules are :func:`ps_net.datasets.pf_format.validate_pf`, and a file must have at least one
``query`` and one ``gallery`` entry (``--gallery-only``: a catalogue, one gallery entry at least).

``--data-root DIR`` also checks every entry's image (``img_path`` relative to DIR) from its
header: a missing, empty, non-image or over-limit file, a 1 x 1 image or a ``bbox`` wholly
outside the image (in the displayed, EXIF-rotated frame) is a problem; a ``bbox`` partly outside
is printed as a ``warning:`` line (docs/bad_inputs.md).

    python tools/dataset_converters/validate_pf.py FILE... [--data-root DIR] [--gallery-only]
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

from ps_net.datasets.pf_format import (PF_RELATIONS, PFFormatError, check_entry_image,
                                       iter_pf_split_issues, pf_summary, read_pf_json,
                                       validate_pf)


def check_file(path: str, data_root: Optional[str] = None,
               required_splits: Sequence[str] = ('query', 'gallery'),
               warnings: Optional[List[str]] = None) -> Tuple[List[str], Optional[str]]:
    """Check one file.

    Args:
        path (str): The file to check.
        data_root (str, optional): Also check every entry's image, ``img_path`` relative to it.
        required_splits (Sequence[str]): Splits that must have an entry.
        warnings (list, optional): Receives the image flags (usable entries worth a look).

    Returns:
        tuple[list[str], str | None]: The problems (empty when valid) and, when valid, the
        one-line summary.
    """
    try:
        data = read_pf_json(path)
    except PFFormatError as err:
        return err.problems, None
    except (OSError, UnicodeDecodeError) as err:
        return [f'{path}: cannot read the file: {err}'], None
    problems = validate_pf(data, source=path)
    problems += [issue.format(path) for issue in iter_pf_split_issues(data, required_splits)]
    if not problems and data_root is not None:
        problems += image_problems(path, data, data_root,
                                   warnings if warnings is not None else [])
    if problems:
        return problems, None
    return [], format_summary(path, pf_summary(data))


def image_problems(path: str, data: dict, data_root: str, warnings: List[str]) -> List[str]:
    """Check the image of every entry of a valid file (its header only); flags go to
    ``warnings``, refusals are returned, each naming the entry and the image."""
    problems = []
    for index, entry in enumerate(data['data_list']):
        img = entry['img_path']
        full = img if osp.isabs(img) else osp.join(data_root, img)
        result = check_entry_image(full, entry.get('bbox'))
        where = f"{path}: data_list[{index}] field 'img_path' ({full})"
        if result.refusal:
            problems.append(f'{where}: {result.refusal}')
        warnings += [f'warning: {where}: {flag}' for flag in result.flags]
    return problems


def format_summary(path: str, summary: dict) -> str:
    """One line: entries, queries, gallery and the count of every relation."""
    relations = ', '.join(f'{r} {summary["relations"][r]}' for r in PF_RELATIONS)
    return (f'{path}: OK: {summary["entries"]} entries ({summary["query"]} query, '
            f'{summary["gallery"]} gallery); relations: {relations}')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Check Plagiarized Fashion v1 annotation files and print every problem.')
    parser.add_argument('files', nargs='+', metavar='FILE', help='PF JSON files to check')
    parser.add_argument('--data-root', metavar='DIR',
                        help='also check each entry\'s image (img_path relative to DIR)')
    parser.add_argument('--gallery-only', action='store_true',
                        help='a catalogue: require gallery entries only (no query)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Check every file; return 1 if any has a problem, else 0."""
    args = parse_args(argv)
    bad_files = 0
    total_problems = 0
    required = ('gallery', ) if args.gallery_only else ('query', 'gallery')
    for path in args.files:
        warnings: List[str] = []
        problems, summary = check_file(path, args.data_root, required, warnings)
        for line in warnings:
            print(line)
        for problem in problems:
            print(problem)
        if problems:
            bad_files += 1
            total_problems += len(problems)
        else:
            print(summary)
    if bad_files:
        print(f'{total_problems} problem(s) in {bad_files} of {len(args.files)} file(s)',
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
