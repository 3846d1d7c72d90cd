"""The names and values of the Plagiarized Fashion v1 format
(``shared/docs/plagiarized-fashion-format.md``)."""

#: The ``metainfo.format_version`` this package reads and writes.
PF_FORMAT_VERSION = 1

#: An entry's relation to the original of its ``design_id`` (every query is an original).
PF_RELATIONS = ('original', 'identical', 'plagiarized', 'irrelevant')

#: The ``split`` of an entry.
PF_SPLITS = ('query', 'gallery')

#: Fields every entry has.
PF_REQUIRED_FIELDS = ('img_path', 'split', 'design_id', 'relation', 'category',
                      'modified_regions')

#: Retrieval tasks of the spec: ``plagiarized`` (the default) and ``identical``.
PF_TASKS = ('plagiarized', 'identical')

#: Optional per-entry fields of the spec (other extra keys are allowed and kept unchecked).
PF_OPTIONAL_FIELDS = ('bbox', 'landmarks', 'region_boxes')

#: Landmark visibility codes: 0 not labelled, 1 occluded, 2 visible.
PF_VISIBILITIES = (0, 1, 2)

#: Most pixels (width x height) an image may have; a larger one is refused from its header,
#: before it is decoded. PIL's decompression-bomb threshold (``PIL.Image.MAX_IMAGE_PIXELS``),
#: about 9459 x 9459; docs/bad_inputs.md.
PF_MAX_IMAGE_PIXELS = 89_478_485

#: The shorter side (pixels) an image, and the part of its ``bbox`` inside it, must have at
#: least; below it the region boxes are degenerate (docs/bad_inputs.md). The smallest model
#: input ``PSNetGarmentCrop`` accepts.
PF_MIN_IMAGE_SIDE = 8
