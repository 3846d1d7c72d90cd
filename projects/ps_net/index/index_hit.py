"""One search result of the gallery index."""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np


@dataclass(frozen=True)
class IndexHit:
    """A gallery garment returned for a query.

    Attributes:
        id: The garment's id.
        score: Eq. 1 similarity with the query, in ``[-1, 1]``.
        region_cosines: ``(R,)`` cos(f_r, g_r) per region of ``ps_net.structures.REGIONS``;
            NaN where the query or the garment lacks the region (not part of the score).
        path: The gallery image.
        box: The garment box ``(x1, y1, x2, y2)`` in that image.
        category: The garment's category (a row name of the region-weight table).
        region_boxes: ``(R, 4)`` region boxes ``(x1, y1, x2, y2)`` in the gallery image, NaN
            rows where unknown (stored on ``add``), or None.
    """

    id: int
    score: float
    region_cosines: np.ndarray
    path: str
    box: Tuple[float, float, float, float]
    category: str
    region_boxes: Optional[np.ndarray] = None

    def to_dict(self) -> dict:
        """JSON-ready fields (a missing region's cosine, an unknown region box, is None)."""
        cos = [None if np.isnan(c) else float(c) for c in self.region_cosines]
        boxes = None if self.region_boxes is None else [
            None if np.isnan(b).any() else [float(v) for v in b] for b in self.region_boxes]
        return dict(id=self.id, score=self.score, region_cosines=cos, path=self.path,
                    box=list(self.box), category=self.category, region_boxes=boxes)
