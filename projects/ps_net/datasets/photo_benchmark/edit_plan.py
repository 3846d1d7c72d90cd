"""What a copy changes: region kinds by the paper's Table 1, operators by family, holdout.

A copy's region kinds are drawn as the synthetic generator draws them
(:func:`ps_net.datasets.synthetic.sample_edit_kinds`, with the shares of
:data:`~ps_net.datasets.synthetic.PAPER_TABLE1`): the first by the category's Table 1 shares,
a second, different one with probability ``two_region_prob``; ``sleeves`` is left out (and
the shares renormalised) when the layout found no sleeve. For each kind an operator family is
drawn evenly among the families with an operator for that kind and category
(:func:`~.edit_ops.operators_for`), the held-out family excluded outside the test split, then
an operator evenly within the family. An operator that does not apply or whose edit is not
visible is replaced by another draw (up to ``tries`` per kind); a kind that no operator can
edit sends the copy back to a new draw of kinds.
"""
import dataclasses
import functools
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from ...structures import REGIONS
from ..synthetic import PAPER_TABLE1, SyntheticConfig, sample_edit_kinds
from .edit_ops import KIND_REGIONS, OPERATORS, apply_operator, operators_for
from .region_layout import RegionLayout

Box = Tuple[int, int, int, int]

#: A DeepFashion2 category of each PS-Net category, with sleeves (for the shared drawer).
_SLEEVED_DF2 = {'short_sleeved_top': 1, 'long_sleeved_top': 2, 'outwear': 4, 'dress': 10}


@functools.lru_cache(maxsize=None)
def _kind_config(category: str, has_sleeves: bool, two_region_prob: float) -> SyntheticConfig:
    table = {c: dict(s) for c, s in PAPER_TABLE1.items()}
    if not has_sleeves:
        table[category]['sleeves'] = 0.0
    return SyntheticConfig(two_region_prob=two_region_prob, region_frequencies=table)


def draw_region_kinds(category: str, has_sleeves: bool, two_region_prob: float,
                      rng: np.random.Generator) -> List[str]:
    """One or two region kinds of Table 1 (see the module docstring)."""
    config = _kind_config(category, bool(has_sleeves), float(two_region_prob))
    return sample_edit_kinds(_SLEEVED_DF2[category], config, rng)


def draw_operator(kind: str, category: str, holdout: Optional[str], allow_holdout: bool,
                  rng: np.random.Generator, tried: Tuple[str, ...] = ()) -> Optional[str]:
    """An operator for a region kind: a family evenly, then an operator in it; None when
    every candidate was tried."""
    names = [n for n in operators_for(kind, category) if n not in tried
             and (allow_holdout or OPERATORS[n].family != holdout)]
    if not names:
        return None
    families = sorted({OPERATORS[n].family for n in names})
    family = families[int(rng.integers(len(families)))]
    pool = [n for n in names if OPERATORS[n].family == family]
    return pool[int(rng.integers(len(pool)))]


@dataclasses.dataclass
class Copy:
    """A plagiarized copy before its re-shot.

    Attributes:
        image: the edited photo (RGB uint8).
        modified_regions: region names in :data:`REGIONS` order.
        edits: one dict per edit: ``kind``, ``op``, ``family``, ``regions``, ``params``.
        zones: region name -> the box its edit may have changed (pixels).
    """
    image: np.ndarray
    modified_regions: List[str]
    edits: List[dict]
    zones: Dict[str, Box]


def plain(value):
    """``value`` with numpy scalars and tuples made plain JSON types (floats rounded)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 4)
    return value


def _sleeves_for(op: str, layout: RegionLayout, rng: np.random.Generator) -> List[str]:
    found = [r for r in KIND_REGIONS['sleeves'] if r in layout.boxes]
    if OPERATORS[op].shape or len(found) == 1:
        return found
    choice = int(rng.integers(3))
    return found if choice == 2 else [found[choice]]


def make_copy(image: np.ndarray, mask: np.ndarray, layout: RegionLayout, category: str,
              rng: np.random.Generator, donors: Dict[str, Callable[[], Optional[np.ndarray]]],
              two_region_prob: float = 0.25, holdout: Optional[str] = None,
              allow_holdout: bool = False, tries: int = 6) -> Optional[Copy]:
    """Draw and apply the edits of one copy (see the module docstring); None when no draw
    of kinds could be edited visibly in three attempts."""
    for _ in range(3):
        kinds = draw_region_kinds(category, layout.has_sleeves, two_region_prob, rng)
        out, edits, zones = image, [], {}
        for kind in kinds:
            tried: Tuple[str, ...] = ()
            done = None
            while done is None and len(tried) < tries:
                op = draw_operator(kind, category, holdout, allow_holdout, rng, tried)
                if op is None:
                    break
                tried += (op, )
                names = (_sleeves_for(op, layout, rng) if kind == 'sleeves'
                         else list(KIND_REGIONS[kind]))
                done = apply_operator(op, out, mask, layout, names, rng, donors)
            if done is None:
                break
            out, new_zones, params = done
            zones.update(new_zones)
            edits.append(dict(kind=kind, op=op, family=OPERATORS[op].family,
                              regions=sorted(new_zones, key=REGIONS.index), params=plain(params)))
        else:
            regions = sorted(zones, key=REGIONS.index)
            return Copy(out, regions, edits, zones)
    return None
