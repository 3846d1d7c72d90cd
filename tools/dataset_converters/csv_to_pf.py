"""Convert a simple CSV into a Plagiarized Fashion v1 file.

``python tools/dataset_converters/csv_to_pf.py IN.csv OUT.json [--dataset-name NAME]
[--categories C ...] [--regions R ...] [--force]``

The CSV has a header row with exactly the columns ``img_path,split,design_id,relation,category,
modified_regions``; ``modified_regions`` lists region names separated by ``;`` or ``|`` (empty
for none). The result is checked with :func:`ps_net.datasets.pf_format.validate_pf` before
anything is written; every problem is reported with the CSV line number and column. The output is
written atomically and an existing OUT is never replaced without ``--force``. OUT's folder is
checked before the CSV is read; a CSV without data rows writes nothing (exit status 1).
"""
import argparse
import csv
import os
import re
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from ps_net.structures import PSNET_CATEGORIES, REGIONS
from ps_net.datasets.pf_format import PF_FORMAT_VERSION, PFFormatError, dump_pf, iter_pf_issues

CSV_COLUMNS = ('img_path', 'split', 'design_id', 'relation', 'category', 'modified_regions')

#: Where a metainfo problem comes from, for the messages.
_OPTION_OF_FIELD = {
    'metainfo.categories': '--categories',
    'metainfo.regions': '--regions',
    'metainfo.dataset_name': '--dataset-name',
}

_REGION_SEPARATORS = re.compile(r'[;|]')


def parse_regions(text: str) -> Tuple[List[str], Optional[str]]:
    """Split a ``modified_regions`` cell on ``;`` or ``|``.

    Args:
        text (str): The cell; empty means no region.

    Returns:
        tuple[list[str], str | None]: The names, and the problem (an empty name) or None.

    Examples:
        >>> parse_regions('left_sleeve; right_sleeve|collar')
        (['left_sleeve', 'right_sleeve', 'collar'], None)
        >>> parse_regions('')
        ([], None)
    """
    if not text.strip():
        return [], None
    names = [name.strip() for name in _REGION_SEPARATORS.split(text)]
    if not all(names):
        return names, ('expected region names separated by ";" or "|", '
                       f'got an empty name in {text!r}')
    return names, None


def _header_problems(csv_path: str, header: Optional[Sequence[str]]) -> List[str]:
    """Problems of the header row (line 1): missing or unknown columns."""
    if header is None:
        return [f'{csv_path}: line 1: expected a header row {",".join(CSV_COLUMNS)}, '
                f'got an empty file']
    names = [h.strip() for h in header]
    problems = []
    missing = [c for c in CSV_COLUMNS if c not in names]
    unknown = [h for h in names if h not in CSV_COLUMNS]
    dups = sorted({h for h in names if names.count(h) > 1})
    if missing:
        problems.append(f'{csv_path}: line 1: missing column(s) {missing!r}; expected the header '
                        f'{",".join(CSV_COLUMNS)}')
    if unknown:
        problems.append(f'{csv_path}: line 1: unknown column(s) {unknown!r}; expected only '
                        f'{list(CSV_COLUMNS)!r}')
    if dups:
        problems.append(f'{csv_path}: line 1: duplicate column(s) {dups!r}')
    return problems


def _row_to_entry(row: Dict[str, str]) -> Tuple[dict, Dict[str, str]]:
    """Convert one CSV row; return the entry and ``column -> problem`` for cells that failed."""
    problems: Dict[str, str] = {}
    entry: dict = {c: (row.get(c) or '').strip() for c in CSV_COLUMNS}
    for column in CSV_COLUMNS:
        if row.get(column) is None:
            problems[column] = 'missing value (the row has fewer cells than the header)'
    if 'design_id' not in problems:
        try:
            entry['design_id'] = int(entry['design_id'])
        except ValueError:
            problems['design_id'] = f'expected an integer, got {entry["design_id"]!r}'
    if 'modified_regions' not in problems:
        entry['modified_regions'], problem = parse_regions(entry['modified_regions'])
        if problem:
            problems['modified_regions'] = problem
    else:
        entry['modified_regions'] = []
    return entry, problems


def read_csv_entries(csv_path: str) -> Tuple[List[dict], List[int], List[str]]:
    """Read the CSV into PF entries.

    Args:
        csv_path (str): The CSV file (UTF-8, an optional byte-order mark is skipped).

    Returns:
        tuple: ``entries`` (list[dict], in row order), ``lines`` (list[int], the CSV line
        number of each entry) and ``problems`` (list[str], cell-level problems, each naming the
        line and column). Rows with problems are still returned so that later checks can
        report their other cells.
    """
    entries, lines, problems = [], [], []
    with open(csv_path, newline='', encoding='utf-8-sig') as f:
        reader = csv.DictReader(f, restkey='__extra__')
        header_problems = _header_problems(csv_path, reader.fieldnames)
        if header_problems:
            return [], [], header_problems
        reader.fieldnames = [h.strip() for h in reader.fieldnames]
        for row in reader:
            line = reader.line_num
            entry, cell_problems = _row_to_entry(row)
            if row.get('__extra__'):
                problems.append(f'{csv_path}: line {line}: expected {len(CSV_COLUMNS)} cells, '
                                f'got {len(CSV_COLUMNS) + len(row["__extra__"])}')
            for column, problem in cell_problems.items():
                problems.append(f"{csv_path}: line {line}, column '{column}': {problem}")
            entry['__bad_columns__'] = set(cell_problems)
            entries.append(entry)
            lines.append(line)
    return entries, lines, problems


def _split_names(values: Sequence[str]) -> List[str]:
    """Names given as separate arguments and/or comma-separated (``a,b c``)."""
    return [n.strip() for v in values for n in v.split(',') if n.strip()]


def build_pf(entries: Sequence[dict], *, dataset_name: str,
             categories: Sequence[str] = PSNET_CATEGORIES,
             regions: Sequence[str] = REGIONS) -> dict:
    """Wrap entries into a PF dict (metainfo in the spec's key order); no checking."""
    clean = [{k: v for k, v in e.items() if k in CSV_COLUMNS} for e in entries]
    return dict(
        metainfo=dict(dataset_name=dataset_name, format_version=PF_FORMAT_VERSION,
                      categories=list(categories), regions=list(regions)),
        data_list=clean)


def csv_to_pf(csv_path: str, *, dataset_name: Optional[str] = None,
              categories: Sequence[str] = PSNET_CATEGORIES,
              regions: Sequence[str] = REGIONS) -> dict:
    """Convert a CSV into a checked Plagiarized Fashion dict.

    Args:
        csv_path (str): The CSV file.
        dataset_name (str, optional): ``metainfo.dataset_name``; defaults to the CSV's stem.
        categories (Sequence[str]): ``metainfo.categories``. Defaults to PS-Net's four.
        regions (Sequence[str]): ``metainfo.regions``. Defaults to PS-Net's five.

    Returns:
        dict: The PF dict, valid for :func:`~ps_net.datasets.pf_format.check_pf`.

    Raises:
        PFFormatError: Listing every problem, each with the CSV line number and column.
    """
    if dataset_name is None:
        dataset_name = os.path.splitext(os.path.basename(csv_path))[0]
    entries, lines, problems = read_csv_entries(csv_path)
    data = build_pf(entries, dataset_name=dataset_name, categories=categories, regions=regions)
    if not problems or entries:
        for issue in iter_pf_issues(data):
            if issue.index is None:
                where = _OPTION_OF_FIELD.get(issue.field, issue.field)
                problems.append(f'{csv_path}: {where}: {issue.message}')
                continue
            column = issue.field.split('.')[0]
            if column in entries[issue.index]['__bad_columns__']:
                continue  # already reported while parsing the cell
            message = issue.message.replace('data_list[', 'entry [')
            message = _entry_refs_to_lines(message, lines)
            problems.append(f"{csv_path}: line {lines[issue.index]}, column '{column}': "
                            f'{message}')
    if problems:
        raise PFFormatError(problems, csv_path)
    return data


def _entry_refs_to_lines(message: str, lines: Sequence[int]) -> str:
    """Rewrite ``entry [i]`` references (duplicates) as CSV line numbers."""
    return re.sub(r'entry \[(\d+)\]', lambda m: f'line {lines[int(m.group(1))]}', message)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a CSV (img_path,split,design_id,relation,category,'
        'modified_regions) into a Plagiarized Fashion v1 JSON file.')
    parser.add_argument('csv', metavar='IN.csv', help='input CSV with a header row')
    parser.add_argument('out', metavar='OUT.json', help='output PF file')
    parser.add_argument('--dataset-name', help='metainfo.dataset_name (default: the CSV stem)')
    parser.add_argument('--categories', nargs='+', default=list(PSNET_CATEGORIES),
                        help='category names (space- or comma-separated; default: '
                        f'{" ".join(PSNET_CATEGORIES)})')
    parser.add_argument('--regions', nargs='+', default=list(REGIONS),
                        help=f'region names (default: {" ".join(REGIONS)})')
    parser.add_argument('--force', action='store_true', help='overwrite an existing OUT')
    return parser.parse_args(argv)


def _output_error(out: str) -> Optional[str]:
    """The problem with the output path (a folder, in a missing folder, under a file, or in
    a folder this user cannot write to), or None."""
    if os.path.isdir(out):
        return f'OUT.json {out} is a folder'
    folder = os.path.dirname(os.path.abspath(out))
    if os.path.exists(folder) and not os.path.isdir(folder):
        return f'OUT.json {out}: {folder} is a file, not a folder'
    if not os.path.isdir(folder):
        return f'OUT.json {out}: folder {folder} does not exist (create it first)'
    if not os.access(folder, os.W_OK | os.X_OK):
        return f'OUT.json {out}: folder {folder} is not writable'
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Convert; return 0 on success, 1 on invalid input or a refused overwrite."""
    args = parse_args(argv)
    error = _output_error(args.out)
    if error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    if os.path.lexists(args.out) and not args.force:
        print(f'{args.out} exists; refusing to overwrite it (pass --force)', file=sys.stderr)
        return 1
    try:
        data = csv_to_pf(args.csv, dataset_name=args.dataset_name,
                         categories=_split_names(args.categories),
                         regions=_split_names(args.regions))
    except PFFormatError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f'{len(err.problems)} problem(s); nothing written', file=sys.stderr)
        return 1
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        print(f'{args.csv}: {err}', file=sys.stderr)
        return 1
    if not data['data_list']:
        print(f'{args.csv}: no data row after the header; nothing written', file=sys.stderr)
        return 1
    try:
        dump_pf(data, args.out, overwrite=args.force)
    except OSError as err:  # FileExistsError: OUT appeared while converting
        print(f'error: OUT.json {args.out}: {err.strerror or err}; nothing written',
              file=sys.stderr)
        return 1
    n_query = sum(e['split'] == 'query' for e in data['data_list'])
    print(f'wrote {args.out}: {len(data["data_list"])} entries ({n_query} query, '
          f'{len(data["data_list"]) - n_query} gallery)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
