"""The real-photo plagiarism benchmark (``tools/make_plagiarism_benchmark.py``).

From a folder of garment photos (:mod:`.photos`; classes mapped by :mod:`.class_map`), each
photo is surveyed (:mod:`.survey`): its garment silhouette found without any learned model
(:mod:`.silhouette`) and the five regions laid over it (:mod:`.region_layout`). Photos become
designs or distractors, split by class (:mod:`.selection`). Each design's copies change one or
two regions drawn by the PS-Net paper's Table 1 (:mod:`.edit_plan`) with pixel edits
(:mod:`.pixel_ops`) and shape edits (:mod:`.shape_ops`, :mod:`.warps`), listed by family in
:mod:`.edit_ops`; every gallery picture is re-shot (:mod:`.reshoot`). :mod:`.writer` writes
the Plagiarized Fashion files, the report and the contact sheet (:mod:`.contact_sheet`).
"""
from .class_map import DESIGN_CLASSES, DISTRACTOR_CLASSES, PHOTO_CLASSES
from .edit_ops import FAMILIES, OPERATORS, apply_operator, operators_for
from .edit_plan import draw_region_kinds, make_copy
from .photos import BadPhoto, list_photos, load_photo
from .region_layout import LAYOUT_RULES, RegionLayout, region_layout
from .reshoot import ReshootConfig, reshoot
from .silhouette import SilhouetteConfig, estimate_silhouette
from .writer import BUILDER_VERSION, BenchmarkConfig, NothingUsable, build_benchmark

__all__ = [
    'DESIGN_CLASSES', 'DISTRACTOR_CLASSES', 'PHOTO_CLASSES', 'FAMILIES', 'OPERATORS',
    'apply_operator', 'operators_for', 'draw_region_kinds', 'make_copy', 'BadPhoto',
    'list_photos', 'load_photo', 'LAYOUT_RULES', 'RegionLayout', 'region_layout',
    'ReshootConfig', 'reshoot', 'SilhouetteConfig', 'estimate_silhouette', 'BUILDER_VERSION',
    'BenchmarkConfig', 'NothingUsable', 'build_benchmark'
]
