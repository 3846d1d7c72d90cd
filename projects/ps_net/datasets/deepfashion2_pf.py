"""DeepFashion2 as a Plagiarized Fashion v1 file, for PS-Net's pre-train phase.

The pre-train phase (PS-Net section 3.2, eq. 2-3) trains identical retrieval: P x K batches of
designs (:class:`~ps_net.datasets.samplers.PSNetDesignSampler`), positives = the same design.
DeepFashion2 gives that supervision through ``pair_id`` and ``style``: a shop item and a
consumer item "are a positive commercial-consumer pair if they have the same style number
greater than 0 and they are from images with the same pair id" (DeepFashion2 README). So:

* one **design** per ``(pair_id, style)`` with ``style > 0``; ``design_id = pair_id * 1000 +
  style`` (unique, and readable back: :func:`df2_design_id`);
* a ``source == 'shop'`` image of the design is its ``original`` (``split`` ``query``: the spec
  makes every query an original and only originals queries); a ``source == 'user'`` (consumer)
  image is ``identical`` ("the same item, photographed differently"; ``split`` ``gallery``).
  DeepFashion2 has no plagiarized copies, so the file serves task ``identical`` only (with task
  ``plagiarized`` every query would be skipped);
* per entry: ``bbox`` = the item's ``bounding_box``, ``landmarks`` = its landmarks placed in the
  294-slot DeepFashion2 layout (``metainfo.landmark_layout = 'deepfashion2'``,
  :func:`~ps_net.datasets.deepfashion2.df2_keypoints_294`), ``category`` = the PS-Net category
  (:data:`~ps_net.datasets.category_map.DF2_TO_PSNET`), ``modified_regions = []``; extra keys
  (allowed by the format) ``df2_category_id`` (read by the dataset and the retriever, which
  then need not guess the category), ``pair_id``, ``style``, ``source`` and ``item``.

Items left out, each counted by reason in :attr:`DF2PFReport.skipped`:

* ``style_0``: ``style == 0`` (the item has no commercial-consumer counterpart);
* ``not_searched``: shorts, trousers and skirts (PS-Net category ``None``: detected and
  reported, not searched for plagiarism);
* ``empty_bbox``: a box with no area (the format needs ``x2 > x1`` and ``y2 > y1``);
* ``same_image``: a second kept item of the same image. The format refuses a repeated
  ``img_path`` (an entry is an image), so of an image's eligible items only the one with the
  largest box (then the lowest item number) is kept.

The raw files are read with :func:`~ps_net.datasets.deepfashion2.read_df2_anno` (every field
checked; a malformed file raises, or is listed and left out with ``on_error='skip'``). The
output is checked with :func:`~ps_net.datasets.pf_format.check_pf` and written atomically by
:func:`~ps_net.datasets.pf_format.dump_pf` (never over an existing file unless asked).
"""
import os
import posixpath
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from .deepfashion2 import DF2FormatError, df2_keypoints_294, read_df2_anno
from ..structures import DF2_TO_PSNET, PSNET_CATEGORIES, REGIONS
from .pf_format import PF_FORMAT_VERSION, check_pf, dump_pf

PathLike = Union[str, os.PathLike]

#: ``design_id = pair_id * DF2_STYLE_BASE + style``; styles must be below it.
DF2_STYLE_BASE = 1000

#: Reasons an item is left out (keys of :attr:`DF2PFReport.skipped`), in the order checked.
DF2_PF_SKIP_REASONS = ('style_0', 'not_searched', 'empty_bbox', 'same_image')

#: ``source`` -> (relation, split).
DF2_SOURCE_ROLES = {'shop': ('original', 'query'), 'user': ('identical', 'gallery')}

_ON_ERROR = ('raise', 'skip')


def df2_design_id(pair_id: int, style: int) -> int:
    """The design id of DeepFashion2 item ``(pair_id, style)``: ``pair_id * 1000 + style``.

    Raises:
        ValueError: If ``style`` is not in ``1 .. 999``.

    Example:
        >>> df2_design_id(22, 1), df2_design_id(22, 2), divmod(df2_design_id(22, 2), 1000)
        (22001, 22002, (22, 2))
    """
    if not 0 < style < DF2_STYLE_BASE:
        raise ValueError(f'style must be 1-{DF2_STYLE_BASE - 1} to form a design id, '
                         f'got {style!r}')
    return pair_id * DF2_STYLE_BASE + style


@dataclass
class DF2PFReport:
    """What a conversion did.

    Attributes:
        files (int): Annotation files read without problem.
        items (int): Items in those files.
        entries (int): Entries written (one per kept item).
        skipped (Counter): Items left out, by reason (:data:`DF2_PF_SKIP_REASONS`, zeros kept).
        problems (list[str]): Malformed files left out with ``on_error='skip'`` (file and
            field in each line).
        designs (int): Designs with at least one entry.
        designs_without_original (int): Designs with consumer images only (their entries are
            gallery distractors; no query).
        designs_without_identical (int): Designs with shop images only (their queries have no
            positive: skipped and counted by the metric).
        designs_mixed_category (int): Designs whose entries do not all share one PS-Net
            category (DeepFashion2 gave one ``(pair_id, style)`` to garments of different
            categories).
    """

    files: int = 0
    items: int = 0
    entries: int = 0
    skipped: Counter = field(default_factory=lambda: Counter({r: 0 for r in
                                                              DF2_PF_SKIP_REASONS}))
    problems: List[str] = field(default_factory=list)
    designs: int = 0
    designs_without_original: int = 0
    designs_without_identical: int = 0
    designs_mixed_category: int = 0

    def summary(self) -> str:
        """One line of counts."""
        skipped = ', '.join(f'{r} {self.skipped[r]}' for r in DF2_PF_SKIP_REASONS)
        return (f'{self.files} files, {self.items} items -> {self.entries} entries, '
                f'{self.designs} designs ({self.designs_without_original} without a shop '
                f'image, {self.designs_without_identical} without a consumer image, '
                f'{self.designs_mixed_category} of mixed category); skipped items: {skipped}; '
                f'{len(self.problems)} problem file(s)')


def df2_pf_metainfo(dataset_name: str = 'DeepFashion2') -> Dict[str, Any]:
    """The ``metainfo`` of a converted file: PS-Net's categories and regions, DF2 layout."""
    return dict(dataset_name=dataset_name, format_version=PF_FORMAT_VERSION,
                categories=list(PSNET_CATEGORIES), regions=list(REGIONS),
                landmark_layout='deepfashion2')


def df2_item_to_pf(anno: Dict[str, Any], item: Dict[str, Any], img_path: str,
                   source: str = '<anno>') -> Dict[str, Any]:
    """One checked DeepFashion2 item (of ``read_df2_anno(...)['items']``) as a PF entry.

    The item must be eligible (style > 0, a searched category, a box with area); see
    :func:`df2_item_skip_reason`.

    Args:
        anno (dict): The file, as returned by :func:`read_df2_anno`.
        item (dict): One of its items.
        img_path (str): The entry's ``img_path``.
        source (str): The annotation file, for error messages.

    Returns:
        dict: The entry (required fields, ``bbox``, ``landmarks`` and the extras).

    Raises:
        DF2FormatError: If the style is too large to form a design id.
    """
    try:
        design_id = df2_design_id(anno['pair_id'], item['style'])
    except ValueError as err:
        raise DF2FormatError(source, f'item{item["item"]}.style', str(err)) from None
    relation, split = DF2_SOURCE_ROLES[anno['source']]
    cid = item['category_id']
    flat = df2_keypoints_294(cid, item['landmarks'])
    landmarks = [[flat[i], flat[i + 1], int(flat[i + 2])] for i in range(0, len(flat), 3)]
    return dict(img_path=img_path, split=split, design_id=design_id, relation=relation,
                category=DF2_TO_PSNET[cid], modified_regions=[],
                bbox=list(item['bounding_box']), landmarks=landmarks,
                df2_category_id=cid, pair_id=anno['pair_id'], style=item['style'],
                source=anno['source'], item=item['item'])


def df2_item_skip_reason(item: Dict[str, Any]) -> Optional[str]:
    """Why a checked item is left out (``'style_0'``, ``'not_searched'``, ``'empty_bbox'``),
    or None when it is converted (``'same_image'`` depends on the other items of its image)."""
    if item['style'] == 0:
        return 'style_0'
    if DF2_TO_PSNET[item['category_id']] is None:
        return 'not_searched'
    x1, y1, x2, y2 = item['bounding_box']
    if not (x2 > x1 and y2 > y1):
        return 'empty_bbox'
    return None


def _box_area(item: Dict[str, Any]) -> float:
    x1, y1, x2, y2 = item['bounding_box']
    return (x2 - x1) * (y2 - y1)


def _file_entries(anno_path: Path, img_prefix: str, skipped: Counter
                  ) -> Tuple[List[Dict[str, Any]], int]:
    """The entry (zero or one) of one annotation file, and its number of items."""
    source = str(anno_path)
    anno = read_df2_anno(anno_path)
    img_path = posixpath.join(img_prefix, f'{anno_path.stem}.jpg') if img_prefix else \
        f'{anno_path.stem}.jpg'
    eligible = []
    for item in anno['items']:
        reason = df2_item_skip_reason(item)
        if reason is None:
            eligible.append(item)
        else:
            skipped[reason] += 1
    if not eligible:
        return [], len(anno['items'])
    keep = max(eligible, key=lambda it: (_box_area(it), -it['item']))
    entry = df2_item_to_pf(anno, keep, img_path, source)  # may raise: count nothing yet
    skipped['same_image'] += len(eligible) - 1
    return [entry], len(anno['items'])


def df2_to_pf(anno_dir: PathLike, img_prefix: str = 'image', on_error: str = 'raise',
              dataset_name: Optional[str] = None) -> Tuple[Dict[str, Any], DF2PFReport]:
    """Convert a folder of raw DeepFashion2 annotations to one Plagiarized Fashion dict.

    Args:
        anno_dir (str | PathLike): Folder of the ``*.json`` files (DeepFashion2's ``annos``),
            read in sorted name order.
        img_prefix (str): Folder of the images relative to the PF file's ``data_root``: the
            entry of ``annos/000001.json`` gets ``img_path = '<img_prefix>/000001.jpg'``
            (e.g. ``'train/image'`` with ``data_root='data/deepfashion2'``). Images are not
            opened.
        on_error (str): ``'raise'`` (default): raise on the first malformed file; ``'skip'``:
            list it in ``report.problems`` and go on.
        dataset_name (str, optional): ``metainfo.dataset_name``; defaults to
            ``'DeepFashion2 <anno_dir's parent folder name>'``.

    Returns:
        tuple[dict, DF2PFReport]: The PF dict (checked with
        :func:`~ps_net.datasets.pf_format.check_pf`) and the report.

    Raises:
        ValueError: If ``on_error`` is neither ``'raise'`` nor ``'skip'``.
        NotADirectoryError: If ``anno_dir`` is not a folder.
        DF2FormatError: With ``on_error='raise'``, for the first malformed file (the message
            names the file and the field).
    """
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    anno_dir = Path(anno_dir)
    if not anno_dir.is_dir():
        raise NotADirectoryError(f'anno_dir {anno_dir} is not a folder')
    if dataset_name is None:
        dataset_name = f'DeepFashion2 {anno_dir.resolve().parent.name}'.strip()
    img_prefix = img_prefix.replace('\\', '/').strip('/')

    report = DF2PFReport()
    entries: List[Dict[str, Any]] = []
    for anno_path in sorted(anno_dir.glob('*.json')):
        skipped: Counter = Counter()
        try:
            file_entries, num_items = _file_entries(anno_path, img_prefix, skipped)
        except DF2FormatError as err:
            if on_error == 'raise':
                raise
            report.problems.append(str(err))
            continue
        report.files += 1
        report.items += num_items
        report.skipped.update(skipped)
        entries.extend(file_entries)
    report.entries = len(entries)

    designs: Dict[int, Dict[str, set]] = {}
    for e in entries:
        d = designs.setdefault(e['design_id'], dict(relations=set(), categories=set()))
        d['relations'].add(e['relation'])
        d['categories'].add(e['category'])
    report.designs = len(designs)
    report.designs_without_original = sum('original' not in d['relations']
                                          for d in designs.values())
    report.designs_without_identical = sum('identical' not in d['relations']
                                           for d in designs.values())
    report.designs_mixed_category = sum(len(d['categories']) > 1 for d in designs.values())

    data = dict(metainfo=df2_pf_metainfo(dataset_name), data_list=entries)
    check_pf(data, str(anno_dir))
    return data, report


def write_df2_pf(data: Dict[str, Any], path: PathLike, force: bool = False) -> None:
    """Check ``data`` and write it to ``path`` atomically (one entry per line).

    Args:
        data (dict): The PF dict of :func:`df2_to_pf`.
        path (str | PathLike): The output file; missing parent folders are created.
        force (bool): Replace an existing file. Defaults to False.

    Raises:
        FileExistsError: If ``path`` exists and ``force`` is False (nothing is written).
        PFFormatError: If ``data`` breaks the format (nothing is written).
    """
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    dump_pf(data, path, overwrite=force)


__all__ = ['DF2_PF_SKIP_REASONS', 'DF2_SOURCE_ROLES', 'DF2_STYLE_BASE', 'DF2PFReport',
           'df2_design_id', 'df2_item_skip_reason', 'df2_item_to_pf', 'df2_pf_metainfo',
           'df2_to_pf', 'write_df2_pf']
