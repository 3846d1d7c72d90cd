"""PSNetGalleryHook: the right gallery for validation and for testing, and its bad inputs.

mmpretrain's retrievers keep one ``prototype`` (the gallery); overriding ``test_dataloader``
changes only the queries. This hook sets the gallery of the loop about to run (``val_gallery``
before validation, ``test_gallery`` before testing) and rebuilds the prototype, so a config can
validate on the val split and ``tools/test.py`` scores the test split against its own gallery.

While the gallery is embedded, the hook collects the entries its dataset marked as bad inputs
(metainfo ``bad_input``, set by ``PlagiarizedFashionDataset``: an unreadable image is
``'skipped'``, a doubtful one ``'flagged'``) from every rank, and hands them to the loop's
metrics as ``dataset_meta['gallery_bad_inputs']``: the retrieval metrics never rank a skipped
gallery entry (docs/bad_inputs.md).
"""
from typing import Any, Dict, Iterator, List, Optional

import torch
from mmengine.dist import all_gather_object
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS
from torch.utils.data import DataLoader

#: The ``dataset_meta`` key the metrics read the gallery's bad inputs from.
GALLERY_BAD_INPUTS = 'gallery_bad_inputs'


class _BadInputRecorder:
    """Iterates a dataloader as the retriever's gallery extraction does (``len``, ``dataset``,
    iteration) and records the ``bad_input`` metainfo of every data sample it yields."""

    def __init__(self, loader: DataLoader) -> None:
        self.loader = loader
        self.dataset = loader.dataset
        self.records: List[dict] = []

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[Any]:
        for batch in self.loader:
            samples = batch.get('data_samples') if isinstance(batch, dict) else None
            for sample in samples or ():
                record = sample.metainfo.get('bad_input') if hasattr(sample, 'metainfo') else None
                if record is not None:
                    self.records.append(dict(record))
            yield batch


def merge_bad_inputs(per_rank: List[List[dict]]) -> List[dict]:
    """The records of every rank, once each (a distributed sampler repeats entries to pad the
    last batches), in gallery order.

    Example:
        >>> a = dict(split='gallery', split_index=3, reason='empty file (0 bytes)')
        >>> b = dict(split='gallery', split_index=1, reason='file not found')
        >>> [r['split_index'] for r in merge_bad_inputs([[a], [b, a]])]
        [1, 3]
    """
    unique: Dict[tuple, dict] = {}
    for records in per_rank:
        for record in records:
            unique.setdefault((record.get('split'), record.get('split_index')), record)
    return [unique[k] for k in sorted(unique, key=lambda k: (str(k[0]), k[1]))]


@HOOKS.register_module()
class PSNetGalleryHook(Hook):
    """Swap the retriever's gallery before each val / test loop and report its bad inputs.

    Args:
        val_gallery: dataloader config of the validation gallery (None: keep the model's).
        test_gallery: dataloader config of the test gallery (None: keep the model's).

    Attributes:
        bad_inputs (list[dict]): The ``bad_input`` records of the last gallery embedded.
    """
    priority = 'NORMAL'

    def __init__(self, val_gallery: Optional[dict] = None,
                 test_gallery: Optional[dict] = None) -> None:
        self.val_gallery = val_gallery
        self.test_gallery = test_gallery
        self.bad_inputs: List[dict] = []
        self._model_gallery: Any = None

    def _set(self, runner, gallery: Optional[dict], loop) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if self._model_gallery is None:
            self._model_gallery = model.prototype
        source = gallery if gallery is not None else self._model_gallery
        records: List[dict] = []
        if isinstance(source, (dict, DataLoader)):
            loader = source if isinstance(source, DataLoader) else Runner.build_dataloader(source)
            recorder = _BadInputRecorder(loader)
            # mmpretrain runs this under prepare_prototype's no_grad; called directly it would
            # keep the autograd graph of every gallery batch
            with torch.no_grad():
                model.prototype = model._get_prototype_vecs_from_dataloader(recorder)
            model.prepare_prototype()
            records = merge_bad_inputs(all_gather_object(recorder.records))
        else:  # a tensor or a saved file: no images read here
            model.prototype = source
            model.prepare_prototype()
        model.prototype = source
        self.bad_inputs = records
        if records:
            skipped = sum(r.get('action') == 'skipped' for r in records)
            runner.logger.warning(
                f'PSNetGalleryHook: {skipped} gallery entries skipped (never ranked) and '
                f'{len(records) - skipped} flagged of {len(model.prototype_vecs)}: ' + '; '.join(
                    f"{r['split_index']} {r['img_path']} {r['action']} ({r['reason']})"
                    for r in records))
        evaluator = getattr(loop, 'evaluator', None)
        if evaluator is not None:
            meta = dict(evaluator.dataset_meta or {})
            meta[GALLERY_BAD_INPUTS] = records
            evaluator.dataset_meta = meta

    def before_val(self, runner) -> None:
        self._set(runner, self.val_gallery, runner.val_loop)

    def before_test(self, runner) -> None:
        self._set(runner, self.test_gallery, runner.test_loop)
