"""PSNetGalleryHook: the right gallery for validation and for testing.

mmpretrain's retrievers keep one ``prototype`` (the gallery); overriding ``test_dataloader``
changes only the queries. This hook sets the gallery of the loop about to run (``val_gallery``
before validation, ``test_gallery`` before testing) and rebuilds the prototype, so a config can
validate on the val split and ``tools/test.py`` scores the test split against its own gallery.
"""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class PSNetGalleryHook(Hook):
    """Swap the retriever's gallery before each val / test loop.

    Args:
        val_gallery: dataloader config of the validation gallery (None: keep the model's).
        test_gallery: dataloader config of the test gallery (None: keep the model's).
    """
    priority = 'NORMAL'

    def __init__(self, val_gallery: Optional[dict] = None,
                 test_gallery: Optional[dict] = None) -> None:
        self.val_gallery = val_gallery
        self.test_gallery = test_gallery

    @staticmethod
    def _set(runner, gallery: Optional[dict]) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if gallery is not None:
            model.prototype = gallery
        model.prepare_prototype()

    def before_val(self, runner) -> None:
        self._set(runner, self.val_gallery)

    def before_test(self, runner) -> None:
        self._set(runner, self.test_gallery)
