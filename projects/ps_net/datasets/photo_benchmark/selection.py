"""Which usable photos become designs or distractors, and the split of each.

Design photos (:data:`~.class_map.DESIGN_CLASSES`) are designs; with ``per_category`` at most
that many per PS-Net category are drawn (seeded) and the others become distractors of their
category. Photos of :data:`~.class_map.DISTRACTOR_CLASSES` are distractors; with
``max_distractors`` at most that many are drawn (seeded). Every photo is its own design id:
its index in the sorted list of usable photos.

Splits are drawn per photo class, designs and distractors apart, by the synthetic
generator's seeded permutation (:func:`~ps_net.datasets.synthetic.generator.split_designs`),
so every split holds each class in about the split's share, and a design, being one photo,
never crosses splits.
"""
import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..synthetic.generator import split_designs
from .class_map import DESIGN_CLASSES


@dataclasses.dataclass(frozen=True)
class Assignment:
    """One photo's part in the benchmark: index in the survey list (= design id), role
    (``design`` or ``distractor``) and split (``train``, ``val`` or ``test``)."""
    index: int
    role: str
    split: str


def _draw(indices: List[int], limit: Optional[int], rng: np.random.Generator
          ) -> Tuple[List[int], List[int]]:
    if limit is None or len(indices) <= limit:
        return list(indices), []
    chosen = set(rng.choice(len(indices), size=limit, replace=False).tolist())
    return ([v for i, v in enumerate(indices) if i in chosen],
            [v for i, v in enumerate(indices) if i not in chosen])


def assign_photos(classes: Sequence[str], seed: int, fractions: Sequence[float],
                  per_category: Optional[int] = None,
                  max_distractors: Optional[int] = None) -> List[Assignment]:
    """Roles and splits of the usable photos, given each one's class (in survey order)."""
    by_category: Dict[str, List[int]] = {}
    distractors: List[int] = []
    for i, cls in enumerate(classes):
        if cls in DESIGN_CLASSES:
            by_category.setdefault(DESIGN_CLASSES[cls], []).append(i)
        else:
            distractors.append(i)
    designs: List[int] = []
    for k, cat in enumerate(sorted(by_category)):
        chosen, rest = _draw(by_category[cat], per_category, np.random.default_rng([seed, 11, k]))
        designs += chosen
        distractors += rest
    distractors, _ = _draw(sorted(distractors), max_distractors,
                           np.random.default_rng([seed, 12]))
    out = []
    for role, members in (('design', sorted(designs)), ('distractor', sorted(distractors))):
        groups: Dict[str, List[int]] = {}
        for i in members:
            groups.setdefault(classes[i], []).append(i)
        for cls in sorted(groups):
            splits = split_designs(len(groups[cls]), seed, fractions)
            out += [Assignment(i, role, s) for i, s in zip(groups[cls], splits)]
    return sorted(out, key=lambda a: a.index)
