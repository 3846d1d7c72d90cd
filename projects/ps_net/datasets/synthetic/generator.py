"""The synthetic data set: designs, their copies and hard negatives, shot and annotated.

For each design (its own random stream, so designs can be made in any order and in parallel):
an original, ``num_identical`` re-shots of it, ``num_plagiarized`` copies with one or two regions
modified (see :mod:`.edits`) and re-shot, and ``num_irrelevant`` similar designs. Designs are
split into train / val / test by a seeded permutation, so no design crosses splits. The
:mod:`.writer` turns the records into the Plagiarized Fashion and COCO files.
"""
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from typing import Dict, List, Optional, Tuple

import numpy as np

from ...structures import df2_to_psnet
from ...structures.df2_layout import DF2_NUM_SLOTS, df2_slot_range
from .config import SyntheticConfig
from .edits import apply_edits, sample_edit_kinds, sample_irrelevant
from .garments import sample_shape
from .render import Design, FlatRender, render_flat, sample_design
from .reshoot import reshoot
from .textures import PhotoBank

SPLITS = ('train', 'val', 'test')

#: Smallest mean absolute change (0-255) inside the modified boxes for an edit to count.
MIN_EDIT_CHANGE = 0.5

_BANKS: Dict[Optional[str], PhotoBank] = {}


def photo_bank(texture_dir: Optional[str]) -> PhotoBank:
    """The (per process, cached) photo bank of a texture folder."""
    if texture_dir not in _BANKS:
        _BANKS[texture_dir] = PhotoBank(texture_dir)
    return _BANKS[texture_dir]


def split_designs(num_designs: int, seed: int, fractions) -> List[str]:
    """The split of each design index (a seeded permutation cut by the fractions)."""
    order = np.random.default_rng([seed, 7]).permutation(num_designs)
    n_train = int(round(num_designs * fractions[0]))
    n_val = int(round(num_designs * fractions[1]))
    split = np.empty(num_designs, dtype=object)
    split[order[:n_train]] = 'train'
    split[order[n_train:n_train + n_val]] = 'val'
    split[order[n_train + n_val:]] = 'test'
    return split.tolist()


def edit_change(a: FlatRender, b: FlatRender, regions: List[str]) -> float:
    """Mean absolute RGBA change inside the union of both renders' boxes of ``regions``."""
    diff = np.abs(a.image.astype(np.int16) - b.image.astype(np.int16)).max(-1)
    mask = np.zeros(diff.shape, bool)
    for r in regions:
        for boxes in (a.region_boxes, b.region_boxes):
            if r in boxes:
                x1, y1, x2, y2 = (int(round(v)) for v in boxes[r])
                mask[max(y1, 0):y2, max(x1, 0):x2] = True
    return float(diff[mask].mean()) if mask.any() else 0.0


def make_copy(design: Design, flat: FlatRender, size: int, rng: np.random.Generator,
              bank: PhotoBank, config: SyntheticConfig) -> Tuple[Design, List[str], FlatRender]:
    """A plagiarized copy: edit kinds by the configured shares, redrawn (same kinds) until
    the edit visibly changes its regions."""
    kinds = sample_edit_kinds(design.shape.category_id, config, rng)
    for _ in range(20):
        copy, regions = apply_edits(design, kinds, rng, bank, config.real_texture_prob)
        copy_flat = render_flat(copy, size, bank)
        if edit_change(flat, copy_flat, regions) >= MIN_EDIT_CHANGE:
            return copy, regions, copy_flat
    raise RuntimeError(f'could not make a visible {kinds} edit of a '
                       f'category {design.shape.category_id} design in 20 draws')


def sample_category(rng: np.random.Generator, config: SyntheticConfig) -> int:
    weights = config.weights()
    ids = sorted(weights)
    p = np.asarray([weights[i] for i in ids], np.float64)
    return ids[rng.choice(len(ids), p=p / p.sum())]


def design_records(task: Tuple) -> List[dict]:
    """Make, shoot and save every image of one design; return their annotation records."""
    seed, index, split, img_size, config, texture_dir, out_dir = task
    bank = photo_bank(texture_dir)
    rng = np.random.default_rng([seed, index, 0])
    cid = sample_category(rng, config)
    size = 2 * img_size
    original = sample_design(cid, rng, bank, config.real_texture_prob,
                             shape=sample_shape(cid, rng, config.long_sleeve_angle))
    flat = render_flat(original, size, bank)
    items: List[Tuple[str, int, List[str], FlatRender]] = [('original', 1, [], flat)]
    items += [('identical', 1, [], flat)] * config.num_identical
    for k in range(config.num_plagiarized):
        _, regions, copy_flat = make_copy(original, flat, size, rng, bank, config)
        items.append(('plagiarized', 2 + k, regions, copy_flat))
    for _ in range(config.num_irrelevant):
        other = sample_irrelevant(original, rng, bank, config.real_texture_prob,
                                  config.long_sleeve_angle)
        items.append(('irrelevant', 0, [], render_flat(other, size, bank)))
    records = []
    start, stop = df2_slot_range(cid)
    for k, (relation, style, regions, item_flat) in enumerate(items):
        shot = reshoot(item_flat, img_size, np.random.default_rng([seed, index, 1, k]), config)
        rel_path = f'images/{split}/{index:06d}_{k:02d}.jpg'
        path = os.path.join(out_dir, rel_path)
        with open(path, 'wb') as f:
            f.write(shot.jpeg)
        slots = np.zeros((DF2_NUM_SLOTS, 3))
        slots[start:stop] = shot.landmarks
        records.append(dict(
            img_path=rel_path, split='query' if relation == 'original' else 'gallery',
            design_id=index, relation=relation, category=df2_to_psnet(cid),
            modified_regions=regions, bbox=shot.bbox,
            landmarks=[[float(x), float(y), int(v)] for x, y, v in slots.tolist()],
            region_boxes=shot.region_boxes, df2_category_id=cid, style=style,
            source='shop' if relation == 'original' else 'user', width=img_size,
            height=img_size, segmentation=shot.segmentation, data_split=split))
    return records


def die_with_parent(parent_pid: int) -> None:
    """Pool initializer: end this worker as soon as its parent process ends, SIGKILL included.

    On Linux the kernel sends the worker SIGKILL when the parent dies
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread polls the parent pid every 0.2 s.
    Without it, the workers of a killed run go on writing images until their task chunk ends.
    """
    if sys.platform.startswith('linux'):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    else:
        def watch() -> None:
            while os.getppid() == parent_pid:
                time.sleep(0.2)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the death signal was set
        os._exit(1)


def generate_records(out_dir: str, seed: int, num_designs: int, img_size: int,
                     config: SyntheticConfig, texture_dir: Optional[str],
                     workers: int = 1) -> List[dict]:
    """Generate every design (in ``workers`` processes) and return the records in order."""
    splits = split_designs(num_designs, seed, config.split_fractions)
    for split in SPLITS:
        os.makedirs(os.path.join(out_dir, 'images', split), exist_ok=True)
    tasks = [(seed, i, splits[i], img_size, config, texture_dir, out_dir)
             for i in range(num_designs)]
    if workers <= 1:
        chunks = [design_records(t) for t in tasks]
    else:
        ctx = multiprocessing.get_context('fork' if os.name == 'posix' else 'spawn')
        with ctx.Pool(workers, initializer=die_with_parent, initargs=(os.getpid(), )) as pool:
            chunks = pool.map(design_records, tasks, chunksize=max(1, len(tasks) // (8 * workers)))
    return [r for chunk in chunks for r in chunk]


__all__ = ['SPLITS', 'generate_records', 'design_records', 'die_with_parent', 'make_copy',
           'split_designs', 'edit_change', 'photo_bank']
