"""Validation of a Plagiarized Fashion v1 dict (``shared/docs/plagiarized-fashion-format.md``).

:func:`iter_pf_issues` yields structured :class:`PFIssue` records, :func:`validate_pf` formats
every one of them, :func:`check_pf` raises :class:`PFFormatError` listing them. The dataset,
``tools/dataset_converters/validate_pf.py``, the CSV converter and the synthetic writer all
apply these rules.

Decisions where the spec leaves room (all checked by :func:`validate_pf`):

* ``metainfo`` is required, with ``format_version`` equal to :data:`PF_FORMAT_VERSION` and
  non-empty ``categories`` and ``regions`` lists of unique strings: ``category`` and
  ``modified_regions`` are defined against them, so a file without them cannot be checked (no
  silent defaults). ``dataset_name`` and ``landmark_layout`` are optional strings.
* Unknown extra keys (in ``metainfo`` or in an entry) are allowed, so writers may add fields.
* Two ``img_path`` values are duplicates when they are equal after ``posixpath.normpath``.
* Coordinates must be finite ``int``/``float`` (never ``bool``); landmark visibility must be an
  ``int`` 0, 1 or 2.
"""
import math
import posixpath
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from ...structures import SLEEVE_PAIR
from .constants import (PF_FORMAT_VERSION, PF_RELATIONS, PF_REQUIRED_FIELDS, PF_SPLITS,
                        PF_VISIBILITIES)


class PFFormatError(ValueError):
    """A Plagiarized Fashion file (or dict) breaks the format.

    Args:
        problems (Sequence[str]): Every problem found, each naming the source, the entry and the
            field.
        source (str): The file (or description) the problems were found in.
    """

    def __init__(self, problems: Sequence[str], source: str = '<data>'):
        self.problems = list(problems)
        self.source = source
        head = (f'{source} is not a valid Plagiarized Fashion v{PF_FORMAT_VERSION} file: '
                f'{len(self.problems)} problem(s)')
        super().__init__('\n'.join([head] + ['  ' + p for p in self.problems]))

    def __reduce__(self):
        return self.__class__, (self.problems, self.source)


@dataclass(frozen=True)
class PFIssue:
    """One problem found by :func:`iter_pf_issues`.

    Attributes:
        index (int | None): Index of the entry in ``data_list``; ``None`` for a file-level problem.
        field (str): The field at fault, e.g. ``'relation'`` for an entry, or
            ``'metainfo.categories'`` for a file-level problem.
        message (str): What was expected and what was found.
    """

    index: Optional[int]
    field: str
    message: str

    def format(self, source: str = '<data>') -> str:
        """Render the issue as one line naming the source, the entry index and the field."""
        if self.index is None:
            return f"{source}: field '{self.field}': {self.message}"
        return f"{source}: data_list[{self.index}] field '{self.field}': {self.message}"


# --------------------------------------------------------------------------- small type checks
def _is_int(value: Any) -> bool:
    """``int`` but not ``bool`` (``True`` is an ``int`` in Python, never a design id)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """A finite ``int`` or ``float`` that is not a ``bool``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def _describe(value: Any) -> str:
    """``repr`` of a value with its type, shortened for long values."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + '...'
    return f'{text} ({type(value).__name__})'


def _box_problem(box: Any) -> Optional[str]:
    """Return why ``box`` is not ``[x1, y1, x2, y2]`` with x2 > x1 and y2 > y1, or ``None``."""
    if not isinstance(box, (list, tuple)) or len(box) != 4:
        return f'expected a list [x1, y1, x2, y2] of 4 numbers, got {_describe(box)}'
    if not all(_is_number(v) for v in box):
        return f'expected 4 finite numbers [x1, y1, x2, y2], got {box!r}'
    x1, y1, x2, y2 = box
    if not (x2 > x1 and y2 > y1):
        return f'expected x2 > x1 and y2 > y1, got {list(box)!r}'
    return None


def _unique_strings_problem(value: Any) -> Optional[str]:
    """Return why ``value`` is not a non-empty list of unique non-empty strings, or ``None``."""
    if not isinstance(value, (list, tuple)) or not value:
        return f'expected a non-empty list of names, got {_describe(value)}'
    bad = [v for v in value if not isinstance(v, str) or not v]
    if bad:
        return f'expected non-empty strings, got {bad!r}'
    dups = sorted({v for v in value if list(value).count(v) > 1})
    if dups:
        return f'expected unique names, got duplicates {dups!r}'
    return None


# --------------------------------------------------------------------------- metainfo
def _metainfo_issues(metainfo: Any) -> Iterator[PFIssue]:
    """Check ``metainfo``: format_version, categories, regions and the optional strings."""
    if not isinstance(metainfo, dict):
        yield PFIssue(None, 'metainfo', f'expected a dict, got {_describe(metainfo)}')
        return
    version = metainfo.get('format_version')
    if 'format_version' not in metainfo:
        yield PFIssue(None, 'metainfo.format_version',
                      f'missing; expected {PF_FORMAT_VERSION}')
    elif not _is_int(version) or version != PF_FORMAT_VERSION:
        yield PFIssue(None, 'metainfo.format_version',
                      f'expected {PF_FORMAT_VERSION}, got {_describe(version)}')
    for key in ('categories', 'regions'):
        if key not in metainfo:
            yield PFIssue(None, f'metainfo.{key}', 'missing; expected a non-empty list of names')
            continue
        problem = _unique_strings_problem(metainfo[key])
        if problem:
            yield PFIssue(None, f'metainfo.{key}', problem)
    for key in ('dataset_name', 'landmark_layout'):
        if key in metainfo and not isinstance(metainfo[key], str):
            yield PFIssue(None, f'metainfo.{key}',
                          f'expected a string, got {_describe(metainfo[key])}')


def _declared_names(metainfo: Any, key: str) -> Optional[Tuple[str, ...]]:
    """The ``metainfo[key]`` names when they are valid, else ``None`` (membership unchecked)."""
    if not isinstance(metainfo, dict) or _unique_strings_problem(metainfo.get(key)) is not None:
        return None
    return tuple(metainfo[key])


# --------------------------------------------------------------------------- one entry
def _modified_regions_issues(index: int, entry: dict,
                             regions: Optional[Tuple[str, ...]]) -> Iterator[PFIssue]:
    """Check ``modified_regions``: ``[]`` unless plagiarized, else one or two edits."""
    value = entry['modified_regions']
    field = 'modified_regions'
    if not isinstance(value, list):
        yield PFIssue(index, field, f'expected a list of region names, got {_describe(value)}')
        return
    bad = [v for v in value if not isinstance(v, str)]
    if bad:
        yield PFIssue(index, field, f'expected region names (strings), got {bad!r}')
        return
    relation = entry.get('relation')
    if relation != 'plagiarized':
        if value and relation in PF_RELATIONS:
            yield PFIssue(index, field,
                          f"expected [] for relation {relation!r} (only 'plagiarized' entries "
                          f'list modified regions), got {value!r}')
        return
    if regions is not None:
        unknown = [v for v in value if v not in regions]
        if unknown:
            yield PFIssue(index, field,
                          f'unknown region(s) {unknown!r}; expected names from '
                          f'metainfo.regions {list(regions)!r}')
    dups = sorted({v for v in value if value.count(v) > 1})
    if dups:
        yield PFIssue(index, field, f'expected no duplicate names, got duplicates {dups!r}')
    both_sleeves = all(s in value for s in SLEEVE_PAIR)
    max_names = 3 if both_sleeves else 2
    if not value:
        yield PFIssue(index, field,
                      "expected one or two modified regions for relation 'plagiarized', got []")
    elif len(value) > max_names:
        yield PFIssue(index, field,
                      f'expected one or two edits (three names only as left_sleeve + '
                      f'right_sleeve + one other), got {len(value)} names {value!r}')


def _scalar_field_issues(index: int, entry: dict,
                         categories: Optional[Tuple[str, ...]]) -> Iterator[PFIssue]:
    """Check the required scalar fields: img_path, split, design_id, relation, category."""
    img_path = entry['img_path']
    if not isinstance(img_path, str) or not img_path.strip():
        yield PFIssue(index, 'img_path', f'expected a non-empty string, got {_describe(img_path)}')
    split = entry['split']
    if split not in PF_SPLITS or not isinstance(split, str):
        yield PFIssue(index, 'split', f'expected one of {PF_SPLITS!r}, got {_describe(split)}')
    if not _is_int(entry['design_id']):
        yield PFIssue(index, 'design_id',
                      f'expected an int, got {_describe(entry["design_id"])}')
    relation = entry['relation']
    if not isinstance(relation, str) or relation not in PF_RELATIONS:
        yield PFIssue(index, 'relation',
                      f'expected one of {PF_RELATIONS!r}, got {_describe(relation)}')
    elif split == 'query' and relation != 'original':
        yield PFIssue(index, 'relation',
                      f"expected 'original' for a query (every query is an original), "
                      f'got {relation!r}')
    category = entry['category']
    if not isinstance(category, str):
        yield PFIssue(index, 'category', f'expected a string, got {_describe(category)}')
    elif categories is not None and category not in categories:
        yield PFIssue(index, 'category',
                      f'unknown category {category!r}; expected one of metainfo.categories '
                      f'{list(categories)!r}')


def _landmarks_issues(index: int, landmarks: Any) -> Iterator[PFIssue]:
    """Check ``landmarks``: a list of ``[x, y, v]`` with finite x, y and v in {0, 1, 2}."""
    if not isinstance(landmarks, list):
        yield PFIssue(index, 'landmarks',
                      f'expected a list of [x, y, v], got {_describe(landmarks)}')
        return
    for k, point in enumerate(landmarks):
        field = f'landmarks[{k}]'
        if not isinstance(point, (list, tuple)) or len(point) != 3:
            yield PFIssue(index, field, f'expected [x, y, v], got {_describe(point)}')
            continue
        x, y, v = point
        if not (_is_number(x) and _is_number(y)):
            yield PFIssue(index, field, f'expected finite numbers x and y, got {list(point)!r}')
        if not _is_int(v) or v not in PF_VISIBILITIES:
            yield PFIssue(index, field,
                          f'expected visibility v in {{0, 1, 2}} (int), got {_describe(v)}')


def _region_boxes_issues(index: int, boxes: Any,
                         regions: Optional[Tuple[str, ...]]) -> Iterator[PFIssue]:
    """Check ``region_boxes``: a dict keyed by ``metainfo.regions`` with valid boxes."""
    if not isinstance(boxes, dict):
        yield PFIssue(index, 'region_boxes',
                      f'expected a dict {{region: [x1, y1, x2, y2]}}, got {_describe(boxes)}')
        return
    for name, box in boxes.items():
        field = f'region_boxes.{name}'
        if regions is not None and name not in regions:
            yield PFIssue(index, field,
                          f'unknown region {name!r}; expected keys from metainfo.regions '
                          f'{list(regions)!r}')
        problem = _box_problem(box)
        if problem:
            yield PFIssue(index, field, problem)


def _entry_issues(index: int, entry: Any, categories: Optional[Tuple[str, ...]],
                  regions: Optional[Tuple[str, ...]]) -> Iterator[PFIssue]:
    """Every problem of one ``data_list`` entry (duplicates across entries are checked apart)."""
    if not isinstance(entry, dict):
        yield PFIssue(index, '<entry>', f'expected a dict, got {_describe(entry)}')
        return
    missing = [f for f in PF_REQUIRED_FIELDS if f not in entry]
    for field in missing:
        yield PFIssue(index, field, 'missing required field')
    if not missing:
        yield from _scalar_field_issues(index, entry, categories)
        yield from _modified_regions_issues(index, entry, regions)
    if 'bbox' in entry:
        problem = _box_problem(entry['bbox'])
        if problem:
            yield PFIssue(index, 'bbox', problem)
    if 'landmarks' in entry:
        yield from _landmarks_issues(index, entry['landmarks'])
    if 'region_boxes' in entry:
        yield from _region_boxes_issues(index, entry['region_boxes'], regions)


def _duplicate_path_issues(data_list: Sequence[Any]) -> Iterator[PFIssue]:
    """Flag every entry whose normalised ``img_path`` repeats an earlier entry's."""
    first_seen: Dict[str, int] = {}
    for index, entry in enumerate(data_list):
        if not isinstance(entry, dict) or not isinstance(entry.get('img_path'), str):
            continue
        key = posixpath.normpath(entry['img_path'].replace('\\', '/'))
        if key in first_seen:
            yield PFIssue(index, 'img_path',
                          f'expected a unique image, got {entry["img_path"]!r}, a duplicate of '
                          f'data_list[{first_seen[key]}]')
        else:
            first_seen[key] = index


# --------------------------------------------------------------------------- public validation
def iter_pf_issues(data: Any) -> Iterator[PFIssue]:
    """Yield every problem of a Plagiarized Fashion dict, as structured :class:`PFIssue` records.

    File-level problems come first, then the entries' problems in ``data_list`` order, then
    duplicate ``img_path`` values. Checks that depend on a broken part (e.g. category membership
    when ``metainfo.categories`` is itself invalid) are skipped rather than reported twice.

    Args:
        data (Any): The parsed JSON (normally a dict with ``metainfo`` and ``data_list``).

    Yields:
        PFIssue: One record per problem.
    """
    if not isinstance(data, dict):
        yield PFIssue(None, '<file>',
                      f'expected a dict with metainfo and data_list, got {_describe(data)}')
        return
    if 'metainfo' not in data:
        yield PFIssue(None, 'metainfo', 'missing; expected a dict with format_version, '
                      'categories and regions')
    else:
        yield from _metainfo_issues(data['metainfo'])
    metainfo = data.get('metainfo')
    categories = _declared_names(metainfo, 'categories')
    regions = _declared_names(metainfo, 'regions')
    data_list = data.get('data_list')
    if 'data_list' not in data:
        yield PFIssue(None, 'data_list', 'missing; expected a list of entries')
        return
    if not isinstance(data_list, list):
        yield PFIssue(None, 'data_list', f'expected a list of entries, got {_describe(data_list)}')
        return
    for index, entry in enumerate(data_list):
        yield from _entry_issues(index, entry, categories, regions)
    yield from _duplicate_path_issues(data_list)


def validate_pf(data: Any, *, source: str = '<data>') -> List[str]:
    """Return every problem of a Plagiarized Fashion dict, one line each (empty when valid).

    Each line names ``source``, the entry index (``data_list[i]``) and the field, and says what
    was expected and what was found.

    Args:
        data (Any): The parsed JSON.
        source (str): Name of the file (or other source) used in the messages.

    Returns:
        list[str]: The problems; ``[]`` for a valid file.

    Examples:
        >>> data = dict(metainfo=dict(format_version=1, categories=['dress'], regions=['collar']),
        ...             data_list=[dict(img_path='a.jpg', split='query', design_id=1,
        ...                             relation='copy', category='dress',
        ...                             modified_regions=[])])
        >>> validate_pf(data, source='x.json')  # doctest: +ELLIPSIS
        ["x.json: data_list[0] field 'relation': expected one of (...), got 'copy' (str)"]
    """
    return [issue.format(source) for issue in iter_pf_issues(data)]


def iter_pf_split_issues(data: Any, required: Sequence[str] = PF_SPLITS) -> Iterator[PFIssue]:
    """Yield a file-level :class:`PFIssue` for each split of ``required`` without an entry.

    :func:`iter_pf_issues` accepts a file with one split only (a catalogue of gallery
    entries); a file to be *scored* needs both a query and a gallery entry, which this checks.
    Entries that are not dicts or have no valid ``split`` are left to :func:`iter_pf_issues`.

    Args:
        data (Any): The parsed JSON.
        required (Sequence[str]): The splits that must have at least one entry. Defaults to
            ``('query', 'gallery')``.

    Yields:
        PFIssue: One per missing split, field ``data_list``.

    Examples:
        >>> data = dict(metainfo={}, data_list=[dict(split='gallery')])
        >>> [i.format('x.json') for i in iter_pf_split_issues(data)]  # doctest: +ELLIPSIS
        ["x.json: field 'data_list': no 'query' entry (1 entries: 0 query, 1 gallery); ..."]
    """
    data_list = data.get('data_list') if isinstance(data, dict) else None
    if not isinstance(data_list, list):
        return
    counts = {s: sum(isinstance(e, dict) and e.get('split') == s for e in data_list)
              for s in PF_SPLITS}
    for split in required:
        if counts.get(split, 0) == 0:
            found = ', '.join(f'{counts[s]} {s}' for s in PF_SPLITS)
            yield PFIssue(None, 'data_list',
                          f'no {split!r} entry ({len(data_list)} entries: {found}); a file to '
                          f'score needs at least one query and one gallery entry')


def check_pf(data: Any, source: str = '<data>') -> None:
    """Raise :class:`PFFormatError` listing every problem when ``data`` breaks the format.

    Args:
        data (Any): The parsed JSON.
        source (str): Name of the file (or other source) used in the messages.

    Raises:
        PFFormatError: When :func:`validate_pf` finds any problem.
    """
    problems = validate_pf(data, source=source)
    if problems:
        raise PFFormatError(problems, source)
