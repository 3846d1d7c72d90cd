"""Plagiarism retrieval metric of PS-Net: Recall@K, HitRate@K and mAP on Plagiarized Fashion.

Definitions (``shared/docs/plagiarized-fashion-format.md``), over the queries that have
positives, overall and per ``category`` of the query:

- ``Recall@K``: "the share of that query's positives found in its top K, averaged over
  queries".
- ``HitRate@K``: "1 if at least one positive is in the top K, averaged over queries (what many
  fashion papers call top-K accuracy)".
- ``mAP``: "mean over queries of average precision over the full ranking (ignored entries
  removed)".
- "A query with no positive in the gallery is skipped and counted, never silently averaged in
  as zero or one."

Which gallery entries are positive or ignored for a query is *not* decided here: the rules of
the format live in :func:`ps_net.datasets.pf_format.pf_ground_truth_arrays`, which this module
calls. Values are percentages (0-100), as mmpretrain's ``RetrievalRecall`` and
``RetrievalAveragePrecision`` report them.
"""
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmengine.structures import BaseDataElement
from mmpretrain.registry import METRICS

from ps_net.datasets.pf_format import (PF_RELATIONS, PF_TASKS, load_pf, pf_ground_truth_arrays,
                                       pf_split_entries)

__all__ = ['PSNetPlagiarismMetric', 'tie_ranks']

#: Default prefix of each task's metric names.
_TASK_PREFIX = {'plagiarized': 'plagiarism', 'identical': 'identical'}

#: Up to this many targets, ranks are found by direct comparison (O(G) per target) instead of a
#: full sort (O(G log G)); both follow the same tie rule.
_DIRECT_RANK_MAX = 32


# --------------------------------------------------------------------------- input helpers
def _to_numpy(value: Any) -> np.ndarray:
    """A torch tensor (any device), numpy array or nested sequence as a numpy array."""
    if hasattr(value, 'detach'):  # torch.Tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _as_scores(value: Any, name: str, ndim: int) -> np.ndarray:
    """Numeric ``value`` as a float64 array with ``ndim`` dimensions and no NaN."""
    try:
        array = _to_numpy(value).astype(np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f'{name} must be numeric, got {value!r}') from err
    if array.ndim != ndim:
        raise ValueError(f'{name} must have {ndim} dimension(s), got shape {array.shape}')
    if np.isnan(array).any():
        raise ValueError(f'{name} must not contain NaN (a NaN score has no rank), got NaN at '
                         f'{np.argwhere(np.isnan(array))[0].tolist()}')
    return array


def _is_int(value: Any) -> bool:
    """A Python or numpy integer that is not a ``bool``."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_common_args(score_key: Any, gallery_ann_file: Any, prefix: Any) -> None:
    """Validate the arguments both retrieval metrics share (the bad value is echoed)."""
    if not isinstance(score_key, str) or not score_key:
        raise ValueError(f'score_key must be a non-empty string, got {score_key!r}')
    if gallery_ann_file is not None and (not isinstance(gallery_ann_file, str)
                                         or not gallery_ann_file):
        raise ValueError(f'gallery_ann_file must be a path (str) or None, got '
                         f'{gallery_ann_file!r}')
    if prefix is not None and (not isinstance(prefix, str) or not prefix):
        raise ValueError(f'prefix must be a non-empty string or None, got {prefix!r}')


def _check_topk(topk: Union[int, Sequence[int]]) -> Tuple[int, ...]:
    """``topk`` as a tuple of unique positive ints, or ``ValueError`` echoing it."""
    values = (topk, ) if _is_int(topk) else topk
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values \
            or not all(_is_int(k) and k > 0 for k in values):
        raise ValueError(f'topk must be a positive int or a non-empty sequence of positive '
                         f'ints, got {topk!r}')
    if len(set(values)) != len(values):
        raise ValueError(f'topk must not repeat a value, got {topk!r}')
    return tuple(int(k) for k in values)


def _positions(value: Any, num_gallery: int, name: str) -> np.ndarray:
    """Gallery positions as sorted unique int64, each in ``[0, num_gallery)``."""
    array = _to_numpy(value if value is not None else [])
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in 'iu' or array.ndim != 1:
        raise ValueError(f'{name} must be a 1-D sequence of int gallery positions, got '
                         f'{value!r}')
    array = array.astype(np.int64)
    bad = array[(array < 0) | (array >= num_gallery)]
    if bad.size:
        raise ValueError(f'{name} must hold gallery positions in [0, {num_gallery}), got '
                         f'{bad.tolist()}')
    unique = np.unique(array)
    if unique.size != array.size:
        raise ValueError(f'{name} must not repeat a position, got {array.tolist()}')
    return unique


def _sample_get(sample: Any, key: str, default: Any = None) -> Any:
    """``sample[key]`` for a dict (``DataSample.to_dict()``) or a data element."""
    if isinstance(sample, BaseDataElement):
        return sample.get(key, default)
    return sample.get(key, default) if isinstance(sample, Mapping) else default


def _sample_keys(sample: Any) -> List[str]:
    """The keys of a data sample (dict or data element), for error messages."""
    if isinstance(sample, BaseDataElement):
        return sorted(list(sample.metainfo_keys()) + list(sample.keys()))
    return sorted(sample) if isinstance(sample, Mapping) else []


def _sample_design_id(sample: Any, owner: str) -> int:
    """The query's ``design_id`` from the data sample metainfo, as an int."""
    value = _sample_get(sample, 'design_id')
    if value is None:
        raise ValueError(f"{owner} needs the query's 'design_id' in each data sample (add it to "
                         f"PackInputs(meta_keys=...)), got keys {_sample_keys(sample)}")
    array = _to_numpy(value)
    if array.size != 1 or not _is_int(array.reshape(-1)[0]):
        raise ValueError(f'{owner}: design_id must be one int, got {value!r}')
    return int(array.reshape(-1)[0])


def _sample_category(sample: Any, owner: str) -> str:
    """The query's ``category`` from the data sample metainfo."""
    value = _sample_get(sample, 'category')
    if not isinstance(value, str):
        raise ValueError(f"{owner} needs the query's 'category' (a string) in each data sample "
                         f'for per-category results (add it to PackInputs(meta_keys=...), or '
                         f'set per_category=False), got {value!r} among keys '
                         f'{_sample_keys(sample)}')
    return value


def _sample_scores(sample: Any, key: str, num_gallery: Optional[int],
                   owner: str) -> np.ndarray:
    """The sample's 1-D score vector over the gallery (``pred_score`` by default); its length
    must be ``num_gallery`` unless that is None."""
    value = _sample_get(sample, key)
    if value is None:
        raise ValueError(f'{owner} needs {key!r} in each data sample, got keys '
                         f'{_sample_keys(sample)}')
    scores = _as_scores(value, key, 1)
    if num_gallery is not None and scores.size != num_gallery:
        raise ValueError(f'{owner}: {key} has {scores.size} gallery scores but the gallery has '
                         f"{num_gallery} entries (the retriever's prototype must be the "
                         f"split='gallery' dataset of the same file, in its order)")
    return scores


def _category_order(names: Sequence[str], known: Sequence[str] = ()) -> List[str]:
    """Unique ``names``: those in ``known`` first in that order, then the others sorted."""
    known = [k for k in known if isinstance(k, str)]
    seen = set(names)
    return [k for k in known if k in seen] + sorted(seen - set(known))


# --------------------------------------------------------------------------- ranking
def tie_ranks(order_key: np.ndarray, targets: np.ndarray,
              keep: Optional[np.ndarray] = None) -> np.ndarray:
    """1-based ranks of ``targets`` in the ranking of the kept gallery entries.

    The ranking sorts the kept entries by ascending ``order_key`` (pass ``-scores`` for
    similarities, distances as they are) with a stable sort, so that entries with equal keys
    keep the order of their gallery index. Equivalently, the rank of target ``t`` is one plus the
    number of kept entries ``j`` with ``key[j] < key[t]``, or ``key[j] == key[t]`` and ``j < t``.

    Args:
        order_key (np.ndarray): ``[G]`` float keys, smaller ranks first, no NaN.
        targets (np.ndarray): Sorted unique int gallery positions, all kept.
        keep (np.ndarray, optional): ``[G]`` bool mask of the entries left in the ranking
            (``False`` for ignored entries). None keeps every entry.

    Returns:
        np.ndarray: Sorted int64 ranks (1 = first), one per target.

    Examples:
        >>> tie_ranks(-np.array([0.5, 0.9, 0.5, 0.1]), np.array([0, 2])).tolist()
        [2, 3]
        >>> keep = np.array([True, False, True, True])  # entry 1 ignored: it no longer ranks
        >>> tie_ranks(-np.array([0.5, 0.9, 0.5, 0.1]), np.array([0, 2]), keep).tolist()
        [1, 2]
    """
    targets = np.asarray(targets, dtype=np.int64)
    if targets.size == 0:
        return np.zeros(0, dtype=np.int64)
    kept = np.arange(order_key.size) if keep is None else np.flatnonzero(keep)
    key = order_key[kept]
    if targets.size <= _DIRECT_RANK_MAX:
        target_key = order_key[targets][:, None]
        before = (key[None, :] < target_key) | ((key[None, :] == target_key) &
                                                (kept[None, :] < targets[:, None]))
        ranks = before.sum(axis=1) + 1
    else:
        order = np.argsort(key, kind='stable')  # ``kept`` ascends: ties keep gallery order
        rank_of = np.empty(kept.size, dtype=np.int64)
        rank_of[order] = np.arange(1, kept.size + 1)
        ranks = rank_of[np.searchsorted(kept, targets)]
    return np.sort(ranks.astype(np.int64))


# --------------------------------------------------------------------------- per query
def _query_record(scores: np.ndarray, positives: np.ndarray, ignored: np.ndarray,
                  topk: Tuple[int, ...], category: Optional[str]) -> Dict[str, Any]:
    """Recall@K / HitRate@K fractions and AP of one query; ``skipped`` when no positive."""
    record: Dict[str, Any] = dict(category=category, skipped=positives.size == 0)
    if record['skipped']:
        return record
    keep = np.ones(scores.size, dtype=bool)
    keep[ignored] = False
    ranks = tie_ranks(-scores, positives, keep)
    ks = np.asarray(topk, dtype=np.int64)
    record['recall'] = (ranks[None, :] <= ks[:, None]).sum(axis=1) / ranks.size
    record['hit'] = (ranks[0] <= ks).astype(np.float64)
    record['ap'] = float(np.mean(np.arange(1, ranks.size + 1) / ranks))
    return record


def _summarize(records: Sequence[Mapping[str, Any]], topk: Tuple[int, ...],
               known_categories: Sequence[str] = ()) -> Dict[str, float]:
    """Average per-query records into the metric dict (keys without prefix, percentages)."""

    def block(group: Sequence[Mapping[str, Any]], head: str) -> Dict[str, float]:
        used = [r for r in group if not r['skipped']]
        out: Dict[str, float] = {}
        for i, k in enumerate(topk):
            out[f'{head}Recall@{k}'] = _mean_percent([r['recall'][i] for r in used])
        for i, k in enumerate(topk):
            out[f'{head}HitRate@{k}'] = _mean_percent([r['hit'][i] for r in used])
        out[f'{head}mAP'] = _mean_percent([r['ap'] for r in used])
        out[f'{head}num_queries'] = len(group)
        out[f'{head}num_skipped'] = len(group) - len(used)
        out[f'{head}num_evaluated'] = len(used)
        return out

    metrics = block(records, '')
    categories = [r['category'] for r in records if r['category'] is not None]
    for name in _category_order(categories, known_categories):
        metrics.update(block([r for r in records if r['category'] == name], f'{name}/'))
    return metrics


def _mean_percent(values: Sequence[float]) -> float:
    """Mean of fractions as a percentage; NaN (never 0 or 100) when there is none."""
    return float(np.mean(values) * 100) if len(values) else float('nan')


# --------------------------------------------------------------------------- gallery
@dataclass(frozen=True)
class _Gallery:
    """The gallery, in the order of the retriever's prototype (gallery positions)."""

    design_ids: np.ndarray
    relations: np.ndarray
    categories: Optional[np.ndarray] = None

    @property
    def size(self) -> int:
        return int(self.design_ids.size)


def _make_gallery(design_ids: Sequence[int], relations: Sequence[str],
                  categories: Optional[Sequence[str]] = None) -> _Gallery:
    """Check the gallery arrays (ints, known relations, equal lengths) and wrap them."""
    ids = list(_to_numpy(design_ids).reshape(-1)) if len(design_ids) else []
    bad_ids = [d for d in ids if not _is_int(d)]
    if bad_ids:
        raise ValueError(f'gallery design_ids must be ints, got {bad_ids[:5]!r}')
    rels = list(relations)
    bad_rels = sorted({repr(r) for r in rels if not isinstance(r, str) or r not in PF_RELATIONS})
    if bad_rels:
        raise ValueError(f'gallery relations must be among {PF_RELATIONS!r}, got '
                         f'{", ".join(bad_rels)}')
    if len(ids) != len(rels):
        raise ValueError(f'gallery design_ids and relations differ in length: {len(ids)} != '
                         f'{len(rels)}')
    cats = None
    if categories is not None:
        cats = list(categories)
        if len(cats) != len(ids) or not all(isinstance(c, str) for c in cats):
            raise ValueError(f'gallery categories must be {len(ids)} strings, got '
                             f'{len(cats)} values')
        cats = np.array(cats, dtype=object)
    if not ids:
        raise ValueError('the gallery is empty: nothing to retrieve')
    return _Gallery(np.array(ids, dtype=np.int64), np.array(rels, dtype=object), cats)


def _gallery_from_ann_file(ann_file: str, backend_args: Optional[dict]) -> _Gallery:
    """The ``split == 'gallery'`` entries of a Plagiarized Fashion file, in file order."""
    _, gallery = pf_split_entries(load_pf(ann_file, backend_args))
    if not gallery:
        raise ValueError(f"{ann_file} has no 'gallery' entry: nothing to retrieve")
    return _make_gallery([e['design_id'] for e in gallery], [e['relation'] for e in gallery],
                         [e['category'] for e in gallery])


def _gallery_from_dataset(dataset: Any) -> _Gallery:
    """Every entry of a gallery dataset (e.g. ``PlagiarizedFashionDataset(split='gallery')``).

    Entry ``i`` of the dataset is gallery position ``i``, as the retriever indexes its prototype
    by ``sample_idx``; an entry whose ``split`` is set and not ``'gallery'`` is refused.
    """
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    not_gallery = [i for i, info in enumerate(infos) if info.get('split', 'gallery') != 'gallery']
    if not_gallery:
        raise ValueError(f"the gallery dataset must hold only split='gallery' entries (the "
                         f"retriever's prototype indexes every entry), got other splits at "
                         f'indices {not_gallery[:5]}')
    missing = [i for i, info in enumerate(infos) if 'design_id' not in info
               or 'relation' not in info]
    if missing:
        raise ValueError(f"gallery entries need 'design_id' and 'relation', missing at indices "
                         f'{missing[:5]}')
    categories = [info.get('category') for info in infos]
    return _make_gallery([info['design_id'] for info in infos],
                         [info['relation'] for info in infos],
                         categories if all(isinstance(c, str) for c in categories) else None)


# --------------------------------------------------------------------------- the metric
@METRICS.register_module()
class PSNetPlagiarismMetric(BaseMetric):
    """Recall@K, HitRate@K and mAP of plagiarism retrieval, overall and per query category.

    Ground truth (``shared/docs/plagiarized-fashion-format.md``), for a query of design ``d``:
    with task ``plagiarized`` "positives are gallery entries with ``design_id == d`` and
    ``relation == "plagiarized"``; gallery entries with ``design_id == d`` and
    ``relation == "identical"`` are ignored (taken out of that query's ranking ...); all else is
    negative"; with task ``identical`` the two relations swap roles. These rules are applied by
    :func:`~ps_net.datasets.pf_format.pf_ground_truth_arrays`, not re-implemented here.

    Metrics, over the queries with at least one positive, as percentages:

    - ``Recall@K``: "the share of that query's positives found in its top K, averaged over
      queries": with ranks ``r_1 < ... < r_n`` of the ``n`` positives, ``|{i: r_i <= K}| / n``.
    - ``HitRate@K``: "1 if at least one positive is in the top K, averaged over queries":
      ``[r_1 <= K]``.
    - ``mAP``: "mean over queries of average precision over the full ranking (ignored entries
      removed)": ``AP = (1 / n) * sum_i i / r_i`` (precision at the rank of each positive, the
      ``IR`` mode of mmpretrain's ``RetrievalAveragePrecision`` without a top-K cut).

    Ranking: ignored entries are removed first, so they neither count as a hit nor push a
    positive down. The remaining entries are sorted by descending score with a *stable* sort,
    so **ties are broken by the gallery index** (the lower gallery position ranks first); see
    :func:`tie_ranks`. NaN scores are refused.

    Skipped queries: "A query with no positive in the gallery is skipped and counted, never
    silently averaged in as zero or one." They are counted in ``num_skipped`` and kept out of
    every average; a mean over no query is NaN (with a warning), never 0 or 100.

    Keys (``<p>`` the prefix, ``<c>`` each query category seen, ``K`` each of ``topk``):
    ``<p>/Recall@K``, ``<p>/HitRate@K``, ``<p>/mAP``, ``<p>/num_queries`` (all queries seen,
    skipped included), ``<p>/num_skipped``, ``<p>/num_evaluated`` (queries averaged over); the
    same under ``<p>/<c>/...`` per category of the query.

    Where the data come from, with mmpretrain's ``ImageToImageRetriever`` (test loop over the
    query dataset, ``prototype=gallery_dataloader``):

    - ``pred_score`` of each data sample: the query's similarity to each gallery entry, indexed
      by gallery position (the retriever fills its prototype by the gallery dataset's
      ``sample_idx``); higher is better.
    - ``design_id`` and ``category`` of the query: data-sample metainfo, from the
      ``PlagiarizedFashionDataset`` ``data_info``; mmpretrain's ``PackInputs`` keeps them only
      when named in ``meta_keys``.
    - the ground truth, from one of two sources:

      1. the gallery (preferred; used whenever set): per gallery position its ``design_id``
         and ``relation``. The retriever does not pass the prototype dataset to the metric, so
         the metric reads them itself from ``gallery_ann_file`` (the same file as the gallery
         dataset; its ``split == 'gallery'`` entries in file order are exactly the positions of
         a ``split='gallery'`` dataset), or takes them from :meth:`set_gallery` /
         :meth:`set_gallery_from_dataset` (a hook or a script). The positives and ignored
         entries of task ``task`` then follow from the query's ``design_id``.
      2. otherwise, each query data sample's own ``gt_label`` (positive positions) and
         ``gt_ignored`` (ignored positions), which ``PlagiarizedFashionDataset`` computes with
         the same function for *its* ``task``: ``PackInputs`` packs ``gt_label`` by default,
         ``gt_ignored`` only with ``algorithm_keys=('gt_ignored', )`` (a sample without it is
         refused: its identical copies would silently count as misses). The dataset's task
         must equal the metric's: it is checked when ``dataset_meta`` holds a ``task``, else
         logged once as unverified.

    Args:
        topk (int | Sequence[int]): The K of Recall@K and HitRate@K. Defaults to (10, 20, 30).
        task (str): ``'plagiarized'`` (default) or ``'identical'``.
        gallery_ann_file (str, optional): The Plagiarized Fashion file of the gallery, read with
            :func:`~ps_net.datasets.pf_format.load_pf` (a full path or URI: no ``data_root`` is
            applied). None: use :meth:`set_gallery`, or the data samples' ``gt_label`` and
            ``gt_ignored``.
        backend_args (dict, optional): ``mmengine.fileio`` backend arguments for
            ``gallery_ann_file``.
        per_category (bool): Also report the metrics per query category (needs ``category`` in
            each data sample). Defaults to True.
        score_key (str): The data-sample field holding the gallery similarities. Defaults to
            ``'pred_score'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``, to collect results across ranks.
        prefix (str, optional): Prefix of the keys; None uses ``'plagiarism'`` for task
            ``plagiarized`` and ``'identical'`` for task ``identical``.

    Examples:
        In a config (the query pipeline must keep ``design_id`` and ``category``; with
        ``gt_ignored`` packed too, ``gallery_ann_file`` may be left out and the samples' ground
        truth is used):

        .. code:: python

            test_pipeline = [
                dict(type='LoadImageFromFile'),
                dict(type='Resize', scale=(224, 224)),
                dict(type='PackInputs', algorithm_keys=('gt_ignored', ),
                     meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape',
                                'design_id', 'category')),
            ]
            test_evaluator = dict(type='PSNetPlagiarismMetric',
                                  gallery_ann_file='data/plagiarized_fashion/'
                                                   'annotations/pf_test.json')

        In code:

        >>> metric = PSNetPlagiarismMetric(topk=1)
        >>> metric.set_gallery([7, 7, 8], ['identical', 'plagiarized', 'plagiarized'])
        >>> metric.process([], [dict(pred_score=np.array([0.9, 0.8, 0.1]), design_id=7,
        ...                          category='dress')])
        >>> result = metric.evaluate(1)
        >>> result['plagiarism/Recall@1'], result['plagiarism/dress/mAP']
        (100.0, 100.0)
    """

    default_prefix: Optional[str] = 'plagiarism'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (10, 20, 30),
                 task: str = 'plagiarized',
                 gallery_ann_file: Optional[str] = None,
                 backend_args: Optional[dict] = None,
                 per_category: bool = True,
                 score_key: str = 'pred_score',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        self.topk = _check_topk(topk)
        if task not in PF_TASKS:
            raise ValueError(f'task must be one of {PF_TASKS!r}, got {task!r}')
        if not isinstance(per_category, bool):
            raise ValueError(f'per_category must be a bool, got {per_category!r}')
        _check_common_args(score_key, gallery_ann_file, prefix)
        self.task = task
        self.per_category = per_category
        self.score_key = score_key
        self.gallery_ann_file = gallery_ann_file
        super().__init__(collect_device=collect_device,
                         prefix=prefix if prefix is not None else _TASK_PREFIX[task])
        self._gallery: Optional[_Gallery] = None
        self._task_note_logged = False
        if gallery_ann_file is not None:
            self._gallery = _gallery_from_ann_file(gallery_ann_file, backend_args)

    # ------------------------------------------------------------------ gallery
    def set_gallery(self, design_ids: Sequence[int], relations: Sequence[str]) -> None:
        """Set the gallery: per gallery position, its ``design_id`` and ``relation``.

        Replaces the gallery read from ``gallery_ann_file``, if any.

        Args:
            design_ids (Sequence[int]): Design id of each gallery entry, in prototype order.
            relations (Sequence[str]): Relation of each gallery entry (``'original'``,
                ``'identical'``, ``'plagiarized'`` or ``'irrelevant'``).

        Raises:
            ValueError: On non-int ids, an unknown relation or different lengths.
        """
        self._gallery = _make_gallery(design_ids, relations)

    def set_gallery_from_dataset(self, dataset: Any) -> None:
        """Set the gallery from the prototype dataset (every entry, in dataset order).

        Args:
            dataset: A dataset whose ``get_data_info(i)`` has ``design_id`` and ``relation``,
                e.g. ``PlagiarizedFashionDataset(split='gallery')``.
        """
        self._gallery = _gallery_from_dataset(dataset)

    @property
    def gallery_size(self) -> Optional[int]:
        """Number of gallery entries, or None when no gallery is set."""
        return None if self._gallery is None else self._gallery.size

    def _sample_ground_truth(self, sample: Any, num_gallery: int,
                             owner: str) -> Tuple[np.ndarray, np.ndarray]:
        """Positives and ignored positions from a data sample (no gallery set)."""
        positives, ignored = _sample_get(sample, 'gt_label'), _sample_get(sample, 'gt_ignored')
        if positives is None:
            raise RuntimeError(f'{owner} has no ground truth: pass gallery_ann_file=..., call '
                               f"set_gallery(), or give each query data sample 'gt_label' and "
                               f"'gt_ignored' (got keys {_sample_keys(sample)})")
        if ignored is None:
            raise ValueError(f"{owner}: the data sample has 'gt_label' but no 'gt_ignored' (add "
                             f"PackInputs(algorithm_keys=('gt_ignored', )), or pass "
                             f'gallery_ann_file=...): without it the ignored entries would '
                             f'count as negatives; got keys {_sample_keys(sample)}')
        positives = _positions(positives, num_gallery, 'gt_label')
        ignored = _positions(ignored, num_gallery, 'gt_ignored')
        both = np.intersect1d(positives, ignored)
        if both.size:
            raise ValueError(f'{owner}: gallery positions {both.tolist()} are both in gt_label '
                             f'and gt_ignored')
        return positives, ignored

    def _check_sample_task(self) -> None:
        """Compare the query dataset's ``task`` (if in ``dataset_meta``) with the metric's."""
        data_task = (self.dataset_meta or {}).get('task')
        if data_task is not None and data_task != self.task:
            raise ValueError(f"{self.__class__.__name__}(task={self.task!r}) reads the data "
                             f"samples' ground truth, built for the dataset's task "
                             f'{data_task!r}: set the same task on both, or pass '
                             f'gallery_ann_file=...')
        if data_task is None and not self._task_note_logged:
            self._task_note_logged = True
            MMLogger.get_current_instance().info(
                f"{self.__class__.__name__}: ground truth from the data samples' gt_label / "
                f'gt_ignored, whose task (the query dataset\'s) cannot be checked against the '
                f'metric task {self.task!r}')

    # ------------------------------------------------------------------ evaluation
    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Score each query of the batch against the gallery and store its per-query results.

        Only a few numbers per query are stored (not the gallery scores), as mmpretrain's
        retrieval metrics do.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples: Model outputs (``DataSample.to_dict()`` dicts or ``DataSample``), each
                with ``score_key`` (``[G]`` similarities), for ``per_category`` the metainfo
                ``category``, and either the metainfo ``design_id`` (gallery set) or
                ``gt_label`` and ``gt_ignored`` (no gallery set).

        Raises:
            RuntimeError: When neither a gallery nor the samples' ``gt_label`` is available.
            ValueError: When a field is missing or the score length is not the gallery size.
        """
        owner = self.__class__.__name__
        categories = [_sample_category(s, owner) if self.per_category else None
                      for s in data_samples]
        gallery = self._gallery
        if gallery is not None:
            design_ids = [_sample_design_id(s, owner) for s in data_samples]
            scores = [_sample_scores(s, self.score_key, gallery.size, owner)
                      for s in data_samples]
            gt = pf_ground_truth_arrays(design_ids, gallery.design_ids, gallery.relations,
                                        self.task)
            truth = list(zip(gt.positives, gt.ignored))
        else:
            if data_samples:
                self._check_sample_task()
            scores = [_sample_scores(s, self.score_key, None, owner) for s in data_samples]
            truth = [self._sample_ground_truth(s, row.size, owner)
                     for s, row in zip(data_samples, scores)]
        for row, (positives, ignored), category in zip(scores, truth, categories):
            self.results.append(_query_record(row, positives, ignored, self.topk, category))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Average the per-query results (skipped queries only counted).

        Args:
            results: The records stored by :meth:`process`, from all ranks.

        Returns:
            dict: The metrics, keys without prefix (see the class docstring).
        """
        known = (self.dataset_meta or {}).get('categories') or ()
        metrics = _summarize(results, self.topk, known)
        logger = MMLogger.get_current_instance()
        if metrics['num_evaluated'] == 0:
            logger.warning(f'{self.__class__.__name__} (task {self.task!r}): none of the '
                           f'{len(results)} queries has a positive in the gallery; every '
                           f'metric is NaN')
        elif metrics['num_skipped']:
            logger.info(f'{self.__class__.__name__} (task {self.task!r}): '
                        f'{metrics["num_skipped"]} of {len(results)} queries have no positive '
                        f'in the gallery and are skipped (counted in num_skipped)')
        return metrics

    @staticmethod
    def calculate(scores: Any,
                  positives: Sequence[Any],
                  ignored: Sequence[Any],
                  topk: Union[int, Sequence[int]] = (10, 20, 30),
                  categories: Optional[Sequence[str]] = None) -> Dict[str, float]:
        """Recall@K, HitRate@K and mAP from a score matrix and per-query ground truth.

        The per-query ``positives`` and ``ignored`` come from
        :func:`~ps_net.datasets.pf_format.pf_ground_truth_arrays` (or a
        :class:`~ps_net.datasets.pf_format.PFGroundTruth`). Ignored entries are removed from the
        query's ranking; the rest are sorted by descending score, ties broken by gallery index
        (lower first). Queries without positives are skipped and counted.

        Args:
            scores (array-like): ``(Q, G)`` similarities (higher = better), no NaN.
            positives (Sequence[array-like]): Per query, int gallery positions of its positives.
            ignored (Sequence[array-like]): Per query, int gallery positions taken out of its
                ranking (must not overlap its positives).
            topk (int | Sequence[int]): The K values. Defaults to (10, 20, 30).
            categories (Sequence[str], optional): Per query, its category: adds
                ``<category>/...`` keys.

        Returns:
            dict: ``Recall@K``, ``HitRate@K``, ``mAP`` (percentages, NaN when no query has a
            positive), ``num_queries``, ``num_skipped``, ``num_evaluated``, and the same under
            ``<category>/`` per category (categories in sorted order).

        Examples:
            Query 0 has positives 1 and 3; entry 0, ranked first, is ignored. The ranking
            without it is 1, 2, 3, 4, so the positives rank 1 and 3: Recall@1 = 1/2,
            HitRate@1 = 1, Recall@3 = HitRate@3 = 1, AP = (1/1 + 2/3) / 2 = 5/6. Query 1 has no
            positive: skipped and counted.

            >>> scores = np.array([[0.9, 0.8, 0.7, 0.6, 0.5],
            ...                    [0.1, 0.2, 0.3, 0.4, 0.5]])
            >>> out = PSNetPlagiarismMetric.calculate(scores, [[1, 3], []], [[0], []],
            ...                                       topk=(1, 3))
            >>> {k: round(v, 2) for k, v in out.items()}  # doctest: +NORMALIZE_WHITESPACE
            {'Recall@1': 50.0, 'Recall@3': 100.0, 'HitRate@1': 100.0, 'HitRate@3': 100.0,
             'mAP': 83.33, 'num_queries': 2, 'num_skipped': 1, 'num_evaluated': 1}
        """
        topk = _check_topk(topk)
        scores = _as_scores(scores, 'scores', 2)
        num_queries, num_gallery = scores.shape
        for name, value in (('positives', positives), ('ignored', ignored),
                            ('categories', categories)):
            if value is not None and len(value) != num_queries:
                raise ValueError(f'{name} must have one item per query ({num_queries}), got '
                                 f'{len(value)}')
        if categories is not None:
            bad = [c for c in categories if not isinstance(c, str)]
            if bad:
                raise ValueError(f'categories must be strings, got {bad[:5]!r}')
        records = []
        for q in range(num_queries):
            pos = _positions(positives[q], num_gallery, f'positives[{q}]')
            ign = _positions(ignored[q], num_gallery, f'ignored[{q}]')
            both = np.intersect1d(pos, ign)
            if both.size:
                raise ValueError(f'query {q}: gallery positions {both.tolist()} are both '
                                 f'positive and ignored')
            records.append(_query_record(scores[q], pos, ign, topk,
                                         None if categories is None else categories[q]))
        return _summarize(records, topk)
