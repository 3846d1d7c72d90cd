"""``PlagiarizedFashionDataset``: the Plagiarized Fashion v1 file as an mmpretrain dataset.

The file format, its validation and the ground-truth rules live in :mod:`.pf_format`; this module
turns a checked file into ``data_info`` dicts and serves the query or the gallery side of it, the
way mmpretrain's ``InShop`` serves its ``query``/``gallery`` splits for ``ImageToImageRetriever``.
"""
import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine.dataset.base_dataset import force_full_init
from mmengine.fileio import join_path
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from mmengine.utils import is_abs
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .pf_format import (PF_MAX_IMAGE_PIXELS, PF_MIN_IMAGE_SIDE, PF_SPLITS, PF_TASKS,
                        BadImageError, ImageCheck, PFFormatError, PFGroundTruth,
                        check_entry_image, iter_pf_split_issues, load_pf,
                        pf_ground_truth_arrays, pf_split_entries)

_SPLIT_CHOICES = (None, ) + PF_SPLITS
_BAD_INPUT_MODES = ('mark', 'skip', 'raise')
#: Side of the black stand-in image a marked bad input goes through the pipeline with.
_PLACEHOLDER_SIDE = 64


@DATASETS.register_module()
class PlagiarizedFashionDataset(BaseDataset):
    """A Plagiarized Fashion v1 annotation file (``shared/docs/plagiarized-fashion-format.md``).

    The file is read with ``mmengine.fileio`` and checked with
    :func:`~ps_net.datasets.pf_format.check_pf`: a broken file raises
    :class:`~ps_net.datasets.pf_format.PFFormatError` listing every problem with the file, the
    entry index and the field. ``categories`` and ``regions`` come from the file's ``metainfo``
    (a file may declare its own), and ``classes`` is set to the categories.

    For retrieval, build two datasets from the same file, as with mmpretrain's ``InShop``::

        query = dict(type='PlagiarizedFashionDataset', ann_file='test.json', split='query')
        gallery = dict(type='PlagiarizedFashionDataset', ann_file='test.json', split='gallery')

    Gallery *positions* below are indices in the file's gallery order, which is the index in
    the ``split='gallery'`` dataset (and ``gallery_indices[pos]`` in a ``split=None`` dataset).

    Each ``data_info`` holds:

    - ``img_path`` (str): resolved against ``data_prefix['img_path']`` (itself joined to
      ``data_root``); absolute paths and URLs are kept as written.
    - ``split``, ``design_id``, ``relation``, ``category``, ``modified_regions``: as in the file.
    - ``category_label`` (int): index of ``category`` in :attr:`categories`.
    - ``modified_region_mask`` (np.ndarray): bool ``[len(regions)]``, True for modified regions.
    - ``bbox`` (np.ndarray | None): float32 ``[4]`` ``x1, y1, x2, y2``; None when absent.
    - ``landmarks`` (np.ndarray | None): float32 ``[K, 3]`` rows ``x, y, v``; None when absent.
    - ``region_boxes`` (dict | None): region -> float32 ``[4]`` box; None when absent.
    - ``df2_category_id`` (int | None): the entry's DeepFashion2 category when the file has
      this extra field (the synthetic set does), else None.
    - ``pf_index`` (int): index of the entry in the file's ``data_list``.
    - ``split_index`` (int): position of the entry among the file's entries of its split.
    - queries only: ``gt_label`` (np.ndarray int64), the gallery positions of the positives of
      ``task`` (mmpretrain's retrieval convention, as ``InShop`` queries), and ``gt_ignored``
      (np.ndarray int64), the gallery positions to take out of the ranking. Gallery entries have
      no ``gt_label`` (as in ``InShop``): a design id is not a class (an ``irrelevant`` entry
      carries the id of the design it was judged against).

    Bad inputs (docs/bad_inputs.md). When the pipeline loads images (it holds mmcv's
    ``LoadImageFromFile``), each entry's image is checked from its header before it is decoded
    (:func:`~ps_net.datasets.pf_format.check_entry_image`: missing, empty, not an image, over
    ``max_image_pixels``, shorter side under ``min_image_side``, ``bbox`` wholly outside the
    displayed image), and a failure of the loading transform itself (a corrupt or truncated
    file) is caught. Such an entry is *refused*, and ``bad_inputs`` says what happens:

    - ``'mark'``: the rest of the pipeline runs on a black stand-in image and the packed data
      sample gets the metainfo ``bad_input`` (``split``, ``split_index``, ``pf_index``,
      ``img_path``, ``reason``, ``action='skipped'``); the retrieval metrics and
      ``PSNetGalleryHook`` then score it as a missing item;
    - ``'skip'``: :meth:`prepare_data` returns None, so mmengine draws another sample (training);
    - ``'raise'``: :class:`~ps_net.datasets.pf_format.BadImageError`.

    Each refusal is logged as a warning naming the entry. An entry whose ``bbox`` is only partly
    outside the image or covers less than ``min_image_side`` is scored as usual and *flagged*:
    ``bad_input`` with ``action='flagged'`` (and a warning) in ``'mark'`` mode.

    Args:
        ann_file (str): The Plagiarized Fashion JSON file (relative to ``data_root`` or absolute).
        split (str, optional): ``'query'``, ``'gallery'``, or None for every entry.
            Defaults to None.
        task (str): ``'plagiarized'`` (default) or ``'identical'``: which relation the queries'
            ``gt_label`` holds.
        metainfo (dict, optional): Extra meta information; values in the file fill the keys
            it does not set. ``categories``/``regions`` given here must equal the file's.
        data_root (str): Root of ``ann_file`` and ``data_prefix``. Defaults to ''.
        data_prefix (str | dict): Prefix of the images. Defaults to ''.
        indices (int | Sequence[int], optional): Keep only these entries. Allowed only with
            ``split='query'``: gallery positions refer to the whole gallery of the file.
        with_retrieval_labels (bool): Give queries ``gt_label`` / ``gt_ignored``. Training sets
            (queries and gallery mixed in one batch) turn it off: a batch whose samples have
            ``gt_label`` only in part cannot be collated by mmpretrain. Defaults to True.
        bad_inputs (str, optional): ``'mark'``, ``'skip'`` or ``'raise'`` (see above). None:
            ``'skip'`` without retrieval labels (a training set), else ``'mark'``.
        max_image_pixels (int): Refuse an image with more pixels (read from its header).
            Defaults to :data:`~ps_net.datasets.pf_format.PF_MAX_IMAGE_PIXELS`.
        min_image_side (int): Refuse an image whose shorter side is smaller. Defaults to
            :data:`~ps_net.datasets.pf_format.PF_MIN_IMAGE_SIDE`.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``.
    """

    def __init__(self,
                 ann_file: str,
                 split: Optional[str] = None,
                 task: str = 'plagiarized',
                 metainfo: Optional[dict] = None,
                 data_root: str = '',
                 data_prefix: Union[str, dict] = '',
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 with_retrieval_labels: bool = True,
                 bad_inputs: Optional[str] = None,
                 max_image_pixels: int = PF_MAX_IMAGE_PIXELS,
                 min_image_side: int = PF_MIN_IMAGE_SIDE,
                 **kwargs):
        if split not in _SPLIT_CHOICES:
            raise ValueError(f'split must be one of {_SPLIT_CHOICES!r}, got {split!r}')
        if task not in PF_TASKS:
            raise ValueError(f'task must be one of {PF_TASKS!r}, got {task!r}')
        if indices is not None and split != 'query':
            raise ValueError(f"indices can subset only split='query' (gallery positions refer "
                             f'to the whole gallery of the file), got split={split!r} and '
                             f'indices={indices!r}')
        if bad_inputs is None:
            bad_inputs = 'mark' if with_retrieval_labels else 'skip'
        if bad_inputs not in _BAD_INPUT_MODES:
            raise ValueError(f'bad_inputs must be one of {_BAD_INPUT_MODES!r}, got '
                             f'{bad_inputs!r}')
        if not (isinstance(max_image_pixels, int) and max_image_pixels > 0 and
                isinstance(min_image_side, int) and min_image_side > 0):
            raise ValueError(f'max_image_pixels and min_image_side must be positive ints, got '
                             f'{max_image_pixels!r} and {min_image_side!r}')
        self.split = split
        self.task = task
        self.with_retrieval_labels = with_retrieval_labels
        self.bad_inputs = bad_inputs
        self.max_image_pixels = max_image_pixels
        self.min_image_side = min_image_side
        self._load_split: Optional[Tuple[list, list]] = None
        self._user_metainfo = dict(metainfo or {})
        self._gallery_design_ids = np.zeros(0, dtype=np.int64)
        self._gallery_relations = np.zeros(0, dtype=object)
        self._query_design_ids = np.zeros(0, dtype=np.int64)
        self._splits = np.zeros(0, dtype=object)
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            indices=indices,
            **kwargs)

    # ------------------------------------------------------------------ loading
    def load_data_list(self) -> List[dict]:
        """Read and check the file, then convert the entries of the chosen split.

        Returns:
            list[dict]: One ``data_info`` per kept entry, in file order.

        Raises:
            PFFormatError: When the file breaks the format (every problem listed), or has no
                entry of ``split``.
            ValueError: When ``metainfo`` passed to the constructor contradicts the file's.
        """
        data = load_pf(self.ann_file)
        if self.split is not None:
            missing = [issue.format(self.ann_file)
                       for issue in iter_pf_split_issues(data, (self.split, ))]
            if missing:
                raise PFFormatError(missing, self.ann_file)
        self._merge_file_metainfo(data['metainfo'])
        queries, gallery = pf_split_entries(data)
        self._gallery_design_ids = np.array([e['design_id'] for e in gallery], dtype=np.int64)
        self._gallery_relations = np.array([e['relation'] for e in gallery], dtype=object)
        self._query_design_ids = np.array([e['design_id'] for e in queries], dtype=np.int64)
        gt = self._file_ground_truth(self.task)
        counters = {s: 0 for s in PF_SPLITS}
        data_list = []
        for pf_index, entry in enumerate(data['data_list']):
            split_index = counters[entry['split']]
            counters[entry['split']] += 1
            if self.split is not None and entry['split'] != self.split:
                continue
            info = self.parse_data_info(entry, pf_index, split_index)
            if entry['split'] == 'query' and self.with_retrieval_labels:
                info['gt_label'] = np.array(gt.positives[split_index], dtype=np.int64)
                info['gt_ignored'] = np.array(gt.ignored[split_index], dtype=np.int64)
            data_list.append(info)
        return data_list

    def full_init(self) -> None:
        """Load the file (once), then index the split of every kept entry."""
        if self._fully_initialized:
            return
        super().full_init()
        self._splits = np.array([self.get_data_info(i)['split'] for i in range(len(self))],
                                dtype=object)
        if self.split != 'gallery':  # the queries actually served (``indices`` may subset)
            self._query_design_ids = np.array(
                [self.get_data_info(int(i))['design_id'] for i in self.query_indices],
                dtype=np.int64)

    # ------------------------------------------------------------------ bad inputs
    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on entry ``idx``; a bad image is handled as ``bad_inputs`` says.

        Returns:
            The pipeline's output; None for a refused entry with ``bad_inputs='skip'``.

        Raises:
            BadImageError: For a refused entry with ``bad_inputs='raise'``, or with ``'mark'``
                when the pipeline's output has no data sample to carry the mark.
        """
        info = self.get_data_info(idx)
        load, rest = self._loading_split()
        if not load:  # the pipeline reads no image: nothing to check
            return self.pipeline(info)
        check = self._check_image(info)
        problem, results = check.refusal, None
        if problem is None:
            try:
                results = _apply(load, info)
            except Exception as err:  # noqa: BLE001  (any decoder failure of one image)
                problem = f'cannot decode the image: {type(err).__name__}: {err}'
            else:
                if results is None:
                    problem = 'the loading transform returned no image'
        if problem is not None:
            return self._refused(info, problem, rest)
        data = _apply(rest, results)
        if check.flags:
            record = self._bad_input_record(info, '; '.join(check.flags), 'flagged')
            self._warn(record)
            if self.bad_inputs == 'mark':
                data = self._mark(data, record)
        return data

    def _loading_split(self) -> Tuple[list, list]:
        """The pipeline's transforms up to its image loader, and those after (empty first part
        when it has no ``LoadImageFromFile``)."""
        if self._load_split is None:
            transforms = list(getattr(self.pipeline, 'transforms', []))
            at = next((i for i, t in enumerate(transforms)
                       if isinstance(t, LoadImageFromFile)), None)
            self._load_split = ((transforms[:at + 1], transforms[at + 1:]) if at is not None
                                else ([], transforms))
        return self._load_split

    def _check_image(self, info: dict) -> ImageCheck:
        """The header check of a local image (URIs are left to the loader)."""
        path = info['img_path']
        if '://' in str(path):
            return ImageCheck()
        return check_entry_image(path, info.get('bbox'), max_pixels=self.max_image_pixels,
                                 min_side=self.min_image_side)

    def _bad_input_record(self, info: dict, reason: str, action: str) -> dict:
        return dict(split=info['split'], split_index=int(info['split_index']),
                    pf_index=int(info['pf_index']), img_path=str(info['img_path']),
                    reason=reason, action=action)

    def _warn(self, record: dict) -> None:
        print_log(f"{self.__class__.__name__} {self.ann_file}: {record['action']} "
                  f"{record['split']} entry {record['split_index']} "
                  f"(data_list[{record['pf_index']}]) {record['img_path']}: {record['reason']}",
                  logger='current', level=logging.WARNING)

    def _refused(self, info: dict, problem: str, rest: list) -> Any:
        """A refused entry: raise, skip (None) or the marked stand-in sample."""
        if self.bad_inputs == 'raise':
            raise BadImageError(info['img_path'], problem)
        record = self._bad_input_record(info, problem, 'skipped')
        self._warn(record)
        if self.bad_inputs == 'skip':
            return None
        side = _PLACEHOLDER_SIDE
        results = dict(info, img=np.zeros((side, side, 3), np.uint8), img_shape=(side, side),
                       ori_shape=(side, side), bbox=None, landmarks=None, region_boxes=None)
        return self._mark(_apply(rest, results), record)

    @staticmethod
    def _mark(data: Any, record: dict) -> Any:
        """Put ``record`` in the metainfo ``bad_input`` of the packed data sample."""
        sample = data.get('data_samples') if isinstance(data, dict) else None
        if not isinstance(sample, BaseDataElement):
            raise BadImageError(record['img_path'], f"{record['reason']} (and the pipeline's "
                                f'output has no data sample to mark it in; end the pipeline '
                                f'with PackInputs)')
        sample.set_metainfo(dict(bad_input=record))
        return data

    def _merge_file_metainfo(self, file_metainfo: Dict[str, Any]) -> None:
        """Merge the file's metainfo; constructor values win, except contradicting names."""
        for key in ('categories', 'regions'):
            if key in self._user_metainfo and \
                    tuple(self._user_metainfo[key]) != tuple(file_metainfo[key]):
                raise ValueError(
                    f'metainfo[{key!r}] = {list(self._user_metainfo[key])!r} contradicts the '
                    f'file {self.ann_file}: {list(file_metainfo[key])!r}')
        for key, value in file_metainfo.items():
            self._metainfo.setdefault(key, value)
        self._metainfo['categories'] = tuple(file_metainfo['categories'])
        self._metainfo['regions'] = tuple(file_metainfo['regions'])
        # mmpretrain reads dict-style ``categories`` (with ids) unless ``classes`` is set.
        self._metainfo.setdefault('classes', self._metainfo['categories'])

    def parse_data_info(self, entry: dict, pf_index: int, split_index: int) -> dict:
        """Convert one checked file entry into a ``data_info`` dict (see the class docstring).

        Args:
            entry (dict): An entry that passed :func:`check_pf`.
            pf_index (int): Its index in the file's ``data_list``.
            split_index (int): Its position among the file's entries of its split.

        Returns:
            dict: The ``data_info``.
        """
        regions = self._metainfo['regions']
        modified = list(entry['modified_regions'])
        return dict(
            img_path=self._resolve_img_path(entry['img_path']),
            split=entry['split'],
            design_id=int(entry['design_id']),
            relation=entry['relation'],
            category=entry['category'],
            category_label=self._metainfo['categories'].index(entry['category']),
            modified_regions=modified,
            modified_region_mask=np.array([r in modified for r in regions], dtype=bool),
            bbox=_as_box(entry.get('bbox')),
            landmarks=_as_landmarks(entry.get('landmarks')),
            region_boxes=_as_region_boxes(entry.get('region_boxes')),
            df2_category_id=entry.get('df2_category_id'),
            pf_index=pf_index,
            split_index=split_index)

    def _resolve_img_path(self, img_path: str) -> str:
        """Join a relative ``img_path`` to the image prefix; keep absolute paths and URLs."""
        prefix = self.img_prefix
        if is_abs(img_path) or not prefix:
            return img_path
        return join_path(prefix, img_path)

    # ------------------------------------------------------------------ public accessors
    @property
    @force_full_init
    def categories(self) -> Tuple[str, ...]:
        """Category names declared by the file, in order (``category_label`` indexes them)."""
        return tuple(self._metainfo['categories'])

    @property
    @force_full_init
    def regions(self) -> Tuple[str, ...]:
        """Region names declared by the file, in order (``modified_region_mask`` follows it)."""
        return tuple(self._metainfo['regions'])

    @property
    @force_full_init
    def query_indices(self) -> np.ndarray:
        """Int64 dataset indices of the query entries, in dataset order."""
        return np.flatnonzero(self._splits == 'query').astype(np.int64)

    @property
    @force_full_init
    def gallery_indices(self) -> np.ndarray:
        """Int64 dataset indices of the gallery entries; entry ``j`` is gallery position ``j``."""
        return np.flatnonzero(self._splits == 'gallery').astype(np.int64)

    @property
    @force_full_init
    def num_gallery(self) -> int:
        """Size of the file's gallery (what gallery positions index)."""
        return int(self._gallery_design_ids.size)

    @force_full_init
    def ground_truth(self, task: Optional[str] = None) -> PFGroundTruth:
        """Ground truth of ``task`` for this dataset's queries against the file's gallery.

        The queries are those this dataset serves, in dataset order (for ``split='gallery'``,
        the file's queries, i.e. those of the matching ``split='query'`` dataset); positions
        index the file's gallery.

        Args:
            task (str, optional): ``'plagiarized'`` or ``'identical'``; None uses the dataset's
                ``task``.

        Returns:
            PFGroundTruth: Positives, ignored positions and skipped queries.
        """
        return self._file_ground_truth(self.task if task is None else task)

    def _file_ground_truth(self, task: str) -> PFGroundTruth:
        """Ground truth from the stored design ids and relations."""
        return pf_ground_truth_arrays(self._query_design_ids, self._gallery_design_ids,
                                      self._gallery_relations, task)

    def get_cat_ids(self, idx: int) -> List[int]:
        """The category label of entry ``idx`` (for category-aware samplers)."""
        return [int(self.get_data_info(idx)['category_label'])]

    def extra_repr(self) -> List[str]:
        """Lines added to ``repr``: file, prefix, split and task."""
        return super().extra_repr() + [f'Split: \t{self.split}', f'Task: \t{self.task}']


def _apply(transforms: Sequence[Any], results: Optional[dict]) -> Optional[dict]:
    """Run ``transforms`` in order as mmengine's ``Compose`` does (None stops the chain)."""
    for transform in transforms:
        if results is None:
            return None
        results = transform(results)
    return results


def _as_box(box: Optional[Sequence[float]]) -> Optional[np.ndarray]:
    """``[x1, y1, x2, y2]`` as float32 ``[4]``, or None."""
    return None if box is None else np.asarray(box, dtype=np.float32).reshape(4)


def _as_landmarks(points: Optional[Sequence[Sequence[float]]]) -> Optional[np.ndarray]:
    """``[[x, y, v], ...]`` as float32 ``[K, 3]``, or None."""
    return None if points is None else np.asarray(points, dtype=np.float32).reshape(-1, 3)


def _as_region_boxes(boxes: Optional[Dict[str, Sequence[float]]]
                     ) -> Optional[Dict[str, np.ndarray]]:
    """``{region: [x1, y1, x2, y2]}`` with float32 ``[4]`` boxes, or None."""
    return None if boxes is None else {name: _as_box(box) for name, box in boxes.items()}
