"""Atomic, no-clobber writing of files and folders for everything the user keeps.

A file is written to a hidden temporary ``.<name>.<pid>.<uuid>.tmp`` beside it and renamed
into place; a folder (a data set) is built in a hidden sibling ``.<name>.<pid>.<uuid>.partial``
and swapped into place (:func:`replace_folder`). A writer killed midway leaves its temporary
behind; the next write to the same folder removes it (:func:`remove_stale_temps`).
"""
import ctypes
import errno
import os
import re
import shutil
import sys
import time
import uuid
from typing import List, Optional, Union

#: Seconds after which a temporary file is removed even when its writer seems alive (a
#: temporary older than that has outlived any write, or its pid was reused).
STALE_TEMP_AGE = 3600.0

# .<name>.<pid>.<32 hex>.tmp|partial; files of older versions have no pid
_TEMP_NAME = re.compile(
    r'\.(?P<name>.+?)\.(?:(?P<pid>[0-9]+)\.)?[0-9a-f]{32}\.(?P<kind>tmp|partial)')


def temp_path(path: Union[str, os.PathLike], kind: str = 'tmp') -> str:
    """A fresh hidden sibling of ``path`` that names this process: ``.<name>.<pid>.<uuid>.<kind>``.

    Example:
        >>> import os
        >>> name = os.path.basename(temp_path('/data/pf_train.json'))
        >>> name.startswith(f'.pf_train.json.{os.getpid()}.') and name.endswith('.tmp')
        True
    """
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    return os.path.join(folder, f'.{name}.{os.getpid()}.{uuid.uuid4().hex}.{kind}')


def writer_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie counts as ended).

    Example:
        >>> import os
        >>> writer_alive(os.getpid())
        True
    """
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except (OverflowError, ValueError, OSError):  # not a valid pid
        return False
    try:
        with open(f'/proc/{pid}/stat', 'rb') as f:
            return f.read().rsplit(b')', 1)[1].split()[0] != b'Z'
    except (OSError, IndexError):  # no /proc (macOS): trust kill(pid, 0)
        return True


def remove_stale_temps(folder: Union[str, os.PathLike], max_age: float = STALE_TEMP_AGE,
                       now: Optional[float] = None) -> List[str]:
    """Remove the temporaries of killed writers from ``folder``.

    A temporary file (``.tmp``) goes when the process named in it has ended or it is older
    than ``max_age`` seconds; a staging folder (``.partial``) only when its process has ended
    (a live build may take longer than any age). Other files are never touched.

    Args:
        folder: The folder to clean.
        max_age: Age in seconds (by modification time) beyond which a ``.tmp`` goes.
        now: The current time (``time.time()``), for tests.

    Returns:
        The paths removed.
    """
    now = time.time() if now is None else now
    removed: List[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if match is None:
            continue
        pid = match['pid']
        ended = pid is not None and not writer_alive(int(pid))
        try:
            if match['kind'] == 'tmp':
                if not (ended or now - entry.stat(follow_symlinks=False).st_mtime > max_age):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    continue
                os.unlink(entry.path)
            else:
                if not (ended and entry.is_dir(follow_symlinks=False)):
                    continue
                shutil.rmtree(entry.path)
        except FileNotFoundError:  # another process cleaned it first
            continue
        except OSError:
            continue
        removed.append(entry.path)
    return removed


def _exchange(a: str, b: str) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    if not sys.platform.startswith('linux'):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:  # glibc < 2.28
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # file system without exchange
        return False
    raise OSError(err, os.strerror(err), b)


def replace_folder(staged: Union[str, os.PathLike], dest: Union[str, os.PathLike]) -> None:
    """Put the fully written folder ``staged`` in the place of ``dest`` and delete the old one.

    ``staged`` must be a sibling of ``dest`` (same file system), e.g. from
    ``temp_path(dest, 'partial')``. A missing or empty ``dest`` is replaced by one rename; an
    existing one is swapped in one step where the system can (Linux ``renameat2``), so a kill
    at any moment leaves the old folder or the new one at ``dest``. Elsewhere the old folder is
    renamed aside first, and a kill between the two renames leaves no ``dest`` (readers fail
    on the missing folder instead of reading a mix). The old folder, left at the staged name,
    is then deleted.

    Raises:
        OSError: When ``dest`` cannot be replaced (a mount point, another file system).

    Example:
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp(); dest = os.path.join(root, 'set')
        >>> os.makedirs(os.path.join(dest, 'old')); new = temp_path(dest, 'partial')
        >>> os.makedirs(os.path.join(new, 'new')); replace_folder(new, dest)
        >>> os.listdir(dest), os.listdir(root)
        (['new'], ['set'])
    """
    staged, dest = os.fspath(staged), os.fspath(dest)
    if not os.path.lexists(dest):
        os.rename(staged, dest)
        return
    if not _exchange(staged, dest):
        aside = temp_path(dest, 'partial')
        os.rename(dest, aside)
        os.rename(staged, dest)
        staged = aside
    shutil.rmtree(staged, ignore_errors=True)


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
    renamed onto ``path``; temporaries of killed writers in that folder are removed first
    (:func:`remove_stale_temps`). Without ``overwrite`` an existing ``path`` is never replaced, even
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
    remove_stale_temps(os.path.dirname(os.path.abspath(path)))
    tmp = temp_path(path)
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
