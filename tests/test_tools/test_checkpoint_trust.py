"""tools/test.py refuses a checkpoint whose pickle would run code (docs/checkpoints.md)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.test_tools.test_train_test_tools import tiny_config  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[2]


class RunsCode:
    """Unpickling this runs ``exec``: it writes ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f'open({self.marker!r}, "w").write("ran")', )


@pytest.fixture
def evil_checkpoint(tmp_path):
    marker = tmp_path / 'ran.txt'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': {'epoch': 1}, 'payload': RunsCode(marker)}, path)
    torch.load(path, weights_only=False)  # the payload is live: a full unpickle runs it
    assert marker.read_text() == 'ran'
    marker.unlink()
    return path, marker


@pytest.mark.parametrize('env', [{}, {'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD': '1'}],
                         ids=['default', 'env-forces-full-unpickle'])
def test_test_tool_refuses_a_checkpoint_that_runs_code(tiny_config, evil_checkpoint,  # noqa
                                                       tmp_path, env):
    path, marker = evil_checkpoint
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', str(tiny_config), str(path), '--work-dir',
         str(tmp_path / 'work')], cwd=REPO, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1', **env))
    assert proc.returncode != 0
    assert not marker.exists(), 'the checkpoint ran code'
    assert 'exec' in proc.stderr and 'Weights only load failed' in proc.stderr


def test_download_loader_is_weights_only_too(evil_checkpoint, tmp_path, monkeypatch):
    """The http(s) loader, fed a file:// URL (urllib downloads it the same way)."""
    import pickle

    from mmengine.logging import HistoryBuffer

    from ps_net.engine.checkpoint_loader import load_from_http_trusted
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    path, marker = evil_checkpoint
    with pytest.raises(pickle.UnpicklingError, match='exec'):
        load_from_http_trusted(path.as_uri(), model_dir=str(tmp_path / 'cache'))
    assert not marker.exists()

    good = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.ones(2)},
                'message_hub': {'loss': HistoryBuffer([1.0, 2.0], [1, 1])}}, good)
    ckpt = load_from_http_trusted(good.as_uri(), model_dir=str(tmp_path / 'cache'))
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    assert ckpt['message_hub']['loss'].mean() == 1.5
