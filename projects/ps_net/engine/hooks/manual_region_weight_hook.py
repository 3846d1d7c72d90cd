"""PSNetManualRegionWeightHook: fixed, hand-written region weights (PS-Net Table 2 "Manual").

The paper's "Manual" row scores eq. 1, s(I, I') = sum_r lambda_r cos(f_r(I), f_r(I')), with
region weights a person wrote down instead of learning them by coordinate ascent (eq. 4-6).
This hook writes such a table into the retriever's ``region_weights`` buffer before every
validation and test loop, i.e. *after* ``tools/test.py`` has loaded the checkpoint (whose
buffer holds the uniform or learned weights), so one trained network serves the
``NoManipulation``, ``Manual`` and ``Learned`` rows.

The weights are given per category in the config; each row is divided by its sum, so
``[2, 2, 1, 1, 2]`` and ``[0.25, 0.25, 0.125, 0.125, 0.25]`` mean the same.
"""
from typing import Dict, Mapping, Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpretrain.registry import HOOKS

from ...structures import REGIONS


def manual_weight_table(weights: Mapping[str, Sequence[float]], categories: Sequence[str],
                        regions: Sequence[str] = REGIONS) -> torch.Tensor:
    """The ``[C, R]`` table of ``weights`` in ``categories`` order, rows normalised to sum 1.

    Args:
        weights: ``{category: [w_1..w_R]}`` with non-negative numbers, a positive sum, and
            one entry for every name in ``categories`` (a ``'default'`` entry serves the
            categories not named).
        categories: the model's row order (``model.categories``).
        regions: region names, only for the length check and messages.

    Example:
        >>> manual_weight_table({'default': [2, 2, 1, 1, 2]}, ['dress']).tolist()
        [[0.25, 0.25, 0.125, 0.125, 0.25]]
    """
    if not isinstance(weights, Mapping) or not weights:
        raise ValueError(f'weights must be a non-empty dict {{category: [R weights]}}, got '
                         f'{weights!r}')
    unknown = set(weights) - set(categories) - {'default'}
    if unknown:
        raise ValueError(f'weights names unknown categories {sorted(unknown)!r}; the model has '
                         f'{list(categories)!r} (or use "default")')
    rows = []
    for cat in categories:
        row = weights.get(cat, weights.get('default'))
        if row is None:
            raise ValueError(f'weights has no row for category {cat!r} and no "default" row: '
                             f'got {sorted(weights)!r}')
        try:
            t = torch.as_tensor(row, dtype=torch.float64)
        except (TypeError, ValueError):
            raise ValueError(f'weights[{cat!r}] must be {len(regions)} numbers, got {row!r}') \
                from None
        if t.shape != (len(regions), ) or not torch.isfinite(t).all() or (t < 0).any() \
                or float(t.sum()) <= 0:
            raise ValueError(f'weights[{cat!r}] must be {len(regions)} finite numbers >= 0 with '
                             f'a positive sum (regions {list(regions)!r}), got {row!r}')
        rows.append(t / t.sum())
    return torch.stack(rows)


@HOOKS.register_module()
class PSNetManualRegionWeightHook(Hook):
    """Write a hand-made region weight table into the model before val and test.

    Args:
        weights: ``{category: [left_sleeve, right_sleeve, collar, chest, waist]}``; see
            :func:`manual_weight_table`.
        rationale: the one-line reason for these numbers (kept in the log next to the table,
            so a result can always be traced to why its weights were chosen).
    """

    priority = 'HIGH'  # before PSNetGalleryHook rebuilds the gallery (weights do not enter it)

    def __init__(self, weights: Dict[str, Sequence[float]],
                 rationale: Optional[str] = None) -> None:
        manual_weight_table(weights, list(weights or {}))  # early check of every row
        self.weights = dict(weights)
        self.rationale = rationale

    def _apply(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        buf = getattr(model, 'region_weights', None)
        if not isinstance(buf, torch.Tensor) or buf.dim() != 2:
            raise TypeError(f'{type(model).__name__} has no [C, R] region_weights buffer')
        if buf.shape[1] != len(REGIONS):
            raise ValueError(f'{type(model).__name__}.region_weights has {buf.shape[1]} regions, '
                             f'the manual table {len(REGIONS)} ({list(REGIONS)!r})')
        table = manual_weight_table(self.weights, model.categories)
        with torch.no_grad():
            buf.copy_(table.to(buf))
        runner.logger.info(f'manual region weights ({self.rationale or "no rationale"}): '
                           + '; '.join(f'{c}: {[round(v, 3) for v in row]}'
                                       for c, row in zip(model.categories, table.tolist())))

    def before_val(self, runner) -> None:
        self._apply(runner)

    def before_test(self, runner) -> None:
        self._apply(runner)
