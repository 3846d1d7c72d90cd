"""tools/build_index.py killed with SIGKILL midway: the previous index stays as it was and the
rerun resumes from the embedded chunks to the index an uninterrupted build writes; chunks of
another model's build are never reused."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.conftest import load_tool
from tests.search_world import CONFIG, world  # noqa: F401  (a fixture)

from .index_build_helpers import REPO, assert_same_index, build_command, tool_env


@pytest.fixture
def tool():
    return load_tool('tools/build_index.py')


def _catalogue(world, folder, n: int = 7) -> list:
    """A folder gallery of ``n`` of the world's gallery images, ``0.jpg`` .. in id order."""
    folder.mkdir()
    images = [world.data_root / e['img_path'] for e in world.gallery()[:n]]
    for i, src in enumerate(images):
        shutil.copy(src, folder / f'{i}.jpg')
    return images


def _wait_for(path, proc, timeout: float = 300.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f'the build ended early with status {proc.returncode}'
        assert time.monotonic() < end, f'{path} did not appear within {timeout} s'
        time.sleep(0.05)


def test_sigkill_midway_keeps_the_old_index_and_the_rerun_resumes(world, tool, tmp_path,
                                                                  capsys):
    folder = tmp_path / 'catalogue'
    images = _catalogue(world, folder)
    # the last garment is a FIFO: reading it blocks until something writes to it, so the build
    # is certainly midway (chunks 0-2 of 2 garments written, chunk 3 open) when it is killed
    blocker = folder / '7.jpg'
    os.mkfifo(blocker)
    out = tmp_path / 'catalogue.psidx'
    shutil.copy(world.index, out)  # the previous index, to be replaced by --overwrite
    before = out.read_bytes()
    parts = tmp_path / 'catalogue.psidx.parts'
    args = ['--batch-size', '2', '--chunk-size', '2', '--overwrite']
    with open(tmp_path / 'killed.log', 'w') as log:
        proc = subprocess.Popen(build_command(CONFIG, world.checkpoint, folder, out, *args),
                                env=tool_env(), cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for(parts / 'chunk_000002.npz', proc)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert out.read_bytes() == before  # the previous index is intact
    names = sorted(p.name for p in parts.iterdir() if not p.name.startswith('.'))
    assert names == [f'chunk_00000{c}.npz' for c in range(3)] + ['manifest.json']

    blocker.unlink()
    shutil.copy(images[0], blocker)  # the stalled file arrives
    assert tool.main(build_command(CONFIG, world.checkpoint, folder, out, *args)[2:]) == 0
    printed = capsys.readouterr().out
    assert 'resumed: 3 of 4 chunks were already done' in printed
    assert 'indexed 8 of 8 entries; skipped 0' in printed
    assert not parts.exists()

    reference = tmp_path / 'uninterrupted.psidx'
    assert tool.main(build_command(CONFIG, world.checkpoint, folder, reference, *args)[2:]) == 0
    assert_same_index(out, reference, atol=1e-4)  # chunks 0-2 came from the killed process


def test_chunks_of_another_model_are_discarded(world, tool, tmp_path, monkeypatch, capsys):
    """A build interrupted with another checkpoint (another fingerprint) leaves chunks of its
    features; the build with this model redoes every chunk."""
    out = tmp_path / 'g.psidx'
    args = ['--batch-size', '4', '--chunk-size', '4']
    real = tool.embed_chunk
    calls = []

    def crash_after_first(*a, **k):
        if calls:
            raise RuntimeError('killed after the first chunk')
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(tool, 'embed_chunk', crash_after_first)
    with pytest.raises(RuntimeError, match='killed'):
        tool.main(build_command(CONFIG, world.other_checkpoint, world.pf_test, out, *args)[2:])
    assert (tmp_path / 'g.psidx.parts' / 'chunk_000000.npz').exists()

    redone = []
    monkeypatch.setattr(tool, 'embed_chunk', lambda *a, **k: redone.append(1) or real(*a, **k))
    assert tool.main(build_command(CONFIG, world.checkpoint, world.pf_test, out, *args)[2:]) == 0
    printed = capsys.readouterr().out
    assert 'holds chunks of another build: discarded (fingerprint differs)' in printed
    assert len(redone) == 3 and 'resumed' not in printed
    assert_same_index(out, world.index, atol=1e-4)
