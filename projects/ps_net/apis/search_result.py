"""What :class:`~ps_net.apis.PSNetSearcher` returns: per image, its garments and their hits.

Every class has ``to_dict()`` giving the JSON fields written by ``tools/search.py --json``
(documented in ``docs/search.md``); images and crops are kept in memory for the report only.
"""
import dataclasses
from typing import List, Optional

import numpy as np

from ..structures import REGIONS

#: Status of a query image.
STATUSES = ('ok', 'no_garment', 'not_searched', 'unreadable')


def _boxes(boxes: Optional[np.ndarray]) -> Optional[list]:
    """Region boxes as lists, None for an unknown (NaN) box."""
    if boxes is None:
        return None
    return [None if np.isnan(b).any() else [round(float(v), 2) for v in b] for b in boxes]


@dataclasses.dataclass
class SearchHit:
    """A gallery garment returned for a query garment.

    Attributes:
        rank: 1 for the best hit.
        id: The gallery garment's id in the index.
        path: Its image.
        score: Eq. 1 similarity with the query garment.
        region_cosines: ``(R,)`` cos(f_r, g_r) per region of ``REGIONS``, NaN where either
            garment lacks the region.
        category: Its PS-Net category.
        box: Its garment box in its image.
        region_boxes: ``(R, 4)`` its region boxes in its image (NaN rows: unknown).
        verdict: ``'identical'``, ``'plagiarized'`` or ``'unrelated'`` when the index holds
            verdict thresholds, else None.
    """
    rank: int
    id: int
    path: str
    score: float
    region_cosines: np.ndarray
    category: str
    box: tuple
    region_boxes: np.ndarray
    verdict: Optional[str] = None

    def to_dict(self) -> dict:
        return dict(rank=self.rank, id=self.id, path=self.path, score=round(self.score, 6),
                    verdict=self.verdict, category=self.category,
                    region_cosines={r: None if np.isnan(c) else round(float(c), 6)
                                    for r, c in zip(REGIONS, self.region_cosines)},
                    box=[round(float(v), 2) for v in self.box],
                    region_boxes=dict(zip(REGIONS, _boxes(self.region_boxes))))


@dataclasses.dataclass
class QueryGarment:
    """A garment of a query image that was searched.

    Attributes:
        box: Its garment box ``(x1, y1, x2, y2)`` in the query image (the whole image without
            a detector).
        category: The PS-Net category the retriever used.
        df2_category_id: The DeepFashion2 category given by the detector or the caller, else
            None (the landmark branch then chose one).
        det_score: The detection score, or None without a detector.
        region_boxes: ``(R, 4)`` its region boxes in the query image (NaN rows: missing).
        valid: ``(R,)`` which regions it has. fallback: ``(R,)`` which of them the garment-box
            template placed (landmarks not confident).
        hits: Its top-K gallery garments, best first.
        crop: The model's input crop (RGB uint8), kept for the report.
        crop_boxes: ``(R, 4)`` the region boxes in that crop.
    """
    box: tuple
    category: str
    df2_category_id: Optional[int]
    det_score: Optional[float]
    region_boxes: np.ndarray
    valid: np.ndarray
    fallback: np.ndarray
    hits: List[SearchHit]
    crop: Optional[np.ndarray] = dataclasses.field(default=None, repr=False)
    crop_boxes: Optional[np.ndarray] = dataclasses.field(default=None, repr=False)

    def to_dict(self) -> dict:
        return dict(box=[round(float(v), 2) for v in self.box], category=self.category,
                    df2_category_id=self.df2_category_id, det_score=self.det_score,
                    region_boxes=dict(zip(REGIONS, _boxes(self.region_boxes))),
                    region_valid=dict(zip(REGIONS, map(bool, self.valid))),
                    region_fallback=dict(zip(REGIONS, map(bool, self.fallback))),
                    hits=[h.to_dict() for h in self.hits])


@dataclasses.dataclass
class SkippedGarment:
    """A detected garment that was not searched, and why (e.g. a category outside PS-Net's
    four: trousers, shorts, skirts)."""
    box: tuple
    category_name: str
    df2_category_id: Optional[int]
    det_score: Optional[float]
    reason: str

    def to_dict(self) -> dict:
        return dict(box=[round(float(v), 2) for v in self.box], category_name=self.category_name,
                    df2_category_id=self.df2_category_id, det_score=self.det_score,
                    reason=self.reason)


@dataclasses.dataclass
class SearchResult:
    """The answer for one query image.

    Attributes:
        input: The image's path, or ``<array N>`` / ``<bytes N>`` (N: position in the call).
        status: ``'ok'`` (at least one garment searched), ``'no_garment'`` (the detector found
            none), ``'not_searched'`` (every garment skipped, see ``skipped``) or
            ``'unreadable'`` (missing, empty, corrupt or not an image).
        reason: Why, for a status other than ``'ok'``.
        garments: The searched garments with their hits.
        skipped: The garments that were not searched.
    """
    input: str
    status: str
    reason: str = ''
    garments: List[QueryGarment] = dataclasses.field(default_factory=list)
    skipped: List[SkippedGarment] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f'status must be one of {STATUSES}, got {self.status!r}')

    @property
    def ok(self) -> bool:
        return self.status == 'ok'

    def to_dict(self) -> dict:
        return dict(input=self.input, status=self.status, reason=self.reason,
                    garments=[g.to_dict() for g in self.garments],
                    skipped=[s.to_dict() for s in self.skipped])
