"""Running ``tools/build_index.py`` in its own processes and comparing index files."""
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Sequence

import numpy as np

REPO = Path(__file__).resolve().parents[2]
BUILD_INDEX = REPO / 'tools' / 'build_index.py'


def tool_env() -> Dict[str, str]:
    """The environment of a build in a subprocess: one thread, the repo importable."""
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    env['PYTHONPATH'] = os.pathsep.join(p for p in (str(REPO), env.get('PYTHONPATH')) if p)
    return env


def build_command(config: str, checkpoint, gallery, out, *extra: str) -> list:
    return [sys.executable, str(BUILD_INDEX), config, str(checkpoint), '--gallery', str(gallery),
            '--out', str(out), *extra]


def run(cmd: Sequence[str], timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
    """Run ``cmd`` from the repo root with :func:`tool_env` and ``env`` added."""
    return subprocess.run(cmd, env=dict(tool_env(), **env), cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def assert_same_index(a: Path, b: Path, atol: float = 1e-5) -> None:
    """Two index files hold the same garments in the same order with the same metadata; float
    arrays equal up to ``atol`` (float rounding of the features), the rest exactly."""
    from ps_net.index.index_file import decode_index_file, section_array
    (meta_a, sec_a), (meta_b, sec_b) = (decode_index_file(Path(p).read_bytes()) for p in (a, b))
    assert {k: v for k, v in meta_a.items() if k != 'arrays'} == {
        k: v for k, v in meta_b.items() if k != 'arrays'}
    assert meta_a['arrays'] == meta_b['arrays']
    for name, spec in meta_a['arrays'].items():
        x = section_array(sec_a[f'array/{name}'], spec, name)
        y = section_array(sec_b[f'array/{name}'], spec, name)
        if x.dtype.kind == 'f':
            np.testing.assert_allclose(x, y, atol=atol, err_msg=name)
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)
