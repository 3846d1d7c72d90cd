"""Ground truth of the Plagiarized Fashion tasks: per query, its positive and ignored gallery
positions."""
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import numpy as np

from .constants import PF_TASKS

#: For each task, the relation of the positives and the relation of the ignored entries.
_TASK_RELATIONS = {
    'plagiarized': ('plagiarized', 'identical'),
    'identical': ('identical', 'plagiarized'),
}


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
