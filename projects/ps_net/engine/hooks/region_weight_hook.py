"""PSNetRegionWeightHook: PS-Net's per-category region weights learned during a frozen phase.

The fine-tune phase of PS-Net (section 3.2) runs as an mmengine training loop whose network
is frozen (the retriever's ``train_step`` with ``train_network=False`` neither runs a forward
pass nor steps the optimizer); this hook does the work. After every training iteration it asks
the model for the per-region distances of the batch's triplets and runs one
:func:`~ps_net.models.losses.region_weight_fit.region_weight_cycle` on them (the code
``tools/fit_region_weights.py`` runs on cached features), with the step of the current epoch.

Model contract (the hook uses nothing else; a model wrapper is unwrapped with
``mmengine.model.is_model_wrapper``):

* ``model.region_weights``: a persistent registered buffer of shape ``[C, R]`` (float), one
  row per category, each row >= ``floor`` and summing to 1 (start: all ``1 / R``). The hook
  writes the new rows into it in place, so checkpoints, resume and ``state_dict`` keep them.
* ``model.categories``: tuple of the C category names (row order of the buffer).
* ``model.plagiarism_distances(data_batch) -> dict`` with ``category_index`` (T,) long in
  ``[0, C)``, ``d_ap`` (T, R) distances ``D_r(I, I+)``, ``d_an`` (T, R) distances
  ``D_r(I, I-)`` and optionally ``valid`` (T, R) bool (region present on I, I+ and I-;
  all True when absent), for the triplets of the (raw, not yet preprocessed) training batch
  in which I is an original design, I+ a plagiarised copy of it and I- another design of the
  same category; T may be 0. The hook calls it under ``torch.no_grad()`` without changing the
  train/eval mode, so the model must not disturb training state there (e.g. reuse the
  features cached by the training forward, or avoid updating BN statistics).

When distributed, the triplets of every rank are gathered first, so all ranks take the same
decisions. The hook keeps no state of its own: the weights live in the buffer and the step
follows ``runner.epoch`` (or ``runner.iter``), so a resumed run continues both.
"""
import json
import os.path as osp
from typing import Optional, Sequence, Tuple

import torch
from mmengine.dist import all_gather_object, get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import Tensor

from mmpretrain.registry import HOOKS

from ...models.losses.region_weight_fit import (DEFAULT_STEPS, as_triplets, check_fit_settings,
                                                check_steps, check_weight_rows,
                                                region_weight_cycle, region_weight_table,
                                                step_at)
from ...structures import REGIONS
from ...utils import atomic_write


@HOOKS.register_module()
class PSNetRegionWeightHook(Hook):
    """Learn the per-category region weights ``lambda`` of PS-Net by coordinate ascent.

    See the module docstring for the model contract.

    Args:
        steps: ``((start, step), ...)``: ``step`` is used from epoch ``start`` on (0-based
            ``runner.epoch``; ``(40, 0.05)`` = after 40 completed epochs). With
            ``by_epoch=False`` the starts are iterations (``runner.iter``). Defaults to the
            paper's ``((0, 0.1), (40, 0.05), (60, 0.01))``.
        floor: lower bound of every weight (0 <= floor <= 1 / R). Defaults to 0.05.
        margin: ``m`` of eq. 4. Defaults to 0.2.
        eps: of eq. 5. Defaults to 1e-8.
        by_epoch: schedule in epochs (True) or iterations. Defaults to True.
        region_names: names of the R regions for logs and the json table. Defaults to
            ``REGIONS`` (left_sleeve, right_sleeve, collar, chest, waist).
        out_file: name of the table written in ``work_dir`` after training.
            Defaults to ``'region_weights.json'``.

    Example:
        >>> hook = PSNetRegionWeightHook()
        >>> [hook.step_at(e) for e in (0, 39, 40, 59, 60, 79)]
        [0.1, 0.1, 0.05, 0.05, 0.01, 0.01]
    """

    priority = 'LOW'

    def __init__(self, steps: Sequence[Tuple[int, float]] = DEFAULT_STEPS, floor: float = 0.05,
                 margin: float = 0.2, eps: float = 1e-8, by_epoch: bool = True,
                 region_names: Optional[Sequence[str]] = None,
                 out_file: str = 'region_weights.json') -> None:
        self.steps = check_steps(steps)
        region_names = tuple(REGIONS if region_names is None else region_names)
        if not region_names or not all(isinstance(n, str) and n for n in region_names) or \
                len(set(region_names)) != len(region_names):
            raise ValueError(f'region_names must be distinct non-empty strings, got '
                             f'{region_names!r}')
        if not isinstance(out_file, str) or not out_file or osp.basename(out_file) != out_file:
            raise ValueError(f'out_file must be a plain file name, got {out_file!r}')
        check_fit_settings(floor, margin, eps, len(region_names))
        self.floor = float(floor)
        self.margin = float(margin)
        self.eps = float(eps)
        self.by_epoch = bool(by_epoch)
        self.region_names = region_names
        self.out_file = out_file

    # -- schedule -------------------------------------------------------------------------
    def step_at(self, progress: int) -> float:
        """The step size at 0-based epoch (or iteration) ``progress``."""
        return step_at(self.steps, progress)

    def current_step(self, runner) -> float:
        return self.step_at(runner.epoch if self.by_epoch else runner.iter)

    # -- model contract -------------------------------------------------------------------
    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _checked_model(self, runner):
        """The unwrapped model, after checking the contract (raises with what is wrong)."""
        model = self._model(runner)
        name = type(model).__name__
        buf = getattr(model, 'region_weights', None)
        if not isinstance(buf, Tensor) or buf.dim() != 2:
            got = tuple(buf.shape) if isinstance(buf, Tensor) else type(buf).__name__
            raise TypeError(f'{name}.region_weights must be a [C, R] tensor buffer, got {got!r}')
        if buf.shape[1] != len(self.region_names):
            raise ValueError(f'{name}.region_weights has {buf.shape[1]} regions but the hook '
                             f'names {len(self.region_names)}: {self.region_names!r}')
        if 'region_weights' not in dict(model.named_buffers(recurse=False)) or \
                'region_weights' not in model.state_dict():
            raise TypeError(f'{name}.region_weights must be a persistent registered buffer '
                            f'(register_buffer(..., persistent=True)) so that checkpoints keep it')
        cats = getattr(model, 'categories', None)
        if not isinstance(cats, (tuple, list)) or len(cats) != buf.shape[0] or \
                not all(isinstance(c, str) for c in cats):
            raise ValueError(f'{name}.categories must be a tuple of {buf.shape[0]} names (rows '
                             f'of region_weights), got {cats!r}')
        if not callable(getattr(model, 'plagiarism_distances', None)):
            raise TypeError(f'{name} must define plagiarism_distances(data_batch)')
        return model

    @staticmethod
    def _gather(out, num_categories: int, num_regions: int):
        """The batch's triplets (:func:`as_triplets`), from every rank when distributed."""
        if not isinstance(out, dict) or not {'category_index', 'd_ap', 'd_an'} <= set(out):
            raise ValueError(f'plagiarism_distances must return a dict with category_index, '
                             f'd_ap, d_an (and valid), got {out!r}')
        try:
            triplets = as_triplets(out['d_ap'], out['d_an'], out['category_index'],
                                   out.get('valid'), num_categories, num_regions)
        except ValueError as err:
            raise ValueError(f'plagiarism_distances(): {err}') from None
        if get_world_size() > 1:
            parts = all_gather_object(triplets)
            triplets = tuple(torch.cat([p[i] for p in parts]) for i in range(4))
        return triplets

    # -- hook points ----------------------------------------------------------------------
    def before_train(self, runner) -> None:
        model = self._checked_model(runner)
        check_weight_rows(model.region_weights, self.floor, tuple(model.categories))
        self._log(runner, model)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        model = self._model(runner)  # the full contract was checked in before_train
        with torch.no_grad():
            out = model.plagiarism_distances(data_batch)
        buf = model.region_weights
        idx, d_ap, d_an, valid = self._gather(out, buf.shape[0], buf.shape[1])
        if idx.numel() == 0:
            return
        new, _ = region_weight_cycle(buf, d_ap, d_an, idx, valid, self.current_step(runner),
                                     self.floor, self.margin, self.eps)
        with torch.no_grad():
            buf.copy_(new)

    def after_train_epoch(self, runner) -> None:
        self._log(runner, self._model(runner))

    def after_train(self, runner) -> None:
        model = self._model(runner)
        if is_main_process():
            atomic_write(osp.join(runner.work_dir, self.out_file),
                         json.dumps(self.table(model, runner), indent=2) + '\n', overwrite=True)

    # -- outputs --------------------------------------------------------------------------
    def _log(self, runner, model) -> None:
        weights = model.region_weights.detach().cpu().tolist()
        for cat, row in zip(model.categories, weights):
            for region, value in zip(self.region_names, row):
                runner.message_hub.update_scalar(f'train/lambda/{cat}/{region}', float(value))

    def table(self, model, runner=None) -> dict:
        """The weight table written to ``work_dir/<out_file>`` (json-ready dict)."""
        return region_weight_table(
            model.region_weights, model.categories, self.region_names,
            epoch=None if runner is None else int(runner.epoch),
            iter=None if runner is None else int(runner.iter),
            steps=[list(s) for s in self.steps], floor=self.floor, margin=self.margin)
