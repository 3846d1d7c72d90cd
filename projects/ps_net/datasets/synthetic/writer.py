"""Write the synthetic data set: Plagiarized Fashion files, COCO files, and the whole run.

``DIR/annotations/pf_{train,val,test}.json`` follow ``plagiarized-fashion-format.md`` (query =
originals, gallery = identical, plagiarized and irrelevant shots; landmarks in the DeepFashion2
294-slot layout, ``metainfo.landmark_layout = 'deepfashion2'``); ``coco_{split}.json`` hold the same
garments as COCO detection + keypoint annotations over the 13 DeepFashion2 categories (``pair_id``
= design id; ``style`` 1 for the original and identical shots, 2, 3, ... for the copies, 0 for the
hard negatives; ``source`` ``shop`` for originals, ``user`` otherwise), so mmdet and mmpose read
them as they read the converted DeepFashion2.

Outputs are byte-identical for the same seed, settings and texture photos, whatever the output
folder: paths are relative, there are no timestamps, floats are rounded.
"""
import os
import shutil
from typing import Dict, List, Optional, Sequence, Union

from ..deepfashion2 import df2_coco_categories, write_coco_json
from ...structures import PSNET_CATEGORIES, REGIONS
from ..pf_format import PF_FORMAT_VERSION, dump_pf
from ...utils.atomic_io import remove_stale_temps, replace_folder, temp_path
from .config import SyntheticConfig, settings_hash
from .generator import SPLITS, generate_records, photo_bank
from .textures import TexturePool

PF_KEYS = ('img_path', 'split', 'design_id', 'relation', 'category', 'modified_regions', 'bbox',
           'landmarks', 'region_boxes', 'df2_category_id')


def pf_file(records: List[dict], split: str, metainfo: dict) -> dict:
    """The Plagiarized Fashion dict of one split."""
    return dict(metainfo=dict(metainfo, dataset_name=f'ps_net synthetic ({split})'),
                data_list=[{k: r[k] for k in PF_KEYS} for r in records])


def coco_file(records: List[dict], info: dict) -> dict:
    """The COCO detection + keypoints dict of one split (one garment per image)."""
    images, annotations = [], []
    for i, r in enumerate(records, start=1):
        images.append(dict(id=i, file_name=r['img_path'], width=r['width'], height=r['height'],
                           design_id=r['design_id'], relation=r['relation']))
        x1, y1, x2, y2 = r['bbox']
        kpts = [v for point in r['landmarks'] for v in point]
        annotations.append(dict(
            id=i, image_id=i, category_id=r['df2_category_id'], bbox=[x1, y1, x2 - x1, y2 - y1],
            area=(x2 - x1) * (y2 - y1), iscrowd=0, segmentation=r['segmentation'],
            keypoints=kpts, num_keypoints=sum(1 for p in r['landmarks'] if p[2] > 0),
            pair_id=r['design_id'], style=r['style'], source=r['source']))
    return dict(info=info, images=images, annotations=annotations,
                categories=df2_coco_categories())


def generate_synthetic(out_dir: str, seed: int = 0, num_designs: int = 200,
                       img_size: int = 256, config: Optional[SyntheticConfig] = None,
                       texture_dir: Optional[str] = None, workers: int = 1,
                       overwrite: bool = False,
                       texture_exclude: Sequence[str] = ()) -> Dict[str, object]:
    """Generate a synthetic data set into ``out_dir``.

    The set is written into a hidden sibling folder ``.<name>.<pid>.<uuid>.partial`` (images,
    then the six annotation files) and swapped into place when complete
    (:func:`~ps_net.utils.atomic_io.replace_folder`), so a run killed at any moment leaves
    ``out_dir`` as it was (the old set, or no folder); the next run removes the staging folders
    of killed runs. With ``overwrite`` the whole folder is replaced, so it may hold nothing but
    a synthetic set (see :func:`check_out_dir`).

    Args:
        out_dir: output folder (created; a missing or empty one, or with ``overwrite`` an
            earlier set).
        seed: the data set's seed.
        num_designs: number of original designs (each gives ``1 + num_identical +
            num_plagiarized + num_irrelevant`` images).
        img_size: side of the square images, in pixels (>= 64).
        config: generator settings (default: the frozen defaults).
        texture_dir: ``clothing-small``-like folder of garment photos for real fabric and print
            crops, or None for procedural textures only.
        workers: processes to render designs in.
        overwrite: replace the set of an earlier run in ``out_dir``.
        texture_exclude: photos kept out of the texture pool (entries of exclusion lists, see
            :func:`~.textures.read_photo_list` and :class:`~.textures.PhotoExclusion`); the
            pool's size and the number kept out go to ``metainfo.texture_source``.

    Returns:
        A summary: counts per split, the settings hash, the texture source.

    Raises:
        ValueError: for a bad argument (the value is echoed), or exclusions that leave no
            texture photo.
        FileExistsError: if ``out_dir`` is neither missing nor empty and ``overwrite`` is
            False, or holds more than a synthetic set.
    """
    config = config or SyntheticConfig()
    if texture_dir is not None and texture_exclude:
        texture_dir = TexturePool(texture_dir, tuple(sorted(set(texture_exclude))))
    for name, value, low in (('num_designs', num_designs, 1), ('img_size', img_size, 64),
                             ('workers', workers, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f'{name} must be an int >= {low}, got {value!r}')
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f'seed must be an int >= 0, got {seed!r}')
    check_out_dir(out_dir, overwrite)
    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    remove_stale_temps(parent)  # staging folders of killed runs
    staged = temp_path(out_dir, 'partial')
    os.mkdir(staged)
    try:
        summary = _write_set(staged, seed, num_designs, img_size, config, texture_dir, workers)
        check_out_dir(out_dir, overwrite)  # again: the folder may have changed meanwhile
        replace_folder(staged, out_dir)
    finally:
        if os.path.lexists(staged):
            shutil.rmtree(staged, ignore_errors=True)
    return summary


def _write_set(out_dir: str, seed: int, num_designs: int, img_size: int,
               config: SyntheticConfig, texture_dir: Union[None, str, TexturePool],
               workers: int) -> Dict[str, object]:
    """Render the images and write the six annotation files into the fresh ``out_dir``."""
    bank = photo_bank(texture_dir)
    records = generate_records(out_dir, seed, num_designs, img_size, config, texture_dir,
                               workers)
    ann_dir = os.path.join(out_dir, 'annotations')
    os.makedirs(ann_dir)
    info = dict(description='ps_net synthetic garments', seed=seed, img_size=img_size,
                settings_hash=settings_hash(config), texture_source=bank.source,
                settings=config.to_dict())
    metainfo = dict(format_version=PF_FORMAT_VERSION, categories=list(PSNET_CATEGORIES),
                    regions=list(REGIONS), landmark_layout='deepfashion2', **info)
    summary: Dict[str, object] = dict(settings_hash=info['settings_hash'],
                                      texture_source=bank.source, images=len(records))
    for split in SPLITS:
        part = [r for r in records if r['data_split'] == split]
        dump_pf(pf_file(part, split, metainfo), os.path.join(ann_dir, f'pf_{split}.json'))
        write_coco_json(coco_file(part, info), os.path.join(ann_dir, f'coco_{split}.json'))
        summary[split] = dict(designs=len({r['design_id'] for r in part}), images=len(part))
    return summary


def check_out_dir(out_dir: str, overwrite: bool) -> None:
    """Refuse an ``out_dir`` that a new set must not replace.

    A missing or empty folder is fine. Without ``overwrite`` any other folder is refused (one
    with annotations, or with images but no annotations); with it, only a folder that holds a
    synthetic set and nothing else (``images/`` and the six ``annotations/`` files) may be
    replaced, as the whole folder is.

    Raises:
        FileExistsError: Naming what is in the way.
    """
    if not os.path.lexists(out_dir):
        return
    if not os.path.isdir(out_dir) or os.path.islink(out_dir):
        raise FileExistsError(f'{out_dir} exists and is not a folder')
    entries = sorted(os.listdir(out_dir))
    if not entries:
        return
    ann_dir = os.path.join(out_dir, 'annotations')
    names = [f'{kind}_{split}.json' for kind in ('pf', 'coco') for split in SPLITS]
    existing = [os.path.join(ann_dir, n) for n in names
                if os.path.exists(os.path.join(ann_dir, n))]
    if not overwrite:
        if existing:
            raise FileExistsError(f'{existing[0]} exists; pass overwrite=True (--force) to '
                                  f'replace the annotations of {out_dir}')
        if 'images' in entries:
            raise FileExistsError(f'{out_dir} holds images but no annotation files (left by an '
                                  f'interrupted run?); pass overwrite=True (--force) to '
                                  f'replace it')
        raise FileExistsError(f'{out_dir} is not empty (it holds {entries[:5]!r}); choose an '
                              f'empty or new folder')
    others = [e for e in entries if e not in ('images', 'annotations')]
    if os.path.isdir(ann_dir):
        others += [f'annotations/{n}' for n in sorted(os.listdir(ann_dir)) if n not in names]
    if others:
        raise FileExistsError(f'{out_dir} holds {sorted(others)!r} besides a synthetic set; '
                              f'overwrite (--force) replaces the whole folder, so move them '
                              f'away first')
