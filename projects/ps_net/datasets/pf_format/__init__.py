"""The Plagiarized Fashion annotation format, v1 (``shared/docs/plagiarized-fashion-format.md``).

Four layers, each usable alone:

* validation (:mod:`.validation`): :func:`iter_pf_issues` yields structured :class:`PFIssue`
  records, :func:`validate_pf` formats every one of them, :func:`check_pf` raises
  :class:`PFFormatError` listing them;
* images (:mod:`.images`): an entry's image file against its header (readable, pixel limit,
  minimum side, ``bbox`` in the displayed, EXIF-rotated frame): :func:`check_entry_image`;
* files (:mod:`.files`): :func:`load_pf` (read + check), :func:`dump_pf` (check + atomic
  write, no silent overwrite), :func:`pf_summary` (counts);
* ground truth (:mod:`.ground_truth`): :func:`pf_ground_truth` /
  :func:`pf_ground_truth_arrays` give, per query, the positive and the ignored gallery
  positions of a task, and which queries are skipped.

The format's names and values are in :mod:`.constants`.
"""
from .constants import (PF_FORMAT_VERSION, PF_MAX_IMAGE_PIXELS, PF_MIN_IMAGE_SIDE,
                        PF_OPTIONAL_FIELDS, PF_RELATIONS, PF_REQUIRED_FIELDS, PF_SPLITS,
                        PF_TASKS, PF_VISIBILITIES)
from .files import dump_pf, load_pf, pf_summary, pf_to_json, read_pf_json
from .ground_truth import PFGroundTruth, pf_ground_truth, pf_ground_truth_arrays, pf_split_entries
from .images import (BadImageError, ImageCheck, ImageHeader, check_entry_image,
                     garment_box_check, read_image_header)
from .validation import (PFFormatError, PFIssue, check_pf, iter_pf_issues, iter_pf_split_issues,
                         validate_pf)

__all__ = [
    'PF_FORMAT_VERSION', 'PF_MAX_IMAGE_PIXELS', 'PF_MIN_IMAGE_SIDE', 'PF_OPTIONAL_FIELDS',
    'PF_RELATIONS', 'PF_REQUIRED_FIELDS', 'PF_SPLITS', 'PF_TASKS', 'PF_VISIBILITIES', 'dump_pf', 'load_pf', 'pf_summary', 'pf_to_json',
    'read_pf_json', 'PFGroundTruth', 'pf_ground_truth', 'pf_ground_truth_arrays',
    'pf_split_entries', 'PFFormatError', 'PFIssue', 'check_pf', 'iter_pf_issues',
    'iter_pf_split_issues', 'validate_pf', 'BadImageError', 'ImageCheck', 'ImageHeader',
    'check_entry_image', 'garment_box_check', 'read_image_header'
]
