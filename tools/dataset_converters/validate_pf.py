"""Check Plagiarized Fashion v1 files: ``python tools/dataset_converters/validate_pf.py FILE...``.

Prints every problem of every file (file, entry index, field, expected vs. got) and exits with
status 1 if any file has a problem; a valid file gets a one-line summary and the status is 0.
The rules are :func:`ps_net.datasets.pf_format.validate_pf`.
"""
import argparse
import sys
from typing import List, Optional, Sequence, Tuple

from ps_net.datasets.pf_format import (PF_RELATIONS, PFFormatError, pf_summary, read_pf_json,
                                       validate_pf)


def check_file(path: str) -> Tuple[List[str], Optional[str]]:
    """Check one file.

    Args:
        path (str): The file to check.

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
    if problems:
        return problems, None
    return [], format_summary(path, pf_summary(data))


def format_summary(path: str, summary: dict) -> str:
    """One line: entries, queries, gallery and the count of every relation."""
    relations = ', '.join(f'{r} {summary["relations"][r]}' for r in PF_RELATIONS)
    return (f'{path}: OK: {summary["entries"]} entries ({summary["query"]} query, '
            f'{summary["gallery"]} gallery); relations: {relations}')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Check Plagiarized Fashion v1 annotation files and print every problem.')
    parser.add_argument('files', nargs='+', metavar='FILE', help='PF JSON files to check')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Check every file; return 1 if any has a problem, else 0."""
    args = parse_args(argv)
    bad_files = 0
    total_problems = 0
    for path in args.files:
        problems, summary = check_file(path)
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
