"""``--cfg-options`` that name a list entry by its ``type`` instead of its position.

mmengine's ``Config.merge_from_dict`` reaches into lists by index (``custom_hooks.1.steps``),
which silently targets another entry once an entry is added before it. Here a list position
may also be a type name: ``custom_hooks.PSNetRegionWeightHook.steps`` or
``param_scheduler.MultiStepLR.milestones``; it is resolved against the config being changed.
"""
from typing import Any, Dict, Mapping, Sequence


def type_index(entries: Sequence[Any], type_name: str, where: str = 'the list') -> int:
    """Index of the one entry of ``entries`` whose ``type`` is ``type_name``.

    Raises:
        KeyError: no entry has that type (the message lists the types there are).
        ValueError: several entries have it (name the one meant by its index).

    Example:
        >>> type_index([dict(type='A'), dict(type='B')], 'B')
        1
    """
    types = [e.get('type') if hasattr(e, 'get') else None for e in entries]
    hits = [i for i, t in enumerate(types) if t == type_name]
    if not hits:
        raise KeyError(f'{where} has no entry of type {type_name!r} (its types: {types})')
    if len(hits) > 1:
        raise ValueError(f'{where} has {len(hits)} entries of type {type_name!r} (at {hits}): '
                         f'name the one meant by its index')
    return hits[0]


def resolve_type_keys(cfg: Any, options: Mapping[str, Any]) -> Dict[str, Any]:
    """``options`` with every list position given as a type name replaced by its index in
    ``cfg`` (a ``Config`` or a dict); other keys are kept as they are.

    Example:
        >>> cfg = dict(custom_hooks=[dict(type='A'), dict(type='B', steps=[])])
        >>> resolve_type_keys(cfg, {'custom_hooks.B.steps': [1], 'train_cfg.max_epochs': 2})
        {'custom_hooks.1.steps': [1], 'train_cfg.max_epochs': 2}
    """
    resolved = {}
    for key, value in options.items():
        parts = key.split('.')
        node = cfg
        for i, part in enumerate(parts):
            if isinstance(node, (list, tuple)):
                if not part.isdigit():
                    parts[i] = str(type_index(node, part, '.'.join(parts[:i])))
                node = node[int(parts[i])]
            elif hasattr(node, 'keys') and part in node.keys():
                node = node[part]
            else:  # a new key: merge_from_dict creates it
                break
        resolved['.'.join(parts)] = value
    return resolved


def merge_cfg_options(cfg: Any, options: Mapping[str, Any]) -> None:
    """Merge ``--cfg-options`` into ``cfg`` as ``Config.merge_from_dict`` does, list entries
    also named by their type (:func:`resolve_type_keys`)."""
    cfg.merge_from_dict(resolve_type_keys(cfg, options))
