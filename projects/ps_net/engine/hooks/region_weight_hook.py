"""PSNetRegionWeightHook: coordinate ascent on PS-Net's per-category region weights.

PS-Net (Lang et al., CVPR 2020, section 3.2, "Fine-tune Phase") learns region weights
``lambda`` (one row of R = 5 weights per garment category, each row summing to 1) by
coordinate ascent on the plagiarism loss, decoupled from the network's gradient update:

    (4)  L'_tri(I, I+, I-) = sum_{r=1..R} max(D_r(I, I+) - D_r(I, I-) + m, 0) * lambda_r
    (5)  alpha_tri = avg_r ||f_r(I) - f_r(I+)||_2 / max_r ||f_r(I) - f_r(I+)||_2
    (6)  L_pla = sum_{n=1..N} L'_tri(I, I+, I-) * alpha_tri

Step size ``Delta lambda`` 0.1, 0.05 after 40 epochs, 0.01 after 60 epochs.

Model contract (the hook uses nothing else; a model wrapper is unwrapped with
``mmengine.model.is_model_wrapper``):

* ``model.region_weights``: a persistent registered buffer of shape ``[C, R]`` (float), one
  row per category, each row >= ``floor`` and summing to 1 (start: all ``1 / R``). The hook
  writes accepted rows into it in place, so checkpoints, resume and ``state_dict`` keep them.
* ``model.categories``: tuple of the C category names (row order of the buffer).
* ``model.plagiarism_distances(data_batch) -> dict`` with ``category_index`` (T,) long in
  ``[0, C)``, ``d_ap`` (T, R) distances ``D_r(I, I+)``, ``d_an`` (T, R) distances
  ``D_r(I, I-)`` and optionally ``valid`` (T, R) bool (region present on I, I+ and I-;
  all True when absent), for the triplets of the (raw, not yet preprocessed) training batch
  in which I is an original design, I+ a plagiarised copy of it and I- another design of the
  same category; T may be 0. The hook calls it under ``torch.no_grad()`` without changing the
  train/eval mode, so the model must not disturb training state there (e.g. reuse the
  features cached by the training forward, or avoid updating BN statistics).

Per training iteration the hook gathers the triplets (from every rank when distributed, so
all ranks take the same decisions), and for each category present in them runs one cycle of
:func:`~ps_net.models.losses.coordinate_ascent_step` on that category's row with the
loss ``L_pla`` (eq. 6) of that category's triplets, in float64 on CPU; accepted rows are copied
into the buffer. Missing regions are dropped and the remaining weights of the triplet
renormalised as documented in :mod:`ps_net.models.losses.plagiarism`.
"""
import json
import math
import os.path as osp
from typing import Optional, Sequence, Tuple

import torch
from mmengine.dist import all_gather_object, get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import Tensor

from mmpretrain.registry import HOOKS

from ...datasets.pf_format import PF_REGIONS
from ...models.losses.plagiarism import coordinate_ascent_step, plagiarism_loss
from ...utils import atomic_write

DEFAULT_STEPS = ((0, 0.1), (40, 0.05), (60, 0.01))


def _check_steps(steps) -> Tuple[Tuple[int, float], ...]:
    try:
        pairs = tuple((s, v) for s, v in steps)
    except (TypeError, ValueError):
        raise ValueError(f'steps must be a sequence of (start, step) pairs, got {steps!r}') \
            from None
    if not pairs or pairs[0][0] != 0:
        raise ValueError(f'steps must be non-empty and start at 0, got {steps!r}')
    for i, (start, step) in enumerate(pairs):
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise ValueError(f'steps[{i}] start must be an int >= 0, got {start!r} in {steps!r}')
        if i and start <= pairs[i - 1][0]:
            raise ValueError(f'steps starts must increase strictly, got {steps!r}')
        if not isinstance(step, (int, float)) or not 0 < step < 1:
            raise ValueError(f'steps[{i}] step must be in (0, 1), got {step!r} in {steps!r}')
    return tuple((int(s), float(v)) for s, v in pairs)


@HOOKS.register_module()
class PSNetRegionWeightHook(Hook):
    """Learn the per-category region weights ``lambda`` of PS-Net by coordinate ascent.

    See the module docstring for the model contract and eq. 4-6.

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
            ``PF_REGIONS`` (left_sleeve, right_sleeve, collar, chest, waist).
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
        self.steps = _check_steps(steps)
        if not isinstance(floor, (int, float)) or not 0 <= floor < 1:
            raise ValueError(f'floor must be a number in [0, 1), got {floor!r}')
        if not isinstance(margin, (int, float)) or not 0 <= margin < math.inf:
            raise ValueError(f'margin must be a finite number >= 0, got {margin!r}')
        if not isinstance(eps, (int, float)) or not 0 <= eps < math.inf:
            raise ValueError(f'eps must be a finite number >= 0, got {eps!r}')
        region_names = tuple(PF_REGIONS if region_names is None else region_names)
        if not region_names or not all(isinstance(n, str) and n for n in region_names) or \
                len(set(region_names)) != len(region_names):
            raise ValueError(f'region_names must be distinct non-empty strings, got '
                             f'{region_names!r}')
        if not isinstance(out_file, str) or not out_file or osp.basename(out_file) != out_file:
            raise ValueError(f'out_file must be a plain file name, got {out_file!r}')
        if floor * len(region_names) > 1:
            raise ValueError(f'floor * R must be <= 1, got floor={floor!r} with '
                             f'{len(region_names)} regions')
        self.floor = float(floor)
        self.margin = float(margin)
        self.eps = float(eps)
        self.by_epoch = bool(by_epoch)
        self.region_names = region_names
        self.out_file = out_file

    # -- schedule -------------------------------------------------------------------------
    def step_at(self, progress: int) -> float:
        """The step size at 0-based epoch (or iteration) ``progress``."""
        step = self.steps[0][1]
        for start, value in self.steps:
            if progress >= start:
                step = value
        return step

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

    def _check_rows(self, buf: Tensor, cats) -> None:
        for c, row in enumerate(buf.detach().cpu().double()):
            if not torch.isfinite(row).all() or abs(float(row.sum()) - 1) > 1e-4 or \
                    float(row.min()) < self.floor - 1e-6:
                raise ValueError(f'region_weights row {c} ({cats[c]!r}) must be >= floor '
                                 f'{self.floor} and sum to 1, got {row.tolist()!r}')

    def _gather(self, out, num_categories: int, num_regions: int):
        if not isinstance(out, dict) or not {'category_index', 'd_ap', 'd_an'} <= set(out):
            raise ValueError(f'plagiarism_distances must return a dict with category_index, '
                             f'd_ap, d_an (and valid), got {out!r}')
        d_ap = torch.as_tensor(out['d_ap']).detach().to('cpu', torch.float64)
        d_an = torch.as_tensor(out['d_an']).detach().to('cpu', torch.float64)
        idx = torch.as_tensor(out['category_index']).detach().to('cpu', torch.long).reshape(-1)
        t = idx.numel()
        valid = out.get('valid')
        valid = torch.ones(t, num_regions, dtype=torch.bool) if valid is None else \
            torch.as_tensor(valid).detach().to('cpu') != 0
        for key, value in (('d_ap', d_ap), ('d_an', d_an), ('valid', valid)):
            if tuple(value.shape) != (t, num_regions):
                raise ValueError(f'plagiarism_distances()[{key!r}] must have shape (T, R) = '
                                 f'({t}, {num_regions}), got {tuple(value.shape)!r}')
        if t and (int(idx.min()) < 0 or int(idx.max()) >= num_categories):
            raise ValueError(f'plagiarism_distances()["category_index"] must lie in '
                             f'[0, {num_categories}), got {idx.tolist()!r}')
        if get_world_size() > 1:
            parts = all_gather_object((idx, d_ap, d_an, valid))
            idx, d_ap, d_an, valid = (torch.cat([p[i] for p in parts]) for i in range(4))
        return idx, d_ap, d_an, valid

    # -- hook points ----------------------------------------------------------------------
    def before_train(self, runner) -> None:
        model = self._checked_model(runner)
        self._check_rows(model.region_weights, tuple(model.categories))
        self._log(runner, model)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        model = self._model(runner)  # the full contract was checked in before_train
        with torch.no_grad():
            out = model.plagiarism_distances(data_batch)
        buf = model.region_weights
        idx, d_ap, d_an, valid = self._gather(out, buf.shape[0], buf.shape[1])
        if idx.numel() == 0:
            return
        step = self.current_step(runner)
        for c in torch.unique(idx).tolist():
            sel = idx == c
            a, n, v = d_ap[sel], d_an[sel], valid[sel]

            def loss_fn(w: Tensor, a=a, n=n, v=v) -> float:
                return float(plagiarism_loss(a, n, w, self.margin, v, self.eps))

            row = buf[c].detach().to('cpu', torch.float64)
            new_row, accepted = coordinate_ascent_step(loss_fn, row, step, self.floor)
            if accepted:
                with torch.no_grad():
                    buf[c].copy_(new_row)

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
        weights = model.region_weights.detach().cpu().tolist()
        return dict(
            regions=list(self.region_names),
            categories=list(model.categories),
            weights={cat: dict(zip(self.region_names, row))
                     for cat, row in zip(model.categories, weights)},
            epoch=None if runner is None else int(runner.epoch),
            iter=None if runner is None else int(runner.iter),
            steps=[list(s) for s in self.steps], floor=self.floor, margin=self.margin)
