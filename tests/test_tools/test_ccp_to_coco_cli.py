"""tools/dataset_converters/ccp_to_coco.py: exit status when photos are left out."""
import json
import subprocess
import sys
from pathlib import Path

from tests.test_datasets.test_ccp import _make_root, ccp_root  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[2]


def _run(*args):
    return subprocess.run([sys.executable, 'tools/dataset_converters/ccp_to_coco.py',
                           *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_every_photo_rejected_exits_1_and_writes_nothing(tmp_path, ccp_root):  # noqa: F811
    root = _make_root(tmp_path, ccp_root, [])  # no label map at all
    out = tmp_path / 'out'
    proc = _run('--ccp-root', root, '--out-dir', out, '--split', 'val')
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.count('problem (val): ') == 140
    assert ('error: nothing converted: all 140 photos of split val were rejected (see the '
            'problem lines above); nothing written') in proc.stderr
    assert not (out / 'ccp_val.json').exists()


def test_one_empty_split_writes_no_split(tmp_path, ccp_root):  # noqa: F811
    root = _make_root(tmp_path, ccp_root, [561, 562])  # val photos only: train is empty
    out = tmp_path / 'out'
    proc = _run('--ccp-root', root, '--out-dir', out)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'all 560 photos of split train were rejected' in proc.stderr
    assert not (out / 'ccp_train.json').exists() and not (out / 'ccp_val.json').exists()


def test_dropped_photos_are_counted_on_the_last_line(tmp_path, ccp_root):  # noqa: F811
    root = _make_root(tmp_path, ccp_root, [561, 562, 563])
    out = tmp_path / 'out'
    proc = _run('--ccp-root', root, '--out-dir', out, '--split', 'val')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == (
        'dropped 137 of 140 photos (see the problem lines above)')
    coco = json.loads((out / 'ccp_val.json').read_text())
    assert [img['id'] for img in coco['images']] == [561, 562, 563]
