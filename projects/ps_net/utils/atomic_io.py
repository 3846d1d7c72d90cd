"""Atomic, no-clobber file writing for everything the user keeps (annotations, indexes)."""
import os
import uuid
from typing import Union


def _commit(tmp: str, path: str, overwrite: bool) -> None:
    """Move ``tmp`` onto ``path``; without ``overwrite``, never replace an existing file."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic and fails if ``path`` exists
    except FileExistsError:
        raise FileExistsError(f'{path} exists; refusing to overwrite it') from None
    except OSError:  # file system without hard links: check, then rename
        if os.path.lexists(path):
            raise FileExistsError(f'{path} exists; refusing to overwrite it') from None
        os.replace(tmp, path)


def atomic_write(path: Union[str, os.PathLike], data: Union[str, bytes], *,
                 overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` so that a reader never sees a half-written file.

    The data goes to a temporary file in the same folder (flushed and synced), which is then
    renamed onto ``path``. Without ``overwrite`` an existing ``path`` is never replaced, even
    when it appears while the file is being written (the rename is a no-clobber hard link).

    Args:
        path: Output file (local).
        data: Text (written as UTF-8) or bytes.
        overwrite: Replace an existing ``path``. Defaults to False.

    Raises:
        FileExistsError: When ``path`` exists and ``overwrite`` is False (nothing is written).

    Example:
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), 'a.txt')
        >>> atomic_write(p, 'one'); atomic_write(p, 'two', overwrite=True); open(p).read()
        'two'
        >>> atomic_write(p, 'three')
        Traceback (most recent call last):
        ...
        FileExistsError: ... exists; refusing to overwrite it (pass overwrite=True)
    """
    path = os.fspath(path)
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(f'{path} exists; refusing to overwrite it (pass overwrite=True)')
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f'.{os.path.basename(path)}.{uuid.uuid4().hex}.tmp')
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data.encode('utf-8') if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        _commit(tmp, path, overwrite)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
