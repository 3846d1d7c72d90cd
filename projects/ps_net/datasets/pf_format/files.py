"""Plagiarized Fashion files: read and check, write atomically after checking, count."""
import json
import os
from typing import Any, Dict, Optional

from ...utils import atomic_write
from .constants import PF_RELATIONS
from .validation import PFFormatError, check_pf


def read_pf_json(path: str, backend_args: Optional[dict] = None) -> Any:
    """Parse a Plagiarized Fashion file as JSON (whatever its extension), without checking it.

    Args:
        path (str): Local path or any URI that ``mmengine.fileio`` can read.
        backend_args (dict, optional): Arguments of the ``mmengine.fileio`` backend.

    Returns:
        Any: The parsed JSON.

    Raises:
        PFFormatError: When the file is not valid JSON (the message names the file and the
            line and column of the syntax error).
    """
    from mmengine.fileio import get_text
    text = get_text(str(path), backend_args=backend_args)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise PFFormatError([f'{path}: not valid JSON: {err}'], str(path)) from err


def load_pf(path: str, backend_args: Optional[dict] = None) -> dict:
    """Read and check a Plagiarized Fashion file.

    Args:
        path (str): Local path or any URI that ``mmengine.fileio`` can read.
        backend_args (dict, optional): Arguments of the ``mmengine.fileio`` backend.

    Returns:
        dict: The file's ``{'metainfo': ..., 'data_list': ...}``.

    Raises:
        PFFormatError: When the file is not JSON or breaks the format (every problem listed).
    """
    data = read_pf_json(path, backend_args)
    check_pf(data, str(path))
    return data


def pf_to_json(data: dict) -> str:
    """The canonical text of a Plagiarized Fashion dict: UTF-8, 2-space indent, one entry of
    ``data_list`` per line (an entry with 294 landmarks stays one line), final newline.

    Example:
        >>> print(pf_to_json({'metainfo': {'format_version': 1}, 'data_list': [{'a': [1, 2]}]}))
        {
          "metainfo": {
            "format_version": 1
          },
          "data_list": [
            {"a":[1,2]}
          ]
        }
        <BLANKLINE>
    """
    parts = []
    for key, value in data.items():
        if key == 'data_list' and isinstance(value, list) and value:
            rows = ',\n'.join('    ' + json.dumps(e, ensure_ascii=False, separators=(',', ':'))
                              for e in value)
            text = '[\n' + rows + '\n  ]'
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace('\n', '\n  ')
        parts.append(f'  {json.dumps(key, ensure_ascii=False)}: {text}')
    return '{\n' + ',\n'.join(parts) + '\n}\n'


def dump_pf(data: dict, path: str, *, overwrite: bool = False) -> None:
    """Check ``data`` and write it atomically to ``path`` (temp file, then rename).

    A reader never sees a half-written file: the text goes to a temporary file in the same
    folder, which is then renamed. Without ``overwrite`` an existing ``path`` is never replaced,
    even when it appears while the file is being written (the rename is a no-clobber hard link).

    Args:
        data (dict): The Plagiarized Fashion dict.
        path (str): Output file (local).
        overwrite (bool): Replace an existing ``path``. Defaults to False.

    Raises:
        PFFormatError: When ``data`` breaks the format (nothing is written).
        FileExistsError: When ``path`` exists and ``overwrite`` is False.
    """
    path = os.fspath(path)
    check_pf(data, path)
    atomic_write(path, pf_to_json(data), overwrite=overwrite)


def pf_summary(data: dict) -> Dict[str, Any]:
    """Counts of a valid Plagiarized Fashion dict.

    Args:
        data (dict): A dict that passes :func:`check_pf`.

    Returns:
        dict: ``entries``, ``query``, ``gallery`` (ints) and ``relations`` (relation -> count,
        every relation of :data:`PF_RELATIONS` present, zeros included).

    Examples:
        >>> pf_summary({'metainfo': {}, 'data_list': [
        ...     {'split': 'query', 'relation': 'original'},
        ...     {'split': 'gallery', 'relation': 'plagiarized'}]})['relations']['plagiarized']
        1
    """
    entries = data['data_list']
    relations = {r: 0 for r in PF_RELATIONS}
    for entry in entries:
        relations[entry['relation']] += 1
    return dict(entries=len(entries),
                query=sum(e['split'] == 'query' for e in entries),
                gallery=sum(e['split'] == 'gallery' for e in entries),
                relations=relations)
