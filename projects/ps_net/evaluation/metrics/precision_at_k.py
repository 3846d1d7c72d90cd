"""Top-K precision and its "mAP" as the CBAM clothing-retrieval paper (2022) defines them.

The paper (``shared/papers/cbam-clothing-retrieval-2022.md``, section 4.2) ranks the gallery by
the Euclidean distance of the features (eq. 4) and reports P@K and mAP for K = 5, 10, 20; see
:class:`PSNetPrecisionAtK` for the definitions and where the literal eq. 6 is not average
precision. Values are percentages (0-100), as in the paper's tables.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

from ps_net.datasets.pf_format import load_pf, pf_split_entries
from ..functional.average_precision import average_precision
from ..functional.ranking import tie_ranks
from ..functional.recall import retrieved_at_k
from .plagiarism import missing_gallery_positions, query_bad_input, report_bad_inputs
from .retrieval_inputs import (as_scores, check_score_key_and_prefix, check_topk, is_int,
                               sample_get, sample_keys, sample_scores, to_numpy)

__all__ = ['PSNetPrecisionAtK']

_RELEVANCES = ('design', 'category')
_RANKINGS = ('distance', 'similarity')
#: The data-sample / gallery field compared for each relevance.
_RELEVANCE_FIELD = {'design': 'design_id', 'category': 'category'}


def _query_record(order_key: np.ndarray, relevant: np.ndarray,
                  topk: Sequence[int], keep: Optional[np.ndarray] = None) -> Dict[str, Any]:
    """P@K, AP@K and literal eq. 6 of one query (fractions; eq. 6 NaN when ``N_r = 0``);
    entries outside ``keep`` (missing gallery images) never rank nor count as relevant."""
    if keep is not None:
        relevant = relevant & keep
    ranks = tie_ranks(order_key, np.flatnonzero(relevant), keep)
    n_r = retrieved_at_k(ranks, topk)  # N_r per K
    ap = np.array([average_precision(ranks, k) for k in topk])
    eq6 = np.array([_literal_eq6(ranks, int(n)) for n in n_r])
    return dict(precision=n_r / np.asarray(topk, dtype=np.int64), ap=ap, eq6=eq6,
                num_relevant=int(ranks.size))


def _literal_eq6(ranks: np.ndarray, n_r: int) -> float:
    """Eq. 6 as written, ``(1 / N_r) * sum_{k=1}^{N_r} P_k`` with ``P_k`` the precision at
    cut-off ``k`` (``|{i: r_i <= k}| / k``); NaN when ``N_r = 0``."""
    if n_r == 0:
        return float('nan')
    cutoffs = np.arange(1, n_r + 1)
    hits = np.searchsorted(ranks, cutoffs, side='right')  # relevant images in the top k
    return float(np.mean(hits / cutoffs))


def _summarize(records: Sequence[Dict[str, Any]], topk: Sequence[int],
               count_unreadable: bool = False) -> Dict[str, float]:
    """Average per-query records (percentages); see :meth:`PSNetPrecisionAtK.calculate`.
    Records of unreadable queries are only counted (``num_skipped_unreadable``)."""
    metrics: Dict[str, float] = {}
    unreadable = sum(bool(r.get('unreadable')) for r in records)
    records = [r for r in records if not r.get('unreadable')]
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
    metrics['num_queries'] = n + unreadable
    metrics['num_without_relevant'] = int(sum(r['num_relevant'] == 0 for r in records))
    if count_unreadable:
        metrics['num_skipped_unreadable'] = unreadable
    return metrics


def _check_choice(value: Any, choices: Sequence[str], name: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f'{name} must be one of {tuple(choices)!r}, got {value!r}')
    return value


def _order_key(scores: np.ndarray, ranking: str) -> np.ndarray:
    """Sort key, smaller first: distances as they are, similarities negated."""
    return scores if ranking == 'distance' else -scores


def _gallery_from_ann_file(ann_file: str, relevance: str,
                           backend_args: Optional[dict]) -> Tuple[np.ndarray, np.ndarray]:
    """Labels and relevance mask of the ``split == 'gallery'`` entries of a checked PF file.

    The labels are the ``design_id`` (int64) or ``category`` (str) of each gallery entry, in
    file order; with ``relevance='design'`` the mask is False for ``'irrelevant'`` entries.
    """
    _, gallery = pf_split_entries(load_pf(ann_file, backend_args))
    if not gallery:
        raise ValueError(f"{ann_file} has no 'gallery' entry: nothing to retrieve")
    field = _RELEVANCE_FIELD[relevance]
    labels = np.array([e[field] for e in gallery],
                      dtype=np.int64 if field == 'design_id' else object)
    if relevance == 'design':
        mask = np.array([e['relation'] != 'irrelevant' for e in gallery], dtype=bool)
    else:
        mask = np.ones(len(gallery), dtype=bool)
    return labels, mask


def _sample_label(sample: Any, field: str, owner: str) -> Union[int, str]:
    """The query's ``design_id`` (one int) or ``category`` (a string) from its metainfo."""
    label = sample_get(sample, field)
    if label is None:
        raise ValueError(f"{owner} needs the query's {field!r} in each data sample (add it to "
                         f'PackInputs(meta_keys=...)), got keys {sample_keys(sample)}')
    if field == 'design_id':
        array = to_numpy(label).reshape(-1)
        if array.size != 1 or not is_int(array[0]):
            raise ValueError(f'{owner}: design_id must be one int, got {label!r}')
        return int(array[0])
    if not isinstance(label, str):
        raise ValueError(f'{owner}: category must be a string, got {label!r}')
    return label


@METRICS.register_module()
class PSNetPrecisionAtK(BaseMetric):
    """The CBAM clothing-retrieval paper's top-K precision ``P@K`` and its "mAP", literally.

    Definitions (section 4.2 of the paper), with ``N_r`` the number of relevant ("similar")
    gallery images among the top K:

    - ``P@K = N_r / K`` (eq. 5): the denominator is K even when the gallery is smaller than K.
    - ``mAP@K`` (eq. 6 and 7, as implemented): the mean over queries of AP@K
      (:func:`~ps_net.evaluation.functional.average_precision` over the ranks in the top K,
      normalised by ``N_r``), 0 when ``N_r = 0``; unlike mmpretrain's
      ``RetrievalAveragePrecision``, it does not divide by all the relevant images of the
      gallery. **Deviation**: eq. 6 read literally averages the precisions at the first
      ``N_r`` *cut-offs*, whatever the ranks of the relevant images, which is not average
      precision (a ranking with its only relevant image at rank 2 of 2 scores ``P_1 = 0``) and
      is 0/0 for ``N_r = 0``; it is reported as ``eq6_mAP@K``, averaged over the queries where
      it is defined, with ``eq6_num_undefined@K`` counting the others.
    - ``mAP = (1 / M) * sum_{q=1}^{M} AP(X_q)`` (eq. 7), ``M`` every query: a query with no
      relevant gallery image scores 0 in ``P@K`` and ``mAP@K`` (counted in
      ``num_without_relevant``).

    Relevance (``relevance``), from the gallery of ``gallery_ann_file`` (a Plagiarized Fashion
    file: its ``split == 'gallery'`` entries in file order are the gallery positions of a
    ``split='gallery'`` dataset, the retriever's prototype) and the query's data-sample
    metainfo (``PackInputs`` ``meta_keys``):

    - ``'design'`` (default): same ``design_id`` as the query (DeepFashion in-shop item
      retrieval, the paper's setting). An ``'irrelevant'`` entry is never relevant: the format
      gives a hard negative the id of the design it was judged against.
    - ``'category'``: same ``category`` as the query.

    Ranking (``ranking``): ``'distance'`` sorts by ascending score (the paper's Euclidean
    distance, see :meth:`euclidean_distances`), ``'similarity'`` by descending score.
    mmpretrain's ``ImageToImageRetriever`` puts similarities in ``pred_score`` (cosine by
    default), hence the default ``'similarity'``; on L2-normalised features the cosine ranking
    equals the Euclidean one (``d^2 = 2 - 2 cos``). Ties: stable sort, so equal scores keep the
    gallery order (lower gallery index first). NaN scores are refused. No entry is removed from
    the ranking: a query that is also in the gallery counts itself.

    Bad inputs (docs/bad_inputs.md), as :class:`PSNetPlagiarismMetric`: a query whose image
    could not be used (metainfo ``bad_input``, ``action='skipped'``) is counted in
    ``num_skipped_unreadable`` and kept out of every mean; a gallery entry whose image could not
    be used (``dataset_meta['gallery_bad_inputs']``) never ranks and is never relevant (a
    relevant image not found). :attr:`bad_inputs` lists them after the run.

    Keys (``<p>`` the prefix): ``<p>/P@K``, ``<p>/mAP@K``, ``<p>/eq6_mAP@K``,
    ``<p>/eq6_num_undefined@K`` per K, ``<p>/num_queries``, ``<p>/num_without_relevant``, and
    ``<p>/num_skipped_unreadable`` when an input was skipped.

    Args:
        gallery_ann_file (str): The Plagiarized Fashion file of the gallery, read with
            :func:`~ps_net.datasets.pf_format.load_pf` (a full path or URI: no ``data_root`` is
            applied).
        topk (int | Sequence[int]): The K values. Defaults to (5, 10, 20), the paper's.
        relevance (str): ``'design'`` (default) or ``'category'``.
        ranking (str): ``'similarity'`` (default, higher score first) or ``'distance'``
            (lower score first).
        backend_args (dict, optional): ``mmengine.fileio`` backend arguments.
        score_key (str): The data-sample field with the ``[G]`` scores. Defaults to
            ``'pred_score'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the keys. Defaults to ``'cbam'``.

    Examples:
        In a config (the query pipeline keeps ``design_id`` in ``meta_keys``):

        .. code:: python

            test_evaluator = dict(type='PSNetPrecisionAtK',
                                  gallery_ann_file='data/plagiarized_fashion/'
                                                   'annotations/pf_test.json')
    """

    default_prefix: Optional[str] = 'cbam'

    def __init__(self,
                 gallery_ann_file: str,
                 topk: Union[int, Sequence[int]] = (5, 10, 20),
                 relevance: str = 'design',
                 ranking: str = 'similarity',
                 backend_args: Optional[dict] = None,
                 score_key: str = 'pred_score',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        self.topk = check_topk(topk)
        self.relevance = _check_choice(relevance, _RELEVANCES, 'relevance')
        self.ranking = _check_choice(ranking, _RANKINGS, 'ranking')
        if not isinstance(gallery_ann_file, str) or not gallery_ann_file:
            raise ValueError(f'gallery_ann_file must be a path (str), got {gallery_ann_file!r}')
        check_score_key_and_prefix(score_key, prefix)
        self.score_key = score_key
        self.gallery_ann_file = gallery_ann_file
        super().__init__(collect_device=collect_device, prefix=prefix)
        self._gallery_labels, self._gallery_mask = _gallery_from_ann_file(
            gallery_ann_file, self.relevance, backend_args)
        self.bad_inputs: List[dict] = []

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Store P@K, AP@K and eq. 6 of each query of the batch.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples: Model outputs (dicts or ``DataSample``) with ``score_key`` (``[G]``)
                and the query's ``design_id`` (or ``category``) in the metainfo.

        Raises:
            ValueError: When a field is missing or the score length is not the gallery size.
        """
        owner = self.__class__.__name__
        field = _RELEVANCE_FIELD[self.relevance]
        missing = missing_gallery_positions(self.dataset_meta, self._gallery_labels.size)
        keep = None
        if missing.size:
            keep = np.ones(self._gallery_labels.size, dtype=bool)
            keep[missing] = False
        for sample in data_samples:
            bad_input = query_bad_input(sample)
            if bad_input is not None and bad_input.get('action') == 'skipped':
                self.results.append(dict(unreadable=True, bad_input=bad_input))
                continue
            label = _sample_label(sample, field, owner)
            scores = sample_scores(sample, self.score_key, self._gallery_labels.size, owner)
            relevant = (self._gallery_labels == label) & self._gallery_mask
            record = _query_record(_order_key(scores, self.ranking), relevant, self.topk, keep)
            if bad_input is not None:
                record['bad_input'] = bad_input
            self.results.append(record)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Average the per-query results over all queries (eq. 7).

        Args:
            results: The records stored by :meth:`process`, from all ranks.

        Returns:
            dict: The metrics, keys without prefix (see the class docstring).
        """
        missing = missing_gallery_positions(self.dataset_meta)
        count_unreadable = bool(missing.size or any(r.get('unreadable') for r in results))
        self.bad_inputs = report_bad_inputs(self.dataset_meta, results, self.__class__.__name__)
        return _summarize(results, self.topk, count_unreadable)

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
        q = as_scores(query_feats, 'query_feats', 2)
        g = as_scores(gallery_feats, 'gallery_feats', 2)
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
        topk = check_topk(topk)
        ranking = _check_choice(ranking, _RANKINGS, 'ranking')
        scores = as_scores(scores, 'scores', 2)
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
            mask = to_numpy(gallery_mask)
            if mask.dtype != np.bool_ or mask.shape != (num_gallery, ):
                raise ValueError(f'gallery_mask must be a bool array of shape ({num_gallery},), '
                                 f'got {gallery_mask!r}')
        records = []
        for q in range(num_queries):
            relevant = np.array([g == query_labels[q] for g in gallery], dtype=bool) & mask
            records.append(_query_record(_order_key(scores[q], ranking), relevant, topk))
        return _summarize(records, topk)
