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

Bad inputs (docs/bad_inputs.md): a query whose image could not be used (data-sample metainfo
``bad_input`` with ``action='skipped'``) is counted in ``num_skipped_unreadable`` and kept out of
every average; a gallery entry whose image could not be used (``dataset_meta
['gallery_bad_inputs']``, from ``PSNetGalleryHook``) never ranks, and as a positive it is a
positive never found: it stays in the query's ``n`` positives of Recall@K and AP.

Which gallery entries are positive or ignored for a query is *not* decided here: each query
data sample carries them (``gt_label`` / ``gt_ignored``, computed by
``PlagiarizedFashionDataset`` with :func:`ps_net.datasets.pf_format.pf_ground_truth_arrays`).
The ranking math is :mod:`ps_net.evaluation.functional`. Values are percentages (0-100), as
mmpretrain's ``RetrievalRecall`` and ``RetrievalAveragePrecision`` report them.
"""
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpretrain.registry import METRICS

from ps_net.datasets.pf_format import PF_TASKS
from ..functional.average_precision import average_precision
from ..functional.ranking import check_ground_truth, gallery_positions, positive_ranks
from ..functional.recall import hit_rate_at_k, recall_at_k
from .retrieval_inputs import (as_scores, check_score_key_and_prefix, check_topk, sample_get,
                               sample_keys, sample_scores, to_numpy)

__all__ = ['PSNetPlagiarismMetric']

#: Default prefix of each task's metric names.
_TASK_PREFIX = {'plagiarized': 'plagiarism', 'identical': 'identical'}


# --------------------------------------------------------------------------- inputs
def _sample_category(sample: Any, owner: str) -> str:
    """The query's ``category`` from the data sample metainfo."""
    value = sample_get(sample, 'category')
    if not isinstance(value, str):
        raise ValueError(f"{owner} needs the query's 'category' (a string) in each data sample "
                         f'for per-category results (add it to PackInputs(meta_keys=...), or '
                         f'set per_category=False), got {value!r} among keys '
                         f'{sample_keys(sample)}')
    return value


def _sample_ground_truth(sample: Any, num_gallery: int,
                         owner: str) -> Tuple[np.ndarray, np.ndarray]:
    """Positive (``gt_label``) and ignored (``gt_ignored``) positions of a query data sample."""
    positives, ignored = sample_get(sample, 'gt_label'), sample_get(sample, 'gt_ignored')
    if positives is None:
        raise ValueError(f"{owner} needs the query's 'gt_label' (its positive gallery "
                         f"positions) in each data sample, got keys {sample_keys(sample)}")
    if ignored is None:
        raise ValueError(f"{owner}: the data sample has 'gt_label' but no 'gt_ignored' (add "
                         f"PackInputs(algorithm_keys=('gt_ignored', ))): without it the ignored "
                         f'entries would count as negatives; got keys {sample_keys(sample)}')
    return check_ground_truth(to_numpy(positives), to_numpy(ignored), num_gallery,
                              ('gt_label', 'gt_ignored'))


def missing_gallery_positions(dataset_meta: Optional[Mapping[str, Any]],
                              num_gallery: Optional[int] = None) -> np.ndarray:
    """Gallery positions whose image could not be used (``action='skipped'`` records of
    ``dataset_meta['gallery_bad_inputs']``), sorted unique int64.

    Example:
        >>> meta = dict(gallery_bad_inputs=[dict(split_index=4, action='skipped'),
        ...                                 dict(split_index=1, action='flagged')])
        >>> missing_gallery_positions(meta).tolist()
        [4]
    """
    records = (dataset_meta or {}).get('gallery_bad_inputs') or ()
    positions = sorted({int(r['split_index']) for r in records if r.get('action') == 'skipped'})
    if num_gallery is None:
        return np.asarray(positions, dtype=np.int64)
    return gallery_positions(positions, num_gallery, "dataset_meta['gallery_bad_inputs']")


def query_bad_input(sample: Any) -> Optional[dict]:
    """The ``bad_input`` record of a query data sample (None for a good image)."""
    record = sample_get(sample, 'bad_input')
    return dict(record) if isinstance(record, Mapping) else None


# --------------------------------------------------------------------------- per query
def _query_record(scores: np.ndarray, positives: np.ndarray, ignored: np.ndarray,
                  topk: Tuple[int, ...], category: Optional[str],
                  missing: np.ndarray = np.zeros(0, np.int64)) -> Dict[str, Any]:
    """Recall@K / HitRate@K fractions and AP of one query; ``skipped`` when no positive.

    ``missing`` gallery positions never rank; a missing positive is a positive never found.
    """
    record: Dict[str, Any] = dict(category=category, skipped=positives.size == 0)
    if record['skipped']:
        return record
    ranks = positive_ranks(scores, positives, ignored, missing)
    record['recall'] = recall_at_k(ranks, topk, positives.size)
    record['hit'] = hit_rate_at_k(ranks, topk, positives.size)
    record['ap'] = average_precision(ranks, num_relevant=positives.size)
    return record


def _unreadable_record(category: Optional[str], bad_input: dict) -> Dict[str, Any]:
    """The record of a query whose image could not be used: counted, never averaged."""
    return dict(category=category, skipped=False, unreadable=True, bad_input=bad_input)


def _summarize(records: Sequence[Mapping[str, Any]], topk: Tuple[int, ...],
               known_categories: Sequence[str] = (),
               count_unreadable: bool = False) -> Dict[str, float]:
    """Average per-query records into the metric dict (keys without prefix, percentages);
    ``count_unreadable`` adds ``num_skipped_unreadable`` to every block."""

    def block(group: Sequence[Mapping[str, Any]], head: str) -> Dict[str, float]:
        used = [r for r in group if not r['skipped'] and not r.get('unreadable')]
        out: Dict[str, float] = {}
        for i, k in enumerate(topk):
            out[f'{head}Recall@{k}'] = _mean_percent([r['recall'][i] for r in used])
        for i, k in enumerate(topk):
            out[f'{head}HitRate@{k}'] = _mean_percent([r['hit'][i] for r in used])
        out[f'{head}mAP'] = _mean_percent([r['ap'] for r in used])
        out[f'{head}num_queries'] = len(group)
        out[f'{head}num_skipped'] = sum(bool(r['skipped']) for r in group)
        out[f'{head}num_evaluated'] = len(used)
        if count_unreadable:
            out[f'{head}num_skipped_unreadable'] = sum(bool(r.get('unreadable')) for r in group)
        return out

    metrics = block(records, '')
    categories = [r['category'] for r in records if r['category'] is not None]
    for name in _category_order(categories, known_categories):
        metrics.update(block([r for r in records if r['category'] == name], f'{name}/'))
    return metrics


def _mean_percent(values: Sequence[float]) -> float:
    """Mean of fractions as a percentage; NaN (never 0 or 100) when there is none."""
    return float(np.mean(values) * 100) if len(values) else float('nan')


def _category_order(names: Sequence[str], known: Sequence[str] = ()) -> List[str]:
    """Unique ``names``: those in ``known`` first in that order, then the others sorted."""
    known = [k for k in known if isinstance(k, str)]
    seen = set(names)
    return [k for k in known if k in seen] + sorted(seen - set(known))


def report_bad_inputs(dataset_meta: Optional[Mapping[str, Any]],
                      results: Sequence[Mapping[str, Any]], owner: str) -> List[dict]:
    """The gallery's and the queries' ``bad_input`` records, each logged as one warning line.

    Args:
        dataset_meta (Mapping, optional): With ``gallery_bad_inputs`` (gallery records).
        results (Sequence[Mapping]): Per-query records, a ``bad_input`` key on bad queries.
        owner (str): The metric, for the log lines.

    Returns:
        list[dict]: The gallery records, then the query records in query order.
    """
    gallery = [dict(r) for r in (dataset_meta or {}).get('gallery_bad_inputs') or ()]
    queries = sorted((dict(r['bad_input']) for r in results if r.get('bad_input')),
                     key=lambda r: r.get('split_index', 0))
    records = gallery + queries
    if records:
        logger = MMLogger.get_current_instance()
        skipped = sum(r.get('action') == 'skipped' for r in records)
        logger.warning(f'{owner}: {len(records)} bad input(s), {skipped} skipped (scored as '
                       f'missing items, docs/bad_inputs.md), {len(records) - skipped} flagged:')
        for r in records:
            logger.warning(f"  {r.get('action')} {r.get('split')} {r.get('split_index')} "
                           f"{r.get('img_path')}: {r.get('reason')}")
    return records


# --------------------------------------------------------------------------- the metric
@METRICS.register_module()
class PSNetPlagiarismMetric(BaseMetric):
    """Recall@K, HitRate@K and mAP of plagiarism retrieval, overall and per query category.

    Ground truth (``shared/docs/plagiarized-fashion-format.md``), for a query of design ``d``:
    with task ``plagiarized`` "positives are gallery entries with ``design_id == d`` and
    ``relation == "plagiarized"``; gallery entries with ``design_id == d`` and
    ``relation == "identical"`` are ignored (taken out of that query's ranking ...); all else is
    negative"; with task ``identical`` the two relations swap roles. Each query data sample
    carries them, as mmpretrain's retrieval metrics read an ``InShop`` query's ``gt_label``:
    ``gt_label`` (positive gallery positions) and ``gt_ignored`` (ignored gallery positions),
    which ``PlagiarizedFashionDataset`` computes for *its* ``task``. ``PackInputs`` packs
    ``gt_label`` by default, ``gt_ignored`` only with ``algorithm_keys=('gt_ignored', )`` (a
    sample without it is refused: its identical copies would silently count as misses). The
    dataset's task must equal the metric's: it is checked when ``dataset_meta`` holds a
    ``task``, else logged once as unverified.

    Metrics, over the queries with at least one positive, as percentages, with ranks
    ``r_1 < ... < r_n`` of the ``n`` positives (:func:`~ps_net.evaluation.functional.recall`):

    - ``Recall@K``: ``|{i: r_i <= K}| / n``.
    - ``HitRate@K``: ``[r_1 <= K]`` (mmpretrain's ``RetrievalRecall``).
    - ``mAP``: the mean of ``AP = (1 / n) * sum_i i / r_i`` over the full ranking (the ``IR``
      mode of mmpretrain's ``RetrievalAveragePrecision`` without a top-K cut).

    Ranking (:func:`~ps_net.evaluation.functional.positive_ranks`): ignored entries are removed
    first, so they neither count as a hit nor push a positive down. The remaining entries are
    sorted by descending score with a *stable* sort, so **ties are broken by the gallery index**
    (the lower gallery position ranks first). NaN scores are refused.

    Skipped queries are counted in ``num_skipped`` and kept out of every average; a mean over
    no query is NaN (with a warning), never 0 or 100.

    Bad inputs (docs/bad_inputs.md): a query data sample with the metainfo ``bad_input`` of
    ``action='skipped'`` (its image could not be used) is counted in ``num_skipped_unreadable``
    and kept out of every average. The gallery positions in ``dataset_meta
    ['gallery_bad_inputs']`` with ``action='skipped'`` (set by ``PSNetGalleryHook``) never rank;
    a positive among them counts as a positive never found (in the ``n`` of Recall@K and AP, no
    hit). Every bad input, flagged ones included, is logged after the run and listed in
    :attr:`bad_inputs`.

    Keys (``<p>`` the prefix, ``<c>`` each query category seen, ``K`` each of ``topk``):
    ``<p>/Recall@K``, ``<p>/HitRate@K``, ``<p>/mAP``, ``<p>/num_queries`` (all queries seen,
    skipped included), ``<p>/num_skipped`` (no positive), ``<p>/num_evaluated`` (queries
    averaged over); the same under ``<p>/<c>/...`` per category of the query. When a query or a
    gallery entry was skipped for a bad input, also ``<p>/num_skipped_unreadable`` (overall and
    per category) and ``<p>/num_gallery_unreadable``.

    Each data sample's ``pred_score`` (``score_key``) is the query's similarity to each gallery
    entry, indexed by gallery position (mmpretrain's ``ImageToImageRetriever`` fills its
    prototype by the gallery dataset's ``sample_idx``); higher is better. The query's
    ``category`` is data-sample metainfo (``PackInputs(meta_keys=...)``).

    Args:
        topk (int | Sequence[int]): The K of Recall@K and HitRate@K. Defaults to (10, 20, 30).
        task (str): ``'plagiarized'`` (default) or ``'identical'``.
        per_category (bool): Also report the metrics per query category (needs ``category`` in
            each data sample). Defaults to True.
        score_key (str): The data-sample field holding the gallery similarities. Defaults to
            ``'pred_score'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``, to collect results across ranks.
        prefix (str, optional): Prefix of the keys; None uses ``'plagiarism'`` for task
            ``plagiarized`` and ``'identical'`` for task ``identical``.

    Attributes:
        bad_inputs (list[dict]): After :meth:`compute_metrics`, the ``bad_input`` records of
            the gallery, then of the queries (``split``, ``split_index``, ``pf_index``,
            ``img_path``, ``reason``, ``action``).

    Examples:
        In a config, the query pipeline packs ``gt_ignored`` and keeps ``category``:

        .. code:: python

            test_pipeline = [
                dict(type='LoadImageFromFile'),
                dict(type='Resize', scale=(224, 224)),
                dict(type='PackInputs', algorithm_keys=('gt_ignored', ),
                     meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape',
                                'category')),
            ]
            test_evaluator = dict(type='PSNetPlagiarismMetric', topk=(1, 10, 20))

        In code:

        >>> metric = PSNetPlagiarismMetric(topk=1)
        >>> metric.process([], [dict(pred_score=np.array([0.9, 0.8, 0.1]), gt_label=[1],
        ...                          gt_ignored=[0], category='dress')])
        >>> result = metric.evaluate(1)
        >>> result['plagiarism/Recall@1'], result['plagiarism/dress/mAP']
        (100.0, 100.0)
    """

    default_prefix: Optional[str] = 'plagiarism'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (10, 20, 30),
                 task: str = 'plagiarized',
                 per_category: bool = True,
                 score_key: str = 'pred_score',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        self.topk = check_topk(topk)
        if task not in PF_TASKS:
            raise ValueError(f'task must be one of {PF_TASKS!r}, got {task!r}')
        if not isinstance(per_category, bool):
            raise ValueError(f'per_category must be a bool, got {per_category!r}')
        check_score_key_and_prefix(score_key, prefix)
        self.task = task
        self.per_category = per_category
        self.score_key = score_key
        super().__init__(collect_device=collect_device,
                         prefix=prefix if prefix is not None else _TASK_PREFIX[task])
        self._task_note_logged = False
        self.bad_inputs: List[dict] = []

    def _check_sample_task(self) -> None:
        """Compare the query dataset's ``task`` (if in ``dataset_meta``) with the metric's."""
        data_task = (self.dataset_meta or {}).get('task')
        if data_task is not None and data_task != self.task:
            raise ValueError(f"{self.__class__.__name__}(task={self.task!r}) reads the data "
                             f"samples' ground truth, built for the dataset's task "
                             f'{data_task!r}: set the same task on both')
        if data_task is None and not self._task_note_logged:
            self._task_note_logged = True
            MMLogger.get_current_instance().info(
                f"{self.__class__.__name__}: ground truth from the data samples' gt_label / "
                f'gt_ignored, whose task (the query dataset\'s) cannot be checked against the '
                f'metric task {self.task!r}')

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Rank the gallery for each query of the batch and store its per-query results.

        Only a few numbers per query are stored (not the gallery scores), as mmpretrain's
        retrieval metrics do.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples: Model outputs (``DataSample.to_dict()`` dicts or ``DataSample``), each
                with ``score_key`` (``[G]`` similarities), ``gt_label`` and ``gt_ignored``, and
                for ``per_category`` the metainfo ``category``.

        Raises:
            ValueError: When a field is missing or a gallery position is out of range.
        """
        owner = self.__class__.__name__
        if data_samples:
            self._check_sample_task()
        missing = missing_gallery_positions(self.dataset_meta)
        for sample in data_samples:
            category = _sample_category(sample, owner) if self.per_category else None
            bad_input = query_bad_input(sample)
            if bad_input is not None and bad_input.get('action') == 'skipped':
                self.results.append(_unreadable_record(category, bad_input))
                continue
            scores = sample_scores(sample, self.score_key, None, owner)
            positives, ignored = _sample_ground_truth(sample, scores.size, owner)
            gallery_positions(missing, scores.size, "dataset_meta['gallery_bad_inputs']")
            record = _query_record(scores, positives, ignored, self.topk, category, missing)
            if bad_input is not None:
                record['bad_input'] = bad_input
            self.results.append(record)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Average the per-query results (skipped queries only counted).

        Args:
            results: The records stored by :meth:`process`, from all ranks.

        Returns:
            dict: The metrics, keys without prefix (see the class docstring).
        """
        known = (self.dataset_meta or {}).get('categories') or ()
        missing = missing_gallery_positions(self.dataset_meta)
        unreadable = sum(bool(r.get('unreadable')) for r in results)
        count_unreadable = bool(unreadable or missing.size)
        metrics = _summarize(results, self.topk, known, count_unreadable)
        if count_unreadable:
            metrics['num_gallery_unreadable'] = int(missing.size)
        self.bad_inputs = report_bad_inputs(self.dataset_meta, results, self.__class__.__name__)
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
                  categories: Optional[Sequence[str]] = None,
                  missing_gallery: Optional[Sequence[int]] = None,
                  unreadable_queries: Optional[Sequence[int]] = None) -> Dict[str, float]:
        """Recall@K, HitRate@K and mAP from a score matrix and per-query ground truth.

        The per-query ``positives`` and ``ignored`` are gallery positions, e.g. those of a
        ``PFGroundTruth`` (:func:`ps_net.datasets.pf_format.pf_ground_truth_arrays`). Ignored
        entries are removed from the query's ranking; the rest are sorted by descending score,
        ties broken by gallery index (lower first). Queries without positives are skipped and
        counted.

        Args:
            scores (array-like): ``(Q, G)`` similarities (higher = better), no NaN.
            positives (Sequence[array-like]): Per query, int gallery positions of its positives.
            ignored (Sequence[array-like]): Per query, int gallery positions taken out of its
                ranking (must not overlap its positives).
            topk (int | Sequence[int]): The K values. Defaults to (10, 20, 30).
            categories (Sequence[str], optional): Per query, its category: adds
                ``<category>/...`` keys.
            missing_gallery (Sequence[int], optional): Gallery positions whose image could not
                be used: they never rank, and a missing positive is never found (the
                missing-item rule, docs/bad_inputs.md).
            unreadable_queries (Sequence[int], optional): Query indices whose image could not
                be used: counted in ``num_skipped_unreadable``, not averaged in.

        Returns:
            dict: ``Recall@K``, ``HitRate@K``, ``mAP`` (percentages, NaN when no query has a
            positive), ``num_queries``, ``num_skipped``, ``num_evaluated``, and the same under
            ``<category>/`` per category (categories in sorted order); with ``missing_gallery``
            or ``unreadable_queries``, also ``num_skipped_unreadable`` (every block) and
            ``num_gallery_unreadable``.

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

            The image of gallery entry 1 could not be read: it never ranks, and as a positive
            of query 0 it is never found. The positive 3 then ranks 2 (after entry 2):
            Recall@3 = 1/2, AP = (1/2) / 2.

            >>> out = PSNetPlagiarismMetric.calculate(scores, [[1, 3], []], [[0], []],
            ...                                       topk=(3, ), missing_gallery=[1])
            >>> out['Recall@3'], out['mAP'], out['num_gallery_unreadable']
            (50.0, 25.0, 1)
        """
        topk = check_topk(topk)
        scores = as_scores(scores, 'scores', 2)
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
        missing = gallery_positions(missing_gallery, num_gallery, 'missing_gallery')
        unreadable = set(gallery_positions(unreadable_queries, num_queries,
                                           'unreadable_queries').tolist())
        records = []
        for q in range(num_queries):
            category = None if categories is None else categories[q]
            if q in unreadable:
                records.append(_unreadable_record(category, dict(split='query', split_index=q)))
                continue
            pos, ign = check_ground_truth(*(to_numpy([] if v is None else v)
                                            for v in (positives[q], ignored[q])),
                                          num_gallery, (f'positives[{q}]', f'ignored[{q}]'))
            records.append(_query_record(scores[q], pos, ign, topk, category, missing))
        count_unreadable = missing_gallery is not None or unreadable_queries is not None
        metrics = _summarize(records, topk, count_unreadable=count_unreadable)
        if count_unreadable:
            metrics['num_gallery_unreadable'] = int(missing.size)
        return metrics
