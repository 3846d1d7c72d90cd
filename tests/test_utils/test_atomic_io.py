"""ps_net.utils.atomic_io: temporaries of killed writers are removed by the next write."""
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from ps_net.utils import atomic_io
from ps_net.utils.atomic_io import (STALE_TEMP_AGE, atomic_write, remove_stale_temps,
                                    replace_folder, temp_path, writer_alive)

REPO = Path(__file__).resolve().parents[2]

# A writer that hangs in fsync, i.e. after its temporary file is written and before the rename.
HANGING_WRITER = textwrap.dedent('''
    import os, sys, time
    from ps_net.utils import atomic_io
    os.fsync = lambda fd: time.sleep(600)
    atomic_io.atomic_write(sys.argv[1], b'half of it')
''')


def _ended_pid() -> int:
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def _touch(path: Path, age: float = 0.0) -> Path:
    path.write_bytes(b'x')
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def test_a_killed_writer_leaves_a_temporary_that_the_next_write_removes(tmp_path):
    target = tmp_path / 'index.json'
    proc = subprocess.Popen([sys.executable, '-c', HANGING_WRITER, str(target)], cwd=REPO)
    deadline = time.time() + 120
    while not list(tmp_path.glob('.index.json.*.tmp')):
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (left, ) = tmp_path.glob('.index.json.*.tmp')
    assert left.name.startswith(f'.index.json.{proc.pid}.') and not target.exists()

    atomic_write(tmp_path / 'other.json', 'new')  # any write to the folder cleans it
    assert sorted(p.name for p in tmp_path.iterdir()) == ['other.json']


def test_which_temporaries_are_removed(tmp_path):
    ended, alive = _ended_pid(), os.getppid()
    assert not writer_alive(ended) and writer_alive(alive) and writer_alive(os.getpid())
    hexa = uuid.uuid4().hex
    old = STALE_TEMP_AGE + 60
    keep = [
        _touch(tmp_path / f'.b.json.{alive}.{hexa}.tmp'),            # live writer
        _touch(tmp_path / f'.d.json.{hexa}.tmp'),                    # no pid, recent
        _touch(tmp_path / '.hidden.tmp', age=old),                   # not ours
        _touch(tmp_path / f'.f.json.{ended}.{hexa}.tmp.bak', age=old),
        _touch(tmp_path / 'notes.txt', age=old),
    ]
    gone = [
        _touch(tmp_path / f'.a.json.{ended}.{hexa}.tmp'),            # writer ended
        _touch(tmp_path / f'.c.json.{alive}.{hexa}.tmp', age=old),   # over an hour old
        _touch(tmp_path / f'.e.v1.json.{hexa}.tmp', age=old),        # old name, over an hour
    ]
    staged_ended = tmp_path / f'.set.{ended}.{hexa}.partial'
    (staged_ended / 'images').mkdir(parents=True)
    _touch(staged_ended / 'images' / 'a.jpg')
    staged_alive = tmp_path / f'.set.{alive}.{hexa}.partial'
    staged_alive.mkdir()
    then = time.time() - old
    os.utime(staged_alive, (then, then))  # a live build is never removed, however old
    keep.append(staged_alive)

    removed = remove_stale_temps(tmp_path)
    assert sorted(removed) == sorted(str(p) for p in gone + [staged_ended])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in keep)
    assert remove_stale_temps(tmp_path / 'missing') == []


def test_temp_path_names_this_process(tmp_path):
    name = Path(temp_path(tmp_path / 'pf.json', 'partial')).name
    prefix, pid, token, kind = name.rsplit('.', 3)
    assert (prefix, int(pid), len(token), kind) == ('.pf.json', os.getpid(), 32, 'partial')


@pytest.mark.parametrize('exchange', [True, False], ids=['renameat2', 'two-renames'])
def test_replace_folder(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(atomic_io, '_exchange', lambda a, b: False)
    dest = tmp_path / 'set'
    (dest / 'annotations').mkdir(parents=True)
    _touch(dest / 'annotations' / 'old.json')
    staged = Path(temp_path(dest, 'partial'))
    (staged / 'annotations').mkdir(parents=True)
    (staged / 'annotations' / 'new.json').write_text('new')
    replace_folder(staged, dest)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['set']
    assert [p.name for p in (dest / 'annotations').iterdir()] == ['new.json']

    fresh = tmp_path / 'fresh'
    staged = Path(temp_path(fresh, 'partial'))
    staged.mkdir()
    replace_folder(staged, fresh)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['fresh', 'set']
