"""Top-K precision and its "mAP" as the CBAM clothing-retrieval paper (2022) defines them.

The paper (``shared/papers/cbam-clothing-retrieval-2022.md``, section 4.2) ranks the gallery by
the Euclidean distance of the features (eq. 4) and reports, for K = 5, 10, 20:

- eq. 5, top-K precision: ``P_k = N_r / k``, "``N_r`` the number of similar images retrieved,
  ``k`` the number of retrieved images";
- eq. 6 and 7: ``AP(X_q) = (1 / N_r) * sum_{k=1}^{N_r} P_k`` and
  ``mAP = (1 / M) * sum_{q=1}^{M} AP(X_q)``, ``M`` the number of queries.

Eq. 6 read literally averages the precisions at the first ``N_r`` *cut-offs*, whatever the ranks
of the relevant images, so it is not average precision (a ranking with its only relevant image
at rank 2 of 2 scores ``P_1 = 0``), and it is 0/0 for a query with no relevant image in its
top K. This module therefore reports both:

- ``mAP@K``: average precision truncated at K, ``AP@K = (1 / N_r) * sum_{i=1}^{N_r} i / r_i``
  over the ranks ``r_1 < ... < r_{N_r} <= K`` of the relevant images in the top K: the precision
  at each relevant image, averaged with the paper's own normaliser ``N_r`` (relevant images
  *retrieved*, as in the "mAP@K" of hashing papers); 0 when ``N_r = 0`` (nothing relevant
  retrieved). Unlike mmpretrain's ``RetrievalAveragePrecision``, it does not divide by all the
  relevant images of the gallery.
- ``eq6_mAP@K``: eq. 6 literally, averaged over the queries where it is defined
  (``N_r >= 1``); ``eq6_num_undefined@K`` counts the others.

Values are percentages (0-100), as in the paper's tables.
"""
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

from ps_net.datasets.pf_format import PF_RELATIONS, load_pf, pf_split_entries
from .plagiarism import (_as_scores, _check_common_args, _check_topk, _is_int, _sample_get,
                         _sample_keys, _sample_scores, _to_numpy, tie_ranks)

__all__ = ['PSNetPrecisionAtK']

_RELEVANCES = ('design', 'category')
_RANKINGS = ('distance', 'similarity')
#: The data-sample / gallery field compared for each relevance.
_RELEVANCE_FIELD = {'design': 'design_id', 'category': 'category'}


def _query_record(order_key: np.ndarray, relevant: np.ndarray,
                  topk: Sequence[int]) -> Dict[str, np.ndarray]:
    """P@K, AP@K and literal eq. 6 of one query (fractions; eq. 6 NaN when ``N_r = 0``)."""
    ranks = tie_ranks(order_key, np.flatnonzero(relevant))
    ks = np.asarray(topk, dtype=np.int64)
    n_r = (ranks[None, :] <= ks[:, None]).sum(axis=1)  # N_r per K
    prec_at_rank = np.arange(1, ranks.size + 1) / np.maximum(ranks, 1)  # i / r_i
    ap = np.array([prec_at_rank[:n].sum() / n if n else 0.0 for n in n_r])
    eq6 = np.array([_literal_eq6(ranks, int(n)) for n in n_r])
    return dict(precision=n_r / ks, ap=ap, eq6=eq6, num_relevant=int(ranks.size))


def _literal_eq6(ranks: np.ndarray, n_r: int) -> float:
    """``(1 / N_r) * sum_{k=1}^{N_r} P_k`` with ``P_k = |{i: r_i <= k}| / k``; NaN if N_r = 0."""
    if n_r == 0:
        return float('nan')
    cutoffs = np.arange(1, n_r + 1)
    hits = np.searchsorted(ranks, cutoffs, side='right')  # relevant images in the top k
    return float(np.mean(hits / cutoffs))


def _summarize(records: Sequence[Dict[str, Any]], topk: Sequence[int]) -> Dict[str, float]:
    """Average per-query records (percentages); see :meth:`PSNetPrecisionAtK.calculate`."""
    metrics: Dict[str, float] = {}
    n = len(records)
    stack = {key: np.array([r[key] for r in records]).reshape(n, len(topk))
             for key in ('precision', 'ap', 'eq6')}
    for i, k in enumerate(topk):
        metrics[f'P@{k}'] = float(stack['precision'][:, i].mean() * 100) if n else float('nan')
    for i, k in enumerate(topk):
        metrics[f'mAP@{k}'] = float(stack['ap'][:, i].mean() * 100) if n else float('nan')
    for i, k in enumerate(topk):
        defined = stack['eq6'][:, i][~np.isnan(stack['eq6'][:, i])]
        metrics[f'eq6_mAP@{k}'] = float(defined.mean() * 100) if defined.size else float('nan')
        metrics[f'eq6_num_undefined@{k}'] = int(n - defined.size)
    metrics['num_queries'] = n
    metrics['num_without_relevant'] = int(sum(r['num_relevant'] == 0 for r in records))
    return metrics


def _check_choice(value: Any, choices: Sequence[str], name: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f'{name} must be one of {tuple(choices)!r}, got {value!r}')
    return value


def _order_key(scores: np.ndarray, ranking: str) -> np.ndarray:
    """Sort key, smaller first: distances as they are, similarities negated."""
    return scores if ranking == 'distance' else -scores


def _gallery_labels(values: Sequence[Any], name: str, kind: str) -> np.ndarray:
    """Gallery ``design_id`` (ints) or ``category`` (strings) values as an array."""
    values = list(_to_numpy(values).reshape(-1)) if kind == 'int' else list(values)
    check = _is_int if kind == 'int' else (lambda v: isinstance(v, str))
    bad = [v for v in values if not check(v)]
    if bad:
        raise ValueError(f'gallery {name} must be {"ints" if kind == "int" else "strings"}, '
                         f'got {bad[:5]!r}')
    return np.array(values, dtype=np.int64 if kind == 'int' else object)


@METRICS.register_module()
class PSNetPrecisionAtK(BaseMetric):
    """The CBAM clothing-retrieval paper's top-K precision ``P@K`` and its "mAP", literally.

    Definitions (section 4.2 of the paper), with ``N_r`` the number of relevant ("similar")
    gallery images among the top K:

    - ``P@K = N_r / K`` (eq. 5): the denominator is K even when the gallery is smaller than K.
    - ``mAP@K`` (eq. 6/7, as implemented): the mean over queries of
      ``AP@K = (1 / N_r) * sum_{i=1}^{N_r} i / r_i``, ``r_i`` the rank of the i-th relevant
      image in the top K; 0 when ``N_r = 0``. **Deviation**: eq. 6 literally reads
      ``(1 / N_r) * sum_{k=1}^{N_r} P_k`` (precision at the first ``N_r`` cut-offs), which is
      not average precision and is 0/0 for ``N_r = 0``; it is reported as ``eq6_mAP@K``,
      averaged over the queries where it is defined, with ``eq6_num_undefined@K`` counting the
      others.
    - ``M`` in eq. 7 is every query: a query with no relevant gallery image scores 0 in
      ``P@K`` and ``mAP@K`` (counted in ``num_without_relevant``), as the paper averages over
      all queries.

    Relevance (``relevance``):

    - ``'design'`` (default): same ``design_id`` as the query (DeepFashion in-shop item
      retrieval, the paper's setting). When the gallery's Plagiarized Fashion ``relation`` is
      known, an ``'irrelevant'`` entry is never relevant: the format gives a hard negative the
      id of the design it was judged against.
    - ``'category'``: same ``category`` as the query.

    Ranking (``ranking``): ``'distance'`` sorts by ascending score (the paper's Euclidean
    distance, eq. 4, see :meth:`euclidean_distances`), ``'similarity'`` by descending score.
    mmpretrain's ``ImageToImageRetriever`` puts similarities in ``pred_score`` (cosine by
    default), hence the default ``'similarity'``; on L2-normalised features the cosine ranking
    equals the Euclidean one (``d^2 = 2 - 2 cos``). Ties: stable sort, so equal scores keep the
    gallery order (lower gallery index first). NaN scores are refused. No entry is removed from
    the ranking: a query that is also in the gallery counts itself.

    Keys (``<p>`` the prefix): ``<p>/P@K``, ``<p>/mAP@K``, ``<p>/eq6_mAP@K``,
    ``<p>/eq6_num_undefined@K`` per K, ``<p>/num_queries``, ``<p>/num_without_relevant``.

    The gallery labels reach the metric as for
    :class:`~ps_net.evaluation.metrics.plagiarism.PSNetPlagiarismMetric`: from
    ``gallery_ann_file`` (a Plagiarized Fashion file, its ``split == 'gallery'`` entries in file
    order) or from :meth:`set_gallery` / :meth:`set_gallery_from_dataset`. The query's
    ``design_id`` or ``category`` comes from the data-sample metainfo (``PackInputs``
    ``meta_keys``).

    Args:
        topk (int | Sequence[int]): The K values. Defaults to (5, 10, 20), the paper's.
        relevance (str): ``'design'`` (default) or ``'category'``.
        ranking (str): ``'similarity'`` (default, higher score first) or ``'distance'``
            (lower score first).
        gallery_ann_file (str, optional): Plagiarized Fashion file of the gallery (full path or
            URI). None: call :meth:`set_gallery` before evaluating.
        backend_args (dict, optional): ``mmengine.fileio`` backend arguments.
        score_key (str): The data-sample field with the ``[G]`` scores. Defaults to
            ``'pred_score'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the keys. Defaults to ``'cbam'``.

    Examples:
        >>> metric = PSNetPrecisionAtK(topk=(1, 2))
        >>> metric.set_gallery(design_ids=[3, 4, 3])
        >>> metric.process([], [dict(pred_score=np.array([0.2, 0.9, 0.5]), design_id=3)])
        >>> result = metric.evaluate(1)
        >>> result['cbam/P@1'], result['cbam/P@2'], result['cbam/mAP@2']
        (0.0, 50.0, 50.0)
    """

    default_prefix: Optional[str] = 'cbam'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (5, 10, 20),
                 relevance: str = 'design',
                 ranking: str = 'similarity',
                 gallery_ann_file: Optional[str] = None,
                 backend_args: Optional[dict] = None,
                 score_key: str = 'pred_score',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        self.topk = _check_topk(topk)
        self.relevance = _check_choice(relevance, _RELEVANCES, 'relevance')
        self.ranking = _check_choice(ranking, _RANKINGS, 'ranking')
        _check_common_args(score_key, gallery_ann_file, prefix)
        self.score_key = score_key
        self.gallery_ann_file = gallery_ann_file
        super().__init__(collect_device=collect_device, prefix=prefix)
        self._gallery_labels: Optional[np.ndarray] = None
        self._gallery_mask: Optional[np.ndarray] = None
        if gallery_ann_file is not None:
            _, gallery = pf_split_entries(load_pf(gallery_ann_file, backend_args))
            if not gallery:
                raise ValueError(f"{gallery_ann_file} has no 'gallery' entry: nothing to "
                                 f'retrieve')
            self.set_gallery(design_ids=[e['design_id'] for e in gallery],
                             categories=[e['category'] for e in gallery],
                             relations=[e['relation'] for e in gallery])

    # ------------------------------------------------------------------ gallery
    def set_gallery(self,
                    design_ids: Optional[Sequence[int]] = None,
                    categories: Optional[Sequence[str]] = None,
                    relations: Optional[Sequence[str]] = None) -> None:
        """Set the gallery labels, per gallery position (the retriever's prototype order).

        Args:
            design_ids (Sequence[int], optional): Needed for ``relevance='design'``.
            categories (Sequence[str], optional): Needed for ``relevance='category'``.
            relations (Sequence[str], optional): Plagiarized Fashion relations; with
                ``relevance='design'``, ``'irrelevant'`` entries are never relevant.

        Raises:
            ValueError: When the labels the relevance needs are missing, of the wrong type,
                or of different lengths.
        """
        given = dict(design_ids=design_ids, categories=categories, relations=relations)
        needed = 'design_ids' if self.relevance == 'design' else 'categories'
        if given[needed] is None:
            raise ValueError(f'relevance={self.relevance!r} needs the gallery {needed}, got '
                             f'None')
        lengths = {k: len(v) for k, v in given.items() if v is not None}
        if len(set(lengths.values())) > 1:
            raise ValueError(f'gallery labels differ in length: {lengths}')
        if lengths[needed] == 0:
            raise ValueError('the gallery is empty: nothing to retrieve')
        labels = (_gallery_labels(design_ids, 'design_ids', 'int') if needed == 'design_ids'
                  else _gallery_labels(categories, 'categories', 'str'))
        mask = np.ones(labels.size, dtype=bool)
        if relations is not None:
            bad = sorted({repr(r) for r in relations if r not in PF_RELATIONS})
            if bad:
                raise ValueError(f'gallery relations must be among {PF_RELATIONS!r}, got '
                                 f'{", ".join(bad)}')
            if self.relevance == 'design':
                mask = np.array([r != 'irrelevant' for r in relations], dtype=bool)
        self._gallery_labels, self._gallery_mask = labels, mask

    def set_gallery_from_dataset(self, dataset: Any) -> None:
        """Set the gallery from the prototype dataset: entry ``i`` is gallery position ``i``.

        Args:
            dataset: A dataset whose ``get_data_info(i)`` holds ``design_id`` (or ``category``)
                and, optionally, ``relation``.
        """
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        field = _RELEVANCE_FIELD[self.relevance]
        missing = [i for i, info in enumerate(infos) if field not in info]
        if missing:
            raise ValueError(f'relevance={self.relevance!r} needs {field!r} in every gallery '
                             f'entry, missing at indices {missing[:5]}')
        relations = [info.get('relation') for info in infos]
        labels = [info[field] for info in infos]
        self.set_gallery(**{'design_ids' if field == 'design_id' else 'categories': labels},
                         relations=relations if all(r is not None for r in relations) else None)

    # ------------------------------------------------------------------ evaluation
    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Store P@K, AP@K and eq. 6 of each query of the batch.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples: Model outputs (dicts or ``DataSample``) with ``score_key`` (``[G]``)
                and the query's ``design_id`` (or ``category``) in the metainfo.

        Raises:
            RuntimeError: When no gallery is set.
            ValueError: When a field is missing or the score length is not the gallery size.
        """
        if self._gallery_labels is None:
            raise RuntimeError(f'{self.__class__.__name__} has no gallery: pass '
                               f'gallery_ann_file=... or call set_gallery() before evaluating')
        owner = self.__class__.__name__
        field = _RELEVANCE_FIELD[self.relevance]
        for sample in data_samples:
            label = _sample_get(sample, field)
            if label is None:
                raise ValueError(f"{owner} needs the query's {field!r} in each data sample (add "
                                 f'it to PackInputs(meta_keys=...)), got keys '
                                 f'{_sample_keys(sample)}')
            if field == 'design_id':
                array = _to_numpy(label).reshape(-1)
                if array.size != 1 or not _is_int(array[0]):
                    raise ValueError(f'{owner}: design_id must be one int, got {label!r}')
                label = int(array[0])
            elif not isinstance(label, str):
                raise ValueError(f'{owner}: category must be a string, got {label!r}')
            scores = _sample_scores(sample, self.score_key, self._gallery_labels.size, owner)
            relevant = (self._gallery_labels == label) & self._gallery_mask
            self.results.append(
                _query_record(_order_key(scores, self.ranking), relevant, self.topk))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Average the per-query results over all queries (eq. 7).

        Args:
            results: The records stored by :meth:`process`, from all ranks.

        Returns:
            dict: The metrics, keys without prefix (see the class docstring).
        """
        return _summarize(results, self.topk)

    @staticmethod
    def euclidean_distances(query_feats: Any, gallery_feats: Any) -> np.ndarray:
        """The paper's eq. 4, ``dist(a, b) = sqrt(sum_i (x_i - y_i)^2)``, for all pairs.

        Args:
            query_feats (array-like): ``(Q, D)`` features.
            gallery_feats (array-like): ``(G, D)`` features.

        Returns:
            np.ndarray: ``(Q, G)`` float64 distances.

        Examples:
            >>> PSNetPrecisionAtK.euclidean_distances([[0., 0.]], [[3., 4.], [0., 1.]])
            array([[5., 1.]])
        """
        q = _as_scores(query_feats, 'query_feats', 2)
        g = _as_scores(gallery_feats, 'gallery_feats', 2)
        if q.shape[1] != g.shape[1]:
            raise ValueError(f'query_feats and gallery_feats differ in dimension: {q.shape[1]} '
                             f'!= {g.shape[1]}')
        return np.sqrt(((q[:, None, :] - g[None, :, :])**2).sum(axis=-1))

    @staticmethod
    def calculate(scores: Any,
                  query_labels: Sequence[Any],
                  gallery_labels: Sequence[Any],
                  topk: Union[int, Sequence[int]] = (5, 10, 20),
                  ranking: str = 'similarity',
                  gallery_mask: Optional[Any] = None) -> Dict[str, float]:
        """P@K (eq. 5), AP@K-based ``mAP@K`` and the literal eq. 6 ``eq6_mAP@K``.

        A gallery entry ``j`` is relevant to query ``q`` when
        ``gallery_labels[j] == query_labels[q]`` (and ``gallery_mask[j]``, if given). The
        ranking sorts by ascending score (``'distance'``) or descending score
        (``'similarity'``); ties keep the gallery order.

        Args:
            scores (array-like): ``(Q, G)`` distances or similarities, no NaN.
            query_labels (Sequence): Per query, its label (design id or category).
            gallery_labels (Sequence): Per gallery entry, its label.
            topk (int | Sequence[int]): The K values. Defaults to (5, 10, 20).
            ranking (str): ``'similarity'`` (default) or ``'distance'``.
            gallery_mask (array-like, optional): ``[G]`` bool, False for entries that are never
                relevant (e.g. Plagiarized Fashion ``'irrelevant'`` hard negatives).

        Returns:
            dict: ``P@K``, ``mAP@K``, ``eq6_mAP@K`` (percentages, over all queries; eq. 6 over
            the queries where ``N_r >= 1``), ``eq6_num_undefined@K``, ``num_queries``,
            ``num_without_relevant``.

        Examples:
            Query ``'a'`` (distances, lower first): its relevant images rank 2 and 4. With
            K = 2: N_r = 1, P@2 = 1/2, AP@2 = (1/2) / 1 = 1/2, literal eq. 6 = P_1 = 0. With
            K = 4: N_r = 2, P@4 = 2/4, AP@4 = (1/2 + 2/4) / 2 = 1/2, literal eq. 6 =
            (P_1 + P_2) / 2 = (0 + 1/2) / 2 = 1/4. Query ``'c'`` has no relevant image: 0 in P@K
            and AP@K, eq. 6 undefined.

            >>> dist = np.array([[0.1, 0.2, 0.3, 0.4],
            ...                  [0.1, 0.2, 0.3, 0.4]])
            >>> out = PSNetPrecisionAtK.calculate(dist, ['a', 'c'], ['b', 'a', 'b', 'a'],
            ...                                   topk=(2, 4), ranking='distance')
            >>> out  # doctest: +NORMALIZE_WHITESPACE
            {'P@2': 25.0, 'P@4': 25.0, 'mAP@2': 25.0, 'mAP@4': 25.0,
             'eq6_mAP@2': 0.0, 'eq6_num_undefined@2': 1, 'eq6_mAP@4': 25.0,
             'eq6_num_undefined@4': 1, 'num_queries': 2, 'num_without_relevant': 1}
        """
        topk = _check_topk(topk)
        ranking = _check_choice(ranking, _RANKINGS, 'ranking')
        scores = _as_scores(scores, 'scores', 2)
        num_queries, num_gallery = scores.shape
        if len(query_labels) != num_queries:
            raise ValueError(f'query_labels must have one label per query ({num_queries}), got '
                             f'{len(query_labels)}')
        if len(gallery_labels) != num_gallery:
            raise ValueError(f'gallery_labels must have one label per gallery entry '
                             f'({num_gallery}), got {len(gallery_labels)}')
        gallery = np.empty(num_gallery, dtype=object)
        gallery[:] = list(gallery_labels)
        if gallery_mask is None:
            mask = np.ones(num_gallery, dtype=bool)
        else:
            mask = _to_numpy(gallery_mask)
            if mask.dtype != np.bool_ or mask.shape != (num_gallery, ):
                raise ValueError(f'gallery_mask must be a bool array of shape ({num_gallery},), '
                                 f'got {gallery_mask!r}')
        records = []
        for q in range(num_queries):
            relevant = np.array([g == query_labels[q] for g in gallery], dtype=bool) & mask
            records.append(_query_record(_order_key(scores[q], ranking), relevant, topk))
        return _summarize(records, topk)
