"""PSNetEnsembleCheckpointHook: load an ensemble retriever's member checkpoints in a Runner."""
import re

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from ...models.retrievers import PSNetEnsembleRetriever


@HOOKS.register_module()
class PSNetEnsembleCheckpointHook(Hook):
    """Load a ``PSNetEnsembleRetriever``'s member checkpoints in a Runner (``tools/test.py``).

    ``Runner.test`` builds the model and loads ``load_from`` (the CHECKPOINT argument of
    ``tools/test.py``) but never calls ``init_weights``. This hook

    * ``before_run``: loads the members from ``model.checkpoints`` (when set);
    * ``after_load_checkpoint``: keeps a checkpoint that is not an ensemble checkpoint (no key
      in common with the ensemble's state dict, e.g. one member's checkpoint) from being loaded
      into the ensemble: its state dict is replaced by the ensemble's own, and a log line says
      so. An ensemble checkpoint (keys ``image_encoder.<i>.``) is loaded as usual and wins.
    """
    priority = 'VERY_HIGH'

    @staticmethod
    def _model(runner) -> PSNetEnsembleRetriever:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not isinstance(model, PSNetEnsembleRetriever):
            raise TypeError(f'PSNetEnsembleCheckpointHook needs a PSNetEnsembleRetriever, got '
                            f'{type(model).__name__}')
        return model

    def before_run(self, runner) -> None:
        model = self._model(runner)
        if model.checkpoints:
            model.load_member_checkpoints()
            runner.logger.info(f'Loaded the ensemble members from {model.checkpoints}')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = self._model(runner)
        state = checkpoint.get('state_dict', checkpoint)
        own = model.state_dict()
        if {re.sub(r'^module\.', '', k) for k in state} & own.keys():
            return  # an ensemble checkpoint
        runner.logger.info('The checkpoint to load is not a PSNetEnsembleRetriever checkpoint: '
                           'ignored, the members come from model.checkpoints')
        checkpoint['state_dict'] = own
