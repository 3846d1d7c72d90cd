"""tools/make_synthetic.py killed midway: the folder keeps the old set, workers die, the next
run cleans up; a folder with images but no annotations is not overwritten without --force."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ps_net.datasets.pf_format import load_pf
from ps_net.datasets.synthetic import generate_synthetic
from tests.conftest import load_tool

REPO = Path(__file__).resolve().parents[2]
tool = load_tool('tools/make_synthetic.py')

pytestmark = pytest.mark.skipif(not sys.platform.startswith('linux'),
                                reason='reads /proc to find the pool workers')


def _files(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob('*')) if p.is_file()}


def _children(pid: int) -> list:
    children = []
    for task in Path(f'/proc/{pid}/task').iterdir():
        text = (task / 'children').read_text().split()
        children += [int(c) for c in text]
    return children


def _running(pid: int) -> bool:
    try:
        state = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != 'Z'


def _new_images(parent: Path, since: float) -> list:
    return [p for p in parent.rglob('*.jpg') if p.stat().st_mtime > since]


def _start(out: Path, *extra) -> subprocess.Popen:
    """The tool on 400 designs (chunks of 25 designs a worker), output to a log file (a pipe
    would stay open while a worker lives)."""
    args = [sys.executable, 'tools/make_synthetic.py', '--out', str(out), '--seed', '5',
            '--num-designs', '400', '--img-size', '64', '--workers', '2', '--texture-dir',
            'none', *extra]
    log = open(out.parent / f'{out.name}.log', 'wb')
    return subprocess.Popen(args, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, OMP_NUM_THREADS='1'))


def _kill_after_first_images(proc: subprocess.Popen, parent: Path, since: float) -> list:
    """SIGKILL ``proc`` once its first images are on disk; return its pool workers' pids."""
    deadline = time.time() + 240
    while not _new_images(parent, since):
        assert proc.poll() is None, 'the tool ended before writing an image'
        assert time.time() < deadline, 'no image appeared'
        time.sleep(0.05)
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return workers


def test_kill_during_force_keeps_the_old_set_and_ends_the_workers(tmp_path):
    out = tmp_path / 'set'
    generate_synthetic(str(out), seed=1, num_designs=3, img_size=64, texture_dir=None)
    before = _files(out)
    since = time.time()

    proc = _start(out, '--force')
    workers = _kill_after_first_images(proc, tmp_path, since)
    assert len(workers) == 2
    time.sleep(0.3)
    assert [w for w in workers if _running(w)] == []  # died with their parent
    count = len(list(tmp_path.rglob('*.jpg')))
    time.sleep(1.0)
    assert len(list(tmp_path.rglob('*.jpg'))) == count  # nobody writes any more

    assert _files(out) == before  # the old set, byte for byte, and nothing of the new one
    for split in ('train', 'val', 'test'):
        load_pf(str(out / 'annotations' / f'pf_{split}.json'))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ('set', 'set.log')]
    assert len(leftovers) == 1 and leftovers[0].startswith(f'.set.{proc.pid}.')

    # the next run replaces the set and removes the killed run's staging folder
    assert tool.main(['--out', str(out), '--seed', '2', '--num-designs', '2', '--img-size',
                      '64', '--workers', '1', '--texture-dir', 'none', '--force']) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ['set', 'set.log']
    assert len(load_pf(str(out / 'annotations' / 'pf_train.json'))['data_list']) > 0
    assert sorted(p.name for p in out.iterdir()) == ['annotations', 'images']


def test_kill_of_a_first_run_leaves_no_set(tmp_path):
    out = tmp_path / 'fresh'
    since = time.time()
    proc = _start(out)
    _kill_after_first_images(proc, tmp_path, since)
    assert not out.exists()  # readers fail on the missing folder; no partial set to read


def test_images_without_annotations_need_force(tmp_path, capsys):
    out = tmp_path / 'set'
    (out / 'images' / 'train').mkdir(parents=True)
    (out / 'images' / 'train' / '000000_00.jpg').write_bytes(b'old')
    args = ['--out', str(out), '--seed', '2', '--num-designs', '2', '--img-size', '64',
            '--workers', '1', '--texture-dir', 'none']
    assert tool.main(args) == 2
    err = capsys.readouterr().err
    assert f'{out} holds images but no annotation files' in err and '--force' in err
    assert (out / 'images' / 'train' / '000000_00.jpg').read_bytes() == b'old'
    assert tool.main(args + ['--force']) == 0
    assert (out / 'annotations' / 'pf_train.json').is_file()
    assert b'old' not in _files(out).values()  # the whole folder was replaced


def test_force_never_deletes_other_files(tmp_path, capsys):
    out = tmp_path / 'data'
    generate_synthetic(str(out), seed=1, num_designs=2, img_size=64, texture_dir=None)
    (out / 'notes.txt').write_text('mine')
    (out / 'annotations' / 'pf_train_crops.json').write_text('{}')
    args = ['--out', str(out), '--seed', '2', '--num-designs', '2', '--img-size', '64',
            '--workers', '1', '--texture-dir', 'none', '--force']
    assert tool.main(args) == 2
    err = capsys.readouterr().err
    assert "['annotations/pf_train_crops.json', 'notes.txt']" in err
    assert (out / 'notes.txt').read_text() == 'mine'
