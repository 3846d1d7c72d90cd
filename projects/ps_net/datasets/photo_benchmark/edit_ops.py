"""The edit operators of the real-photo benchmark, by family, and how one is applied.

========  ===============  ===================================  ==========================
family    operator         regions                              kind
========  ===============  ===================================  ==========================
recolour  recolour         sleeves, collar, chest, waist        pixel (:mod:`.pixel_ops`)
print     print_swap       chest                                pixel
print     logo_add         sleeves, chest                       pixel
texture   texture_swap     sleeves, collar, chest, waist        pixel
erase     print_removal    chest                                pixel
reshape   sleeve_length    sleeves                              shape (:mod:`.shape_ops`)
reshape   sleeve_width     sleeves                              shape
reshape   collar_depth     collar                               shape
reshape   hem_length       waist                                shape
reshape   waist_shape      waist (dresses)                      shape
========  ===============  ===================================  ==========================

Every region kind has at least three families, so holding any one family out of the training
splits leaves two or more there. A pixel edit of ``sleeves`` changes one sleeve or both the
same way (drawn evenly among the sleeves the layout found); a shape edit changes every sleeve
found. An edit counts only when it is visible: :func:`visible` wants at least
``max(30, 1 %)`` of its zone's pixels changed by more than 20 (of 255) in some channel.
"""
import dataclasses
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from . import pixel_ops, shape_ops
from .region_layout import RegionLayout

Box = Tuple[int, int, int, int]

#: Region kind (the paper's Table 1 columns) -> the region names it edits.
KIND_REGIONS = {'sleeves': ('left_sleeve', 'right_sleeve'), 'collar': ('collar', ),
                'chest': ('chest', ), 'waist': ('waist', )}

#: Smallest change (of 255, largest channel) for a pixel to count as changed.
CHANGED_LEVEL = 20


@dataclasses.dataclass(frozen=True)
class Operator:
    """An edit operator: its family, the region kinds and categories it applies to, whether
    it is a shape edit, and which donor patch (another garment's ``print`` or ``fabric``) it
    uses, if any."""
    family: str
    kinds: Tuple[str, ...]
    fn: Callable
    shape: bool = False
    categories: Optional[Tuple[str, ...]] = None
    donor: Optional[str] = None


OPERATORS: Dict[str, Operator] = {
    'recolour': Operator('recolour', ('sleeves', 'collar', 'chest', 'waist'), pixel_ops.recolour),
    'print_swap': Operator('print', ('chest', ), pixel_ops.print_swap, donor='print'),
    'logo_add': Operator('print', ('sleeves', 'chest'), pixel_ops.logo_add),
    'texture_swap': Operator('texture', ('sleeves', 'collar', 'chest', 'waist'),
                             pixel_ops.texture_swap, donor='fabric'),
    'print_removal': Operator('erase', ('chest', ), pixel_ops.print_removal),
    'sleeve_length': Operator('reshape', ('sleeves', ), shape_ops.sleeve_length, shape=True),
    'sleeve_width': Operator('reshape', ('sleeves', ), shape_ops.sleeve_width, shape=True),
    'collar_depth': Operator('reshape', ('collar', ), shape_ops.collar_depth, shape=True),
    'hem_length': Operator('reshape', ('waist', ), shape_ops.hem_length, shape=True),
    'waist_shape': Operator('reshape', ('waist', ), shape_ops.waist_shape, shape=True,
                            categories=('dress', )),
}

#: The operator families, in table order.
FAMILIES = ('recolour', 'print', 'texture', 'erase', 'reshape')


def operators_for(kind: str, category: str) -> List[str]:
    """Names of the operators that apply to a region kind of a category (table order)."""
    return [name for name, op in OPERATORS.items() if kind in op.kinds
            and (op.categories is None or category in op.categories)]


def visible(before: np.ndarray, after: np.ndarray, zone: Box) -> bool:
    """Whether an edit changed its zone visibly (see the module docstring)."""
    x1, y1, x2, y2 = zone
    diff = np.abs(after[y1:y2, x1:x2].astype(np.int16)
                  - before[y1:y2, x1:x2].astype(np.int16)).max(-1)
    return int((diff > CHANGED_LEVEL).sum()) >= max(30, 0.01 * diff.size)


def apply_operator(name: str, image: np.ndarray, mask: np.ndarray, layout: RegionLayout,
                   names: List[str], rng: np.random.Generator,
                   donors: Dict[str, Callable[[], Optional[np.ndarray]]]
                   ) -> Optional[Tuple[np.ndarray, Dict[str, Box], dict]]:
    """Apply operator ``name`` to the regions ``names`` of a photo.

    Returns:
        ``(image, zones, params)``: the edited photo, per region the box it may have changed,
        the drawn parameters; None when the operator does not apply or its edit is not
        visible in every region it names.
    """
    op = OPERATORS[name]
    if op.shape:
        done = op.fn(image, mask, layout, names, rng)
        if done is None:
            return None
        out, zones, params = done
    else:
        donor = donors[op.donor]() if op.donor else None
        seed = int(rng.integers(2**31))  # both sleeves of one edit change the same way
        out, zones, params = image, {}, {}
        for region in names:
            box = layout.boxes[region]
            args = (out, mask, box, np.random.default_rng(seed))
            done = op.fn(*args, donor) if op.donor else op.fn(*args)
            if done is None:
                return None
            out, params = done
            zones[region] = pixel_ops.padded(box, int(np.ceil(2 * pixel_ops.FEATHER)),
                                             image.shape)
    if not all(visible(image, out, zone) for zone in zones.values()):
        return None
    return out, zones, params
