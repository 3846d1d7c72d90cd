"""Shared material of the bad-input tests: a tiny synthetic set, an untrained narrow PS-Net
checkpoint, a landmark checkpoint (another config's), and helpers that write benchmarks and
damaged image files and run ``tools/test.py``."""
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Callable, List, NamedTuple, Optional

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
PSNET_CONFIG = REPO / 'configs' / 'ps_net' / 'psnet-region-weights_hrnet-narrow_4e_synthetic-128.py'
LANDMARK_CONFIG = REPO / 'configs' / 'landmark' / 'psnet-landmark_hrnet-narrow_20e_synthetic-128.py'


class World(NamedTuple):
    set_root: Path  # the synthetic set (20 designs, 64 px, seed 21)
    checkpoint: Path  # an untrained narrow PS-Net of PSNET_CONFIG
    landmark_checkpoint: Path  # the landmark config's model: another config's checkpoint


def _save_model(config: Path, path: Path, scope: str, **changes) -> None:
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope, MODELS

    cfg = Config.fromfile(str(config))
    cfg.model.update(changes)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(cfg.model)
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=1)), path)


@pytest.fixture(scope='session')
def world(tmp_path_factory) -> World:
    import ps_net  # noqa: F401
    from ps_net.datasets.synthetic import generate_synthetic
    root = tmp_path_factory.mktemp('bad_inputs_world')
    generate_synthetic(str(root / 'set'), seed=21, num_designs=20, img_size=64)
    _save_model(PSNET_CONFIG, root / 'psnet.pth', 'mmpretrain', landmark_checkpoint=None)
    _save_model(LANDMARK_CONFIG, root / 'landmark.pth', 'mmpose')
    return World(root / 'set', root / 'psnet.pth', root / 'landmark.pth')


def read_pf(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def write_pf(path: Path, metainfo: dict, entries: List[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(metainfo=metainfo, data_list=entries), allow_nan=True))
    return path


def copy_split_images(world: World, dest: Path, splits=('val', 'test')) -> List[dict]:
    """Copy the images of ``splits`` under ``dest`` (same relative paths) and return their
    entries, in file order (each split's queries and gallery interleaved)."""
    import shutil
    entries = []
    for split in splits:
        data = read_pf(world.set_root / 'annotations' / f'pf_{split}.json')
        for entry in data['data_list']:
            target = dest / entry['img_path']
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(world.set_root / entry['img_path'], target)
            entries.append(entry)
    return entries


def set_metainfo(world: World) -> dict:
    return read_pf(world.set_root / 'annotations' / 'pf_test.json')['metainfo']


# --------------------------------------------------------------------------- damaged files
def png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header says ``width x height`` (its pixel data is empty)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))

    path.write_bytes(b'\x89PNG\r\n\x1a\n' +
                     chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)) +
                     chunk(b'IDAT', zlib.compress(b'')) + chunk(b'IEND', b''))


def truncate(path: Path) -> None:
    """Cut a JPEG after its header: PIL still reads its size, the decoder fails."""
    data = path.read_bytes()
    path.write_bytes(data[:len(data) * 3 // 4])


def random_bytes(path: Path, seed: int = 0) -> None:
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, 2000, np.uint8).tobytes())


def tiny_image(path: Path) -> None:
    Image.fromarray(np.full((1, 1, 3), 128, np.uint8)).save(path, 'JPEG')


def exif_rotated(path: Path, stored_wh, orientation: int = 6) -> None:
    """A JPEG stored ``stored_wh`` pixels with an EXIF orientation."""
    img = Image.fromarray(np.full((stored_wh[1], stored_wh[0], 3), 90, np.uint8))
    exif = img.getexif()
    exif[0x0112] = orientation
    img.save(path, 'JPEG', exif=exif.tobytes())


# --------------------------------------------------------------------------- the entry point
def run_test_tool(args: List[str], timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    return subprocess.run([sys.executable, 'tools/test.py'] + [str(a) for a in args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=timeout)


def psnet_args(world: World, work_dir: Path, *extra) -> List[str]:
    return [PSNET_CONFIG, world.checkpoint, '--work-dir', work_dir, *extra,
            '--cfg-options', 'model.landmark_checkpoint=None']


Mutate = Callable[[List[dict]], Optional[List[dict]]]
