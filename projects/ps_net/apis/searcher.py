"""PSNetSearcher: query a gallery index by image (an mmpretrain-inferencer-style API).

image (path, encoded bytes or BGR array) -> garments (a detector, or the whole image) -> the
model's input crop -> landmarks and region boxes (the retriever's landmark branch) -> region
features -> the top-K gallery garments by eq. 1 (:class:`~ps_net.index.GalleryIndex`), each with
its per-region cosines, its region boxes and, when the index holds verdict thresholds, a verdict.
Usage: ``docs/search.md``.
"""
import os
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..index import GalleryIndex, ModelFingerprintError, split_flat
from .garment_embedder import GarmentEmbedder, ImageSource, garment_name
from .search_result import QueryGarment, SearchHit, SearchResult, SkippedGarment

#: One query: an image, or ``dict(img=image, bbox=None, category=None, df2_category_id=None)``
#: for a garment whose box (and category) the caller knows (no detector is run for it).
QueryInput = Union[ImageSource, dict]


def _name(item: Any, position: int) -> str:
    src = item.get('img') if isinstance(item, dict) else item
    if isinstance(src, (str, os.PathLike)):
        return os.fspath(src)
    kind = 'array' if isinstance(src, np.ndarray) else 'bytes' if isinstance(
        src, (bytes, bytearray, memoryview)) else type(src).__name__
    return f'<{kind} {position}>'


def _reason(err: BaseException) -> str:
    return f'{type(err).__name__}: {err}'


class PSNetSearcher:
    """Search a gallery index with photos.

    Args:
        config: The PS-Net retriever config the index was built with; None takes
            ``index.metadata['model']['config']`` (written by ``tools/build_index.py``).
        checkpoint: Its checkpoint; None takes ``index.metadata['model']['checkpoint']``.
        index: A :class:`~ps_net.index.GalleryIndex` or the path of a saved one.
        detector: None: each image is one garment, its box the whole image (catalogue photos,
            crops); the landmark branch picks the category among PS-Net's four. Or a garment
            detector (DeepFashion2 classes): an object with ``detect(img) -> (boxes, scores,
            df2_category_ids)`` such as :class:`~ps_net.apis.GarmentPipeline`, or its
            ``(config, checkpoint)`` / ``dict(config=..., checkpoint=...)`` to build one.
        device: torch device of the models.
        score_thr: Detection score threshold of a detector built here.

    Raises:
        ModelFingerprintError: the index was built by another embedding model (another
            checkpoint or config) than ``config`` / ``checkpoint``.
        DamagedIndexError, IndexVersionError: an index file that cannot be used.
        ValueError: the index holds no garment (an empty gallery: every search would answer
            nothing).

    Example:
        >>> searcher = PSNetSearcher(None, None, 'catalogue.psidx')  # doctest: +SKIP
        >>> result, = searcher('suspect.jpg', topk=5)  # doctest: +SKIP
        >>> [(h.id, h.score, h.verdict) for h in result.garments[0].hits]  # doctest: +SKIP
    """

    def __init__(self, config: Optional[str], checkpoint: Optional[str],
                 index: Union[GalleryIndex, str, os.PathLike], detector: Any = None,
                 device: str = 'cpu', score_thr: float = 0.5) -> None:
        source = index if not isinstance(index, GalleryIndex) else '<GalleryIndex>'
        if not isinstance(index, GalleryIndex):
            index = GalleryIndex.load(index)
        if len(index) == 0:
            raise ValueError(f'the index {os.fspath(source)} holds no garment (an empty '
                             f'gallery): every search would answer nothing; build it from a '
                             f'gallery with readable images')
        model = index.metadata.get('model', {})
        config = config or model.get('config')
        checkpoint = checkpoint or model.get('checkpoint')
        if not (config and checkpoint):
            raise ValueError('pass config and checkpoint: the index does not record the model '
                             'it was built with')
        self.embedder = GarmentEmbedder(config, checkpoint, device)
        if index.fingerprint != self.embedder.fingerprint:
            raise ModelFingerprintError(
                f'the index was built with another embedding model (fingerprint '
                f'{index.fingerprint}) than {checkpoint} ({self.embedder.fingerprint}): '
                f'rebuild it with tools/build_index.py or pass the model it was built with')
        missing = set(self.embedder.categories) - set(index.categories)
        if missing:
            raise ValueError(f'the index has no region weights for categories {sorted(missing)}')
        self.index = index
        self.detector = self._build_detector(detector, score_thr, device)

    @staticmethod
    def _build_detector(detector: Any, score_thr: float, device: str) -> Any:
        if detector is None or hasattr(detector, 'detect'):
            return detector
        if isinstance(detector, dict):
            detector = (detector['config'], detector.get('checkpoint'))
        if not (isinstance(detector, (tuple, list)) and len(detector) == 2):
            raise TypeError(f'detector must be None, an object with detect(img), '
                            f'(config, checkpoint) or dict(config, checkpoint); got {detector!r}')
        from .garment_pipeline import GarmentPipeline
        return GarmentPipeline(detector[0], detector[1], None, None, score_thr, device)

    # ------------------------------------------------------------------ inference
    def __call__(self, inputs: Union[QueryInput, Sequence[QueryInput]], topk: int = 20,
                 batch_size: int = 16) -> List[SearchResult]:
        """Search every garment of every input image.

        Args:
            inputs: One query or a list of them: image paths, encoded bytes, BGR uint8
                ``(H, W, 3)`` arrays, or dicts ``dict(img=..., bbox=[x1, y1, x2, y2],
                category='short sleeve top', df2_category_id=1)`` (any key but ``img``
                optional) for garments whose box is known.
            topk: Hits per garment.
            batch_size: Images read and garments embedded per step.

        Returns:
            One :class:`SearchResult` per input, in order. A bad input (missing, empty,
            corrupt, not an image) gives ``status='unreadable'`` with the reason and the other
            inputs are answered; this never raises for an input.
        """
        if int(topk) < 1 or int(batch_size) < 1:
            raise ValueError(f'topk and batch_size must be >= 1, got {topk} and {batch_size}')
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        results: List[SearchResult] = []
        for start in range(0, len(items), batch_size):
            results += self._search_batch(items[start:start + batch_size], start, topk,
                                          batch_size)
        return results

    def _search_batch(self, items: Sequence[QueryInput], offset: int, topk: int,
                      batch_size: int) -> List[SearchResult]:
        results, packed, owners = [], [], []
        for i, item in enumerate(items):
            result, garments = self._prepare(item, offset + i)
            results.append(result)
            for sample, det_score in garments:
                packed.append(sample)
                owners.append((i, det_score))
        if not packed:
            return results
        emb = self.embedder.embed(packed, batch_size)
        feats, valid, cats = split_flat(emb['flat'])
        names = [self.embedder.categories[c] for c in cats]
        finite = np.isfinite(feats).all(axis=(1, 2))
        hits = [[] for _ in finite]
        if finite.any():
            for j, found in zip(np.flatnonzero(finite),
                                self.index.search(feats[finite], valid[finite],
                                                  [n for n, f in zip(names, finite) if f], topk)):
                hits[j] = found
        thresholds = self.index.verdict_thresholds
        for j, ((i, det_score), sample) in enumerate(zip(owners, packed)):
            cid = sample['data_samples'].get('df2_category_id')
            if not finite[j]:  # a broken checkpoint, never a bad image: say so per garment
                results[i].skipped.append(SkippedGarment(
                    box=tuple(float(v) for v in emb['garment_boxes'][j]),
                    category_name=garment_name(names[j], None if cid is None else int(cid)),
                    df2_category_id=None if cid is None else int(cid), det_score=det_score,
                    reason='the model gave NaN or inf region features for this garment (a '
                           'damaged checkpoint?): not searched'))
                continue
            results[i].garments.append(QueryGarment(
                box=tuple(float(v) for v in emb['garment_boxes'][j]), category=names[j],
                df2_category_id=None if cid is None else int(cid), det_score=det_score,
                region_boxes=emb['region_boxes'][j], valid=emb['valid'][j],
                fallback=emb['fallback'][j], hits=self._hits(hits[j], thresholds),
                crop=emb['crops'][j], crop_boxes=emb['boxes'][j]))
        for result in results:
            if result.status == 'ok' and not result.garments and result.skipped:
                result.status = 'not_searched'
                result.reason = '; '.join(s.reason for s in result.skipped)
        return results

    @staticmethod
    def _hits(index_hits, thresholds: Optional[dict]) -> List[SearchHit]:
        verdict = None
        if thresholds is not None:
            from ..evaluation.functional import verdict
        return [SearchHit(rank=r, id=h.id, path=h.path, score=h.score,
                          region_cosines=h.region_cosines, category=h.category, box=h.box,
                          region_boxes=h.region_boxes,
                          verdict=None if verdict is None else verdict(h.score, thresholds))
                for r, h in enumerate(index_hits, 1)]

    def _prepare(self, item: QueryInput, position: int
                 ) -> Tuple[SearchResult, List[Tuple[dict, Optional[float]]]]:
        """Read one input and pack its searchable garments; never raises for the input."""
        result = SearchResult(_name(item, position), 'ok')
        hints = dict(item) if isinstance(item, dict) else dict(img=item)
        unknown = set(hints) - {'img', 'bbox', 'category', 'df2_category_id'}
        try:
            if unknown or 'img' not in hints:
                raise ValueError(f'a query dict has the keys img (required), bbox, category, '
                                 f'df2_category_id; got {sorted(hints)}')
            img = self.embedder.load_image(hints['img'])
        except Exception as err:  # noqa: BLE001  (one bad image must not stop a batch)
            result.status, result.reason = 'unreadable', _reason(err)
            return result, []
        try:
            candidates = self._garments(img, hints)
        except Exception as err:  # noqa: BLE001
            result.status, result.reason = 'unreadable', f'detection failed: {_reason(err)}'
            return result, []
        if not candidates:
            thr = getattr(self.detector, 'score_thr', None)
            result.status = 'no_garment'
            result.reason = 'the detector found no garment' + (
                f' scoring >= {thr}' if thr is not None else '')
            return result, []
        garments = []
        for box, category, cid, det_score in candidates:
            if box is None:
                box = (0, 0, img.shape[1], img.shape[0])
            try:
                sample = self.embedder.pack(img, box, category, cid, result.input)
            except ValueError as err:  # outside the four categories, a degenerate box
                result.skipped.append(SkippedGarment(
                    box=tuple(float(v) for v in box), category_name=garment_name(category, cid),
                    df2_category_id=cid, det_score=det_score, reason=str(err)))
                continue
            garments.append((sample, det_score))
        if not garments:
            result.status = 'not_searched'
            result.reason = '; '.join(s.reason for s in result.skipped)
        return result, garments

    def _garments(self, img: np.ndarray, hints: dict) -> List[tuple]:
        """``(box or None, category or None, DF2 id or None, det score or None)`` per garment:
        the caller's (a dict input with ``bbox``, or no detector) or the detector's."""
        if self.detector is None or 'bbox' in hints:
            cid = hints.get('df2_category_id')
            return [(hints.get('bbox'), hints.get('category'),
                     None if cid is None else int(cid), None)]
        return [(np.asarray(b, np.float32), None, int(c), float(s))
                for b, s, c in zip(*self.detector.detect(img))]
