"""The Plagiarized Fashion annotation format, v1 (``shared/docs/plagiarized-fashion-format.md``).

Constants of the format. The validation of a whole file lives here too so that the dataset,
``tools/dataset_converters/validate_pf.py``, the CSV converter and the synthetic writer all
apply exactly the same rules.

Three layers, each usable alone:

* validation: :func:`iter_pf_issues` yields structured :class:`PFIssue` records,
  :func:`validate_pf` formats every one of them, :func:`check_pf` raises
  :class:`PFFormatError` listing them;
* files: :func:`load_pf` (read + check), :func:`dump_pf` (check + atomic write, no silent
  overwrite), :func:`pf_summary` (counts);
* ground truth: :func:`pf_ground_truth` / :func:`pf_ground_truth_arrays` give, per query, the
  positive and the ignored gallery positions of a task, and which queries are skipped.

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
import json
import math
import os
import posixpath
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..utils import atomic_write

PF_FORMAT_VERSION = 1

#: Default categories (PS-Net's four); a file may declare others in ``metainfo.categories``.
PF_CATEGORIES = ('short_sleeved_top', 'long_sleeved_top', 'outwear', 'dress')

#: Region names, by the wearer's left and right, in the order used by every region tensor.
PF_REGIONS = ('left_sleeve', 'right_sleeve', 'collar', 'chest', 'waist')

PF_RELATIONS = ('original', 'identical', 'plagiarized', 'irrelevant')

PF_SPLITS = ('query', 'gallery')

PF_REQUIRED_FIELDS = ('img_path', 'split', 'design_id', 'relation', 'category',
                      'modified_regions')

#: Retrieval tasks of the spec: ``plagiarized`` (the default) and ``identical``.
PF_TASKS = ('plagiarized', 'identical')

#: Optional per-entry fields of the spec (other extra keys are allowed and kept unchecked).
PF_OPTIONAL_FIELDS = ('bbox', 'landmarks', 'region_boxes')

#: The two sleeve names that together count as one edit (a copy may then list three names).
PF_SLEEVE_PAIR = ('left_sleeve', 'right_sleeve')

#: Landmark visibility codes: 0 not labelled, 1 occluded, 2 visible.
PF_VISIBILITIES = (0, 1, 2)

#: For each task, the relation of the positives and the relation of the ignored entries.
_TASK_RELATIONS = {
    'plagiarized': ('plagiarized', 'identical'),
    'identical': ('identical', 'plagiarized'),
}


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
    both_sleeves = all(s in value for s in PF_SLEEVE_PAIR)
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


# --------------------------------------------------------------------------- files
def read_pf_json(path: str, backend_args: Optional[dict] = None) -> Any:
    """Parse a Plagiarized Fashion file as JSON (whatever its extension), without checking it.

    Args:
        path (str): Local path or any URI that ``mmengine.fileio`` can read.
        backend_args (dict, optional): Arguments of the ``mmengine.fileio`` backend.

    Returns:
        Any: The parsed JSON.

    Raises:
        PFFormatError: When the file is not valid JSON (the message names the file and the
            line and column of the syntax error).
    """
    from mmengine.fileio import get_text
    text = get_text(str(path), backend_args=backend_args)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise PFFormatError([f'{path}: not valid JSON: {err}'], str(path)) from err


def load_pf(path: str, backend_args: Optional[dict] = None) -> dict:
    """Read and check a Plagiarized Fashion file.

    Args:
        path (str): Local path or any URI that ``mmengine.fileio`` can read.
        backend_args (dict, optional): Arguments of the ``mmengine.fileio`` backend.

    Returns:
        dict: The file's ``{'metainfo': ..., 'data_list': ...}``.

    Raises:
        PFFormatError: When the file is not JSON or breaks the format (every problem listed).
    """
    data = read_pf_json(path, backend_args)
    check_pf(data, str(path))
    return data


def pf_to_json(data: dict) -> str:
    """The canonical text of a Plagiarized Fashion dict: UTF-8, 2-space indent, one entry of
    ``data_list`` per line (an entry with 294 landmarks stays one line), final newline.

    Example:
        >>> print(pf_to_json({'metainfo': {'format_version': 1}, 'data_list': [{'a': [1, 2]}]}))
        {
          "metainfo": {
            "format_version": 1
          },
          "data_list": [
            {"a":[1,2]}
          ]
        }
        <BLANKLINE>
    """
    parts = []
    for key, value in data.items():
        if key == 'data_list' and isinstance(value, list) and value:
            rows = ',\n'.join('    ' + json.dumps(e, ensure_ascii=False, separators=(',', ':'))
                              for e in value)
            text = '[\n' + rows + '\n  ]'
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace('\n', '\n  ')
        parts.append(f'  {json.dumps(key, ensure_ascii=False)}: {text}')
    return '{\n' + ',\n'.join(parts) + '\n}\n'


def dump_pf(data: dict, path: str, *, overwrite: bool = False) -> None:
    """Check ``data`` and write it atomically to ``path`` (temp file, then rename).

    A reader never sees a half-written file: the text goes to a temporary file in the same
    folder, which is then renamed. Without ``overwrite`` an existing ``path`` is never replaced,
    even when it appears while the file is being written (the rename is a no-clobber hard link).

    Args:
        data (dict): The Plagiarized Fashion dict.
        path (str): Output file (local).
        overwrite (bool): Replace an existing ``path``. Defaults to False.

    Raises:
        PFFormatError: When ``data`` breaks the format (nothing is written).
        FileExistsError: When ``path`` exists and ``overwrite`` is False.
    """
    path = os.fspath(path)
    check_pf(data, path)
    atomic_write(path, pf_to_json(data), overwrite=overwrite)


def pf_summary(data: dict) -> Dict[str, Any]:
    """Counts of a valid Plagiarized Fashion dict.

    Args:
        data (dict): A dict that passes :func:`check_pf`.

    Returns:
        dict: ``entries``, ``query``, ``gallery`` (ints) and ``relations`` (relation -> count,
        every relation of :data:`PF_RELATIONS` present, zeros included).

    Examples:
        >>> pf_summary({'metainfo': {}, 'data_list': [
        ...     {'split': 'query', 'relation': 'original'},
        ...     {'split': 'gallery', 'relation': 'plagiarized'}]})['relations']['plagiarized']
        1
    """
    entries = data['data_list']
    relations = {r: 0 for r in PF_RELATIONS}
    for entry in entries:
        relations[entry['relation']] += 1
    return dict(entries=len(entries),
                query=sum(e['split'] == 'query' for e in entries),
                gallery=sum(e['split'] == 'gallery' for e in entries),
                relations=relations)


# --------------------------------------------------------------------------- ground truth
@dataclass(frozen=True, eq=False, repr=False)
class PFGroundTruth:
    """Per-query ground truth of one task.

    Gallery positions index the gallery in its given order (for a file: the order of its
    ``split == 'gallery'`` entries, i.e. the index in a ``split='gallery'`` dataset).

    Attributes:
        task (str): ``'plagiarized'`` or ``'identical'``.
        positives (tuple[np.ndarray]): Per query, sorted int64 gallery positions of the
            positives.
        ignored (tuple[np.ndarray]): Per query, sorted int64 gallery positions taken out of
            that query's ranking.
        num_gallery (int): Size of the gallery.
    """

    task: str
    positives: Tuple[np.ndarray, ...]
    ignored: Tuple[np.ndarray, ...]
    num_gallery: int

    def __repr__(self) -> str:
        return (f'PFGroundTruth(task={self.task!r}, queries={self.num_queries}, '
                f'gallery={self.num_gallery}, skipped={self.num_skipped})')

    @property
    def num_queries(self) -> int:
        """Number of queries, skipped ones included."""
        return len(self.positives)

    @property
    def skipped(self) -> np.ndarray:
        """Bool mask over queries: ``True`` where a query has no positive (skipped, counted)."""
        return np.array([p.size == 0 for p in self.positives], dtype=bool)

    @property
    def num_skipped(self) -> int:
        """How many queries have no positive in the gallery."""
        return int(self.skipped.sum())

    @property
    def evaluated(self) -> np.ndarray:
        """Int64 indices of the queries that have at least one positive."""
        return np.flatnonzero(~self.skipped)

    def relevance_matrix(self) -> np.ndarray:
        """Dense ``[num_queries, num_gallery]`` int8 matrix: 1 positive, -1 ignored, 0 negative.

        Memory grows as queries x gallery; meant for small sets and for metric code that works
        on dense matrices.
        """
        matrix = np.zeros((self.num_queries, self.num_gallery), dtype=np.int8)
        for q, (pos, ign) in enumerate(zip(self.positives, self.ignored)):
            matrix[q, pos] = 1
            matrix[q, ign] = -1
        return matrix


def _check_task(task: str) -> str:
    """Return ``task`` when it is a known task, else raise ``ValueError`` echoing it."""
    if task not in PF_TASKS:
        raise ValueError(f'task must be one of {PF_TASKS!r}, got {task!r}')
    return task


def pf_ground_truth_arrays(query_design_ids: Sequence[int], gallery_design_ids: Sequence[int],
                          gallery_relations: Sequence[str],
                          task: str = 'plagiarized') -> PFGroundTruth:
    """Ground truth of ``task`` from the design ids and relations alone.

    For a query of design ``d``: with task ``plagiarized`` the positives are the gallery entries
    of design ``d`` and relation ``plagiarized`` and those of relation ``identical`` are ignored;
    with task ``identical`` the two relations swap roles. Every other gallery entry (other
    designs; same-design ``original`` or ``irrelevant``) is a negative. A query with no positive
    is reported in :attr:`PFGroundTruth.skipped`.

    Runs in O(queries + gallery): the gallery positions are grouped by design once.

    Args:
        query_design_ids (Sequence[int]): Design id of each query.
        gallery_design_ids (Sequence[int]): Design id of each gallery entry.
        gallery_relations (Sequence[str]): Relation of each gallery entry.
        task (str): ``'plagiarized'`` (default) or ``'identical'``.

    Returns:
        PFGroundTruth: Positives and ignored gallery positions per query.

    Examples:
        >>> gt = pf_ground_truth_arrays([7, 8], [7, 7, 7, 8],
        ...                             ['plagiarized', 'identical', 'irrelevant', 'identical'])
        >>> [p.tolist() for p in gt.positives], [i.tolist() for i in gt.ignored]
        ([[0], []], [[1], [3]])
        >>> gt.skipped.tolist()
        [False, True]
    """
    pos_relation, ign_relation = _TASK_RELATIONS[_check_task(task)]
    gallery_ids = np.asarray(gallery_design_ids, dtype=np.int64).reshape(-1)
    relations = np.asarray(gallery_relations, dtype=object).reshape(-1)
    if gallery_ids.shape != relations.shape:
        raise ValueError(f'gallery_design_ids and gallery_relations differ in length: '
                         f'{gallery_ids.size} != {relations.size}')
    positives = _positions_by_design(gallery_ids, relations == pos_relation)
    ignored = _positions_by_design(gallery_ids, relations == ign_relation)
    empty = np.zeros(0, dtype=np.int64)
    empty.setflags(write=False)
    query_ids = np.asarray(query_design_ids, dtype=np.int64).reshape(-1).tolist()
    return PFGroundTruth(task=task,
                         positives=tuple(positives.get(d, empty) for d in query_ids),
                         ignored=tuple(ignored.get(d, empty) for d in query_ids),
                         num_gallery=int(gallery_ids.size))


def _positions_by_design(design_ids: np.ndarray, mask: np.ndarray) -> Dict[int, np.ndarray]:
    """Map design id -> sorted int64 positions where ``mask`` holds, for that design."""
    positions = np.flatnonzero(mask).astype(np.int64)
    if positions.size == 0:
        return {}
    ids = design_ids[positions]
    order = np.argsort(ids, kind='stable')
    ids, positions = ids[order], positions[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    groups = np.split(positions, starts[1:])
    for group in groups:
        group.setflags(write=False)  # shared by every query of that design
    return {int(ids[s]): g for s, g in zip(starts, groups)}


def pf_ground_truth(query_entries: Sequence[Mapping[str, Any]],
                    gallery_entries: Sequence[Mapping[str, Any]],
                    task: str = 'plagiarized') -> PFGroundTruth:
    """Ground truth of ``task`` for PF entries (dicts with ``design_id`` and ``relation``).

    Thin wrapper over :func:`pf_ground_truth_arrays`; positions index ``gallery_entries``.

    Args:
        query_entries (Sequence[Mapping]): The queries, in order.
        gallery_entries (Sequence[Mapping]): The gallery, in order.
        task (str): ``'plagiarized'`` (default) or ``'identical'``.

    Returns:
        PFGroundTruth: Positives and ignored gallery positions per query.
    """
    _check_task(task)
    return pf_ground_truth_arrays([e['design_id'] for e in query_entries],
                                  [e['design_id'] for e in gallery_entries],
                                  [e['relation'] for e in gallery_entries], task)


def pf_split_entries(data: dict) -> Tuple[List[dict], List[dict]]:
    """The query and the gallery entries of a PF dict, each in file order."""
    entries = data['data_list']
    return ([e for e in entries if e['split'] == 'query'],
            [e for e in entries if e['split'] == 'gallery'])
