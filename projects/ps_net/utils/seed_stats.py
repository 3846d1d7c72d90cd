"""Mean and standard deviation of metrics over seeds (the "mean +/- std" of the results tables)."""
from typing import Dict, List, Mapping

import numpy as np


def aggregate_seeds(runs: List[Mapping[str, float]]) -> Dict[str, float]:
    """Average numeric metrics over runs; ``<key>_std`` (population std) sits beside each mean.

    Only keys present (and numeric) in every run are kept.

    Example:
        >>> aggregate_seeds([{'NE': 0.02, 'PCK': 0.9}, {'NE': 0.04, 'PCK': 0.8, 'x': 1}])
        {'NE': 0.03, 'NE_std': 0.01, 'PCK': 0.85, 'PCK_std': 0.05}
    """
    if not runs:
        raise ValueError('aggregate_seeds needs at least one run, got none')
    keys = [k for k in runs[0] if all(isinstance(r.get(k), (int, float))
                                       and not isinstance(r.get(k), bool) for r in runs)]
    out: Dict[str, float] = {}
    for k in keys:
        values = np.asarray([float(r[k]) for r in runs])
        out[k] = round(float(values.mean()), 6)
        out[f'{k}_std'] = round(float(values.std()), 6)
    return out
