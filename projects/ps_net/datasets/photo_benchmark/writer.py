"""Build the real-photo plagiarism benchmark from a folder of garment photos.

Output (``OUT``):

* ``images/{train,val,test}/NNNNN_KK.jpg``: per design ``NNNNN`` its original (``KK = 00``,
  the query: the photo as read, JPEG quality ``query_quality``), its identical re-shot
  (``01``) and its plagiarized copies (``02``...), all re-shot (:mod:`.reshoot`); per
  distractor its re-shot (``00``);
* ``annotations/pf_{train,val,test}.json``: Plagiarized Fashion v1 files, checked by
  :func:`~ps_net.datasets.pf_format.dump_pf` before they are written; with a held-out family
  also ``pf_test_seen.json`` (the test split without the copies that use it) and
  ``pf_test_unseen.json`` (the test split without the copies that do not);
* ``test_photos.txt``: the photos (relative to ``--images``) behind the test split, for
  ``tools/make_synthetic.py --exclude-textures``;
* ``report.json``: counts, skipped photos, silhouette fallbacks, realised region shares, where
  the edits changed pixels (:func:`edit_locality`);
* ``contact_sheet.png``: :mod:`.contact_sheet` rows for ``sheet_per_category`` test designs
  of each category; ``operators.png``: every operator that applies to those designs, one row
  per design.

Entries carry, besides the format's fields, ``source_photo``, ``source_class``, ``role``
(``design`` or ``distractor``), ``silhouette`` (``grabcut``, or ``fallback: <check>``) and on
copies ``edit_ops`` (one dict per edit: ``kind``, ``op``, ``family``, ``regions``,
``params``). ``bbox`` and ``region_boxes`` are carried through every re-shot; a modified
region's box is grown to the zone its edit could change.

Donor patches (the prints and fabrics that ``print_swap`` and ``texture_swap`` paste) come
from designs of the same split, so no photo of the test split reaches a training image. The
folder is built in a hidden sibling and swapped in when complete
(:func:`~ps_net.utils.atomic_io.replace_folder`); the same photos, exclusions, seed and
settings give byte-identical annotation files and images.
"""
import dataclasses
import functools
import json
import multiprocessing
import os
import shutil
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ...structures import PSNET_CATEGORIES, REGIONS
from ...utils.atomic_io import atomic_write, remove_stale_temps, replace_folder, temp_path
from ..pf_format import PF_FORMAT_VERSION, dump_pf
from ..synthetic import EDIT_KINDS, PAPER_TABLE1
from ..synthetic.generator import die_with_parent
from ..synthetic.textures import PhotoExclusion
from .class_map import DESIGN_CLASSES, PHOTO_CLASSES
from .contact_sheet import assemble, cell, write_sheet
from .edit_ops import CHANGED_LEVEL, FAMILIES, KIND_REGIONS, apply_operator, operators_for
from .pixel_ops import FEATHER
from .edit_plan import make_copy
from .photos import BadPhoto, list_photos, load_photo, probe_photo
from .reshoot import ReshootConfig, encode_jpeg, map_boxes, reshoot
from .selection import Assignment, assign_photos
from .silhouette import SilhouetteConfig
from .survey import PhotoSurvey, survey_photo

Box = Tuple[int, int, int, int]

#: Bump when the builder changes what a given seed, photos and settings produce.
BUILDER_VERSION = 1
BUILDER_NAME = 'ps_net real-photo plagiarism benchmark'
SPLITS = ('train', 'val', 'test')
#: What ``--force`` may replace: a folder holding only these.
OUTPUTS = ('images', 'annotations', 'report.json', 'test_photos.txt', 'contact_sheet.png',
           'operators.png')


class NothingUsable(ValueError):
    """No photo could make a design (all missing, excluded or unreadable)."""


@dataclasses.dataclass(frozen=True)
class BenchmarkConfig:
    """Settings of one benchmark (all but the photos, exclusions, seed and output folder).

    Args:
        split_fractions: (train, val, test) shares of each photo class.
        copies: (fewest, most) plagiarized copies per design, drawn evenly.
        two_region_prob: probability that a copy edits a second region kind.
        holdout_family: operator family used only in the test split (one of
            :data:`~.edit_ops.FAMILIES`), or None.
        per_category: most designs per PS-Net category (None: every photo); the others are
            distractors.
        max_distractors: most distractors (None: all).
        max_side: longer side of the photos as read (larger ones are reduced).
        min_side: photos with a shorter side are skipped.
        query_quality: JPEG quality of the originals.
        sheet_per_category: test designs per category on the contact sheet and the operator
            sheet.
        silhouette: :class:`~.silhouette.SilhouetteConfig`.
        reshoot: :class:`~.reshoot.ReshootConfig`.
    """
    split_fractions: Tuple[float, float, float] = (0.6, 0.15, 0.25)
    copies: Tuple[int, int] = (2, 3)
    two_region_prob: float = 0.25
    holdout_family: Optional[str] = 'texture'
    per_category: Optional[int] = None
    max_distractors: Optional[int] = None
    max_side: int = 640
    min_side: int = 96
    query_quality: int = 95
    sheet_per_category: int = 2
    silhouette: SilhouetteConfig = SilhouetteConfig()
    reshoot: ReshootConfig = ReshootConfig()

    def __post_init__(self) -> None:
        fr = tuple(self.split_fractions)
        if len(fr) != 3 or min(fr) < 0 or abs(sum(fr) - 1) > 1e-6:
            raise ValueError(f'split_fractions must be 3 shares >= 0 summing to 1, got {fr!r}')
        lo, hi = self.copies
        if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi):
            raise ValueError(f'copies must be (fewest, most) ints with 1 <= fewest <= most, '
                             f'got {self.copies!r}')
        if not 0 <= self.two_region_prob <= 1:
            raise ValueError(f'two_region_prob must be in [0, 1], got {self.two_region_prob!r}')
        if self.holdout_family is not None and self.holdout_family not in FAMILIES:
            raise ValueError(f'holdout_family must be one of {FAMILIES} or None, got '
                             f'{self.holdout_family!r}')
        for name in ('per_category', 'max_distractors'):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f'{name} must be None or an int >= 0, got {value!r}')
        if not (isinstance(self.min_side, int) and isinstance(self.max_side, int)
                and 16 <= self.min_side <= self.max_side):
            raise ValueError(f'need 16 <= min_side <= max_side, got {self.min_side!r}, '
                             f'{self.max_side!r}')
        if not isinstance(self.sheet_per_category, int) or self.sheet_per_category < 0:
            raise ValueError(f'sheet_per_category must be an int >= 0, got '
                             f'{self.sheet_per_category!r}')
        if not 1 <= self.query_quality <= 100:
            raise ValueError(f'query_quality must be in 1-100, got {self.query_quality!r}')

    def to_dict(self) -> dict:
        """JSON-ready settings (recorded in every file's ``metainfo``)."""
        out = dataclasses.asdict(self)
        out['builder_version'] = BUILDER_VERSION
        return out


def check_out_dir(out_dir: str, images_dir: str, overwrite: bool) -> None:
    """Refuse an output folder the benchmark must not replace.

    A missing or empty folder is fine. Any other needs ``overwrite``, and then may hold
    nothing but an earlier benchmark (:data:`OUTPUTS`, with its ``report.json``), since the
    whole folder is replaced. The output may not hold the photos or lie among them.

    Raises:
        FileExistsError: naming what is in the way.
        ValueError: if the output and the photo folder overlap.
    """
    out, src = os.path.realpath(out_dir), os.path.realpath(images_dir)
    if out == src or out.startswith(src + os.sep) or src.startswith(out + os.sep):
        raise ValueError(f'--out {out_dir!r} and --images {images_dir!r} overlap; choose an '
                         f'output folder outside the photos')
    if not os.path.lexists(out_dir):
        return
    if not os.path.isdir(out_dir) or os.path.islink(out_dir):
        raise FileExistsError(f'{out_dir} exists and is not a folder')
    entries = sorted(os.listdir(out_dir))
    if not entries:
        return
    if not overwrite:
        raise FileExistsError(f'{out_dir} is not empty (it holds {entries[:5]!r}); pass '
                              f'--force to replace an earlier benchmark there')
    others = [e for e in entries if e not in OUTPUTS]
    report = os.path.join(out_dir, 'report.json')
    try:
        with open(report, encoding='utf-8') as f:
            ours = json.load(f).get('builder') == BUILDER_NAME
    except (OSError, ValueError, AttributeError):
        ours = False
    if others or not ours:
        what = f'holds {others!r} besides a benchmark' if others else \
            'holds no benchmark report.json'
        raise FileExistsError(f'{out_dir} {what}; --force replaces the whole folder, so it '
                              f'may hold nothing but an earlier benchmark')


# --------------------------------------------------------------------------- pass 1: survey
def _probe_task(task):
    images_dir, photo, config = task
    try:
        probe_photo(os.path.join(images_dir, photo.rel_path), config.min_side)
    except BadPhoto as err:
        return err
    return None


def _survey_task(task):
    images_dir, photo, config = task
    return survey_photo(images_dir, photo, config.max_side, config.min_side, config.silhouette)


def _map(fn: Callable, tasks: list, workers: int) -> list:
    if workers <= 1 or len(tasks) < 2:
        return [fn(t) for t in tasks]
    ctx = multiprocessing.get_context('fork' if os.name == 'posix' else 'spawn')
    with ctx.Pool(workers, initializer=die_with_parent, initargs=(os.getpid(), )) as pool:
        return pool.map(fn, tasks, chunksize=max(1, len(tasks) // (8 * workers)))


# --------------------------------------------------------------------------- pass 2: render
def _crop(rgb: np.ndarray, box, inner: float = 1.0) -> Optional[np.ndarray]:
    x1, y1, x2, y2 = box
    cx, cy, hw, hh = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) * inner / 2, (y2 - y1) * inner / 2
    x1, x2 = int(max(0, cx - hw)), int(min(rgb.shape[1], cx + hw))
    y1, y2 = int(max(0, cy - hh)), int(min(rgb.shape[0], cy + hh))
    return rgb[y1:y2, x1:x2].copy() if x2 - x1 >= 8 and y2 - y1 >= 8 else None


def _donors(images_dir: str, donor: Optional[PhotoSurvey], config: BenchmarkConfig
            ) -> Dict[str, Callable[[], Optional[np.ndarray]]]:
    """Lazy ``print`` (the donor's chest) and ``fabric`` (the middle of its waist) patches."""

    @functools.lru_cache(maxsize=1)
    def photo():
        if donor is None:
            return None
        return load_photo(os.path.join(images_dir, donor.photo.rel_path), config.max_side,
                          config.min_side)

    def patch(region: str, inner: float):
        rgb = photo()
        if rgb is None or region not in donor.boxes:
            return None
        return _crop(rgb, donor.boxes[region], inner)

    return {'print': lambda: patch('chest', 1.0), 'fabric': lambda: patch('waist', 0.5)}


def _union(a, b):
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _entry(survey: PhotoSurvey, role: str, rel_path: str, design_id: int, relation: str,
           split: str, bbox, boxes, modified=(), edits=None) -> dict:
    entry = dict(img_path=rel_path, split='query' if relation == 'original' and role == 'design'
                 else 'gallery', design_id=design_id, relation=relation,
                 category=survey.category, modified_regions=list(modified),
                 bbox=[round(float(v), 2) for v in bbox],
                 region_boxes={k: [round(float(v), 2) for v in b] for k, b in boxes.items()},
                 source_photo=survey.photo.rel_path, source_class=survey.photo.cls, role=role,
                 silhouette='grabcut' if survey.fallback is None
                 else f'fallback: {survey.fallback}')
    if edits is not None:
        entry['edit_ops'] = edits
    entry['data_split'] = split
    return entry


def _write(out_dir: str, rel_path: str, data: bytes) -> None:
    with open(os.path.join(out_dir, rel_path), 'wb') as f:
        f.write(data)


def _shot(rgb, rng, config, bbox, boxes):
    shot = reshoot(rgb, rng, config.reshoot)
    mapped = map_boxes(dict(boxes, __bbox__=bbox), shot.homography, shot.size)
    garment = mapped.pop('__bbox__', [0.0, 0.0, float(shot.size[0]), float(shot.size[1])])
    return shot, garment, mapped


def render_design(task) -> dict:
    """Write every picture of one design (or distractor) and return its entries, the number of
    copies that failed and, for contact-sheet designs, the sheet row."""
    images_dir, out_dir, seed, config, survey, assign, donor, on_sheet = task
    rgb = load_photo(os.path.join(images_dir, survey.photo.rel_path), config.max_side,
                     config.min_side)
    layout, did = survey.layout(), assign.index
    stem = f'images/{assign.split}/{did:05d}'
    if assign.role == 'distractor':
        shot, bbox, boxes = _shot(rgb, np.random.default_rng([seed, did, 2, 0]), config,
                                  survey.bbox, layout.boxes)
        _write(out_dir, f'{stem}_00.jpg', shot.jpeg)
        return dict(entries=[_entry(survey, 'distractor', f'{stem}_00.jpg', did, 'original',
                                    assign.split, bbox, boxes)], failed=0, row=None,
                    ops_row=None, locality=[])
    mask = survey.mask()
    entries, row = [], []
    _write(out_dir, f'{stem}_00.jpg', encode_jpeg(rgb, config.query_quality))
    entries.append(_entry(survey, 'design', f'{stem}_00.jpg', did, 'original', assign.split,
                          survey.bbox, layout.boxes))
    shot, bbox, boxes = _shot(rgb, np.random.default_rng([seed, did, 2, 0]), config,
                              survey.bbox, layout.boxes)
    _write(out_dir, f'{stem}_01.jpg', shot.jpeg)
    entries.append(_entry(survey, 'design', f'{stem}_01.jpg', did, 'identical', assign.split,
                          bbox, boxes))
    if on_sheet:
        row += [cell(rgb, 200, extra=list(layout.boxes.values()), outline=mask,
                     label=f'{did} {survey.category}'),
                cell(_decode(shot.jpeg), 200, extra=list(boxes.values()), label='identical')]
    rng = np.random.default_rng([seed, did, 1])
    n_copies = int(rng.integers(config.copies[0], config.copies[1] + 1))
    donors = _donors(images_dir, donor, config)
    failed, k, locality = 0, 2, []
    for c in range(n_copies):
        copy = make_copy(rgb, mask, layout, survey.category,
                         np.random.default_rng([seed, did, 3, c]), donors,
                         config.two_region_prob, config.holdout_family,
                         allow_holdout=assign.split == 'test')
        if copy is None:
            failed += 1
            continue
        boxes = dict(layout.boxes)
        for name, zone in copy.zones.items():
            boxes[name] = _union(boxes[name], zone) if name in boxes else zone
        diff = np.abs(copy.image.astype(np.int16) - rgb.astype(np.int16)).max(-1)
        locality.append(edit_locality(diff, layout.boxes, copy))
        ys, xs = np.nonzero(diff > CHANGED_LEVEL)
        garment = survey.bbox if not len(xs) else _union(
            survey.bbox, (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
        shot, bbox, mapped = _shot(copy.image, np.random.default_rng([seed, did, 4, c]), config,
                                   garment, boxes)
        rel = f'{stem}_{k:02d}.jpg'
        _write(out_dir, rel, shot.jpeg)
        entries.append(_entry(survey, 'design', rel, did, 'plagiarized', assign.split, bbox,
                              mapped, copy.modified_regions, copy.edits))
        if on_sheet:
            label = '+'.join(e['op'] for e in copy.edits)
            row += [cell(copy.image, 200, boxes=list(copy.zones.values()), label=label),
                    cell(_decode(shot.jpeg), 200,
                         boxes=[mapped[r] for r in copy.modified_regions if r in mapped],
                         label='re-shot')]
        k += 1
    ops_row = _operator_row(rgb, mask, layout, survey.category, donors, seed, did) \
        if on_sheet else None
    return dict(entries=entries, failed=failed, row=row or None, ops_row=ops_row,
                locality=locality)


def _operator_row(rgb, mask, layout, category, donors, seed, did) -> List[np.ndarray]:
    """Contact-sheet cells: the original, then every operator that applies to it (first of
    three draws that does), its zones outlined."""
    row = [cell(rgb, 200, extra=list(layout.boxes.values()), label=f'{did} {category}')]
    for kind, names in KIND_REGIONS.items():
        names = [n for n in names if n in layout.boxes]
        if not names:
            continue
        for j, op in enumerate(operators_for(kind, category)):
            for t in range(3):
                done = apply_operator(op, rgb, mask, layout, names,
                                      np.random.default_rng([seed, did, 9, j, t]), donors)
                if done is not None:
                    row.append(cell(done[0], 200, boxes=list(done[1].values()),
                                    label=f'{kind}: {op}'))
                    break
    return row


def edit_locality(diff: np.ndarray, boxes: Dict[str, Box], copy) -> dict:
    """Where a copy's edits changed pixels (``diff``: largest channel change, before the
    re-shot): changed pixels outside the zones its edits could change (``outside``, 0 by
    construction), changed pixels inside the other regions' boxes shrunk by the pixel edits'
    feather (``other``), the share of the change (by size) inside its modified regions' own
    boxes (``own``), and whether a shape edit was among its edits (``shape``)."""
    changed = diff > 0
    zone = np.zeros_like(changed)
    own = np.zeros_like(changed)
    for x1, y1, x2, y2 in copy.zones.values():
        zone[y1:y2, x1:x2] = True
    for name in copy.modified_regions:
        x1, y1, x2, y2 = boxes.get(name, copy.zones[name])
        own[y1:y2, x1:x2] = True
    pad = int(np.ceil(2 * FEATHER))
    other = sum(int(changed[y1 + pad:y2 - pad, x1 + pad:x2 - pad].sum())
                for name, (x1, y1, x2, y2) in boxes.items() if name not in copy.zones)
    total = float(diff.sum())
    return dict(outside=int((changed & ~zone).sum()), other=other,
                own=float(diff[own].sum()) / total if total else 1.0,
                shape=any(e['family'] == 'reshape' for e in copy.edits))


def _decode(jpeg: bytes) -> np.ndarray:
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR),
                        cv2.COLOR_BGR2RGB)


# --------------------------------------------------------------------------- files
def _families(entry: dict) -> set:
    return {e['family'] for e in entry.get('edit_ops', ())}


def pf_files(entries: List[dict], metainfo: dict, holdout: Optional[str]
             ) -> Dict[str, dict]:
    """The Plagiarized Fashion dicts to write, by file name."""
    files = {}
    for split in SPLITS:
        part = [{k: v for k, v in e.items() if k != 'data_split'} for e in entries
                if e['data_split'] == split]
        files[f'pf_{split}.json'] = dict(
            metainfo=dict(metainfo, dataset_name=f'{BUILDER_NAME} ({split})'), data_list=part)
        if split == 'test' and holdout is not None:
            for name, keep in (('seen', lambda e: holdout not in _families(e)),
                               ('unseen', lambda e: holdout in _families(e))):
                files[f'pf_test_{name}.json'] = dict(
                    metainfo=dict(metainfo, dataset_name=f'{BUILDER_NAME} (test, {name} '
                                  f'{holdout!r} edits)'),
                    data_list=[e for e in part if e['relation'] != 'plagiarized' or keep(e)])
    return files


def _report(photos_found: int, excluded: int, bad: List[BadPhoto],
            surveys: Dict[int, PhotoSurvey], assignments: List[Assignment], entries: List[dict],
            failed: int, seed: int, config: BenchmarkConfig, exclusion: PhotoExclusion,
            lists: Sequence[str]) -> dict:
    """The ``report.json`` dict (no timings or absolute paths, so it is reproducible too)."""
    assigned = {a.index: a for a in assignments}
    pairs = [(surveys[a.index], a) for a in assignments]
    splits = {}
    for split in SPLITS:
        part = [e for e in entries if e['data_split'] == split]
        copies = [e for e in part if e['relation'] == 'plagiarized']
        splits[split] = dict(
            queries=sum(e['split'] == 'query' for e in part),
            gallery=sum(e['split'] == 'gallery' for e in part),
            designs_by_category=dict(sorted(Counter(
                e['category'] for e in part if e['split'] == 'query').items())),
            distractors=sum(e['role'] == 'distractor' for e in part),
            identical=sum(e['relation'] == 'identical' for e in part), copies=len(copies),
            copies_by_family=dict(sorted(Counter(
                f for e in copies for f in sorted(_families(e))).items())),
            copies_with_holdout=sum(config.holdout_family in _families(e) for e in copies))
    fallbacks = [(s, a) for s, a in pairs if s.fallback]
    by_class = {}
    for cls in sorted({s.photo.cls for s, _ in pairs}):
        members = [s for s, _ in pairs if s.photo.cls == cls]
        by_class[cls] = dict(photos=len(members), fallbacks=sum(bool(s.fallback) for s in members))
    designs = [s for s, a in pairs if a.role == 'design']
    first_kinds: Dict[str, Counter] = {c: Counter() for c in PSNET_CATEGORIES}
    all_kinds: Dict[str, Counter] = {c: Counter() for c in PSNET_CATEGORIES}
    operators: Counter = Counter()
    for e in entries:
        for i, edit in enumerate(e.get('edit_ops', ())):
            all_kinds[e['category']][edit['kind']] += 1
            if i == 0:
                first_kinds[e['category']][edit['kind']] += 1
            operators[edit['op']] += 1

    def shares(counter):
        total = sum(counter.values())
        return {k: round(counter[k] / total, 3) for k in EDIT_KINDS} if total else {}

    return dict(
        builder=BUILDER_NAME, builder_version=BUILDER_VERSION, seed=seed,
        settings=config.to_dict(),
        photos=dict(found=photos_found, excluded=excluded, skipped=len(bad),
                    usable=photos_found - excluded - len(bad), used=len(assigned),
                    unused=photos_found - excluded - len(bad) - len(assigned),
                    skipped_by_reason=dict(sorted(Counter(b.reason for b in bad).items()))),
        skipped_photos=[dict(path=b.path, reason=b.reason, message=str(b)) for b in bad],
        exclusion=dict(lists=list(lists), entries=len(exclusion),
                       unmatched=exclusion.unmatched()[:50],
                       unmatched_count=len(exclusion.unmatched())),
        splits=splits, copies_failed=failed,
        designs_without_copies=sum(
            1 for d in {e['design_id'] for e in entries if e['split'] == 'query'}
            if not any(e['design_id'] == d and e['relation'] == 'plagiarized' for e in entries)),
        silhouette_fallbacks=dict(
            count=len(fallbacks), designs=sum(a.role == 'design' for _, a in fallbacks),
            rate=round(len(fallbacks) / max(len(surveys), 1), 4),
            design_rate=round(sum(a.role == 'design' for _, a in fallbacks)
                              / max(len(designs), 1), 4),
            by_reason=dict(sorted(Counter(s.fallback for s, _ in fallbacks).items())),
            by_class=by_class,
            photos=[dict(path=s.photo.rel_path, reason=s.fallback, role=a.role, split=a.split)
                    for s, a in fallbacks]),
        region_kinds=dict(table1=PAPER_TABLE1,
                          first_edit={c: shares(v) for c, v in first_kinds.items()},
                          all_edits={c: shares(v) for c, v in all_kinds.items()}),
        operators=dict(sorted(operators.items())))


def _locality_summary(rows: List[dict]) -> dict:
    """Totals and shares of :func:`edit_locality` over every copy."""
    out = dict(copies=len(rows), changed_outside_zones=sum(r['outside'] for r in rows),
               changed_in_other_regions=sum(r['other'] for r in rows))
    for kind, members in (('pixel', [r for r in rows if not r['shape']]),
                          ('shape', [r for r in rows if r['shape']])):
        own = [r['own'] for r in members]
        out[f'own_box_share_{kind}'] = dict(
            copies=len(own), mean=round(float(np.mean(own)), 4) if own else None,
            p5=round(float(np.percentile(own, 5)), 4) if own else None)
    return out


def build_benchmark(images_dir: str, out_dir: str, seed: int = 0,
                    config: Optional[BenchmarkConfig] = None, exclude: Sequence[str] = (),
                    exclude_lists: Sequence[str] = (), workers: int = 1,
                    overwrite: bool = False) -> dict:
    """Build the benchmark (see the module docstring) and return its report.

    Args:
        images_dir: ``<images>/<class>/*.jpg`` (``clothing-small/train``).
        out_dir: the output folder (missing, empty, or with ``overwrite`` an earlier
            benchmark).
        seed: the benchmark's seed.
        config: settings (default :class:`BenchmarkConfig`).
        exclude: photo paths never used (relative to ``images_dir`` or absolute; entries of
            :func:`~ps_net.datasets.synthetic.textures.read_photo_list`).
        exclude_lists: the list files they came from (recorded in the report).
        workers: processes.
        overwrite: replace an earlier benchmark in ``out_dir``.

    Raises:
        NothingUsable: when no photo can make a design (nothing is written).
        FileExistsError, ValueError: for an output folder that must not be replaced, or bad
            settings.
    """
    config = config or BenchmarkConfig()
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f'seed must be an int >= 0, got {seed!r}')
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f'workers must be an int >= 1, got {workers!r}')
    check_out_dir(out_dir, images_dir, overwrite)
    photos = list_photos(images_dir)
    exclusion = PhotoExclusion(exclude)
    kept = [p for p in photos
            if not exclusion.excludes(p.rel_path, os.path.join(images_dir, p.rel_path))]
    probed = _map(_probe_task, [(images_dir, p, config) for p in kept], workers)
    bad = [r for r in probed if r is not None]
    candidates = [p for p, r in zip(kept, probed) if r is None]
    assignments = assign_photos([p.cls for p in candidates], seed, config.split_fractions,
                                config.per_category, config.max_distractors)
    surveyed = _map(_survey_task, [(images_dir, candidates[a.index], config)
                                   for a in assignments], workers)
    surveys = {a.index: r for a, r in zip(assignments, surveyed) if not isinstance(r, BadPhoto)}
    bad += [r for r in surveyed if isinstance(r, BadPhoto)]  # decoding failed
    assignments = [a for a in assignments if a.index in surveys]
    if not any(a.role == 'design' for a in assignments):
        raise NothingUsable(
            f'no usable photo of a design class {sorted(DESIGN_CLASSES)} under {images_dir!r} '
            f'({len(photos)} photos of the classes {sorted(PHOTO_CLASSES)} found, '
            f'{len(photos) - len(kept)} excluded, {len(bad)} skipped); nothing written')
    tasks = _render_tasks(seed, config, surveys, assignments)

    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    remove_stale_temps(parent)
    staged = temp_path(out_dir, 'partial')
    os.mkdir(staged)
    try:
        for split in SPLITS:
            os.makedirs(os.path.join(staged, 'images', split))
        done = _map(render_design, [(images_dir, staged) + t for t in tasks], workers)
        entries = [e for d in done for e in d['entries']]
        failed = sum(d['failed'] for d in done)
        report = _report(len(photos), len(photos) - len(kept), bad, surveys, assignments,
                         entries, failed, seed, config, exclusion, exclude_lists)
        report['edit_locality'] = _locality_summary([x for d in done for x in d['locality']])
        _write_files(staged, entries, report, config, seed, os.path.basename(
            os.path.normpath(images_dir)), len(assignments))
        for key, name in (('row', 'contact_sheet.png'), ('ops_row', 'operators.png')):
            rows = [d[key] for d in done if d[key]]
            if rows:
                write_sheet(assemble(rows), os.path.join(staged, name))
        check_out_dir(out_dir, images_dir, overwrite)  # again: it may have changed meanwhile
        replace_folder(staged, out_dir)
    finally:
        if os.path.lexists(staged):
            shutil.rmtree(staged, ignore_errors=True)
    return report


def _render_tasks(seed: int, config: BenchmarkConfig, surveys: Dict[int, PhotoSurvey],
                  assignments: List[Assignment]) -> List[tuple]:
    """``(seed, config, survey, assignment, donor, on_sheet)`` per used photo: the donor is a
    seeded draw among the other designs of the same split; the sheet takes the first
    ``sheet_per_category`` test designs of each category."""
    by_split: Dict[str, List[int]] = {s: [] for s in SPLITS}
    for a in assignments:
        if a.role == 'design':
            by_split[a.split].append(a.index)
    sheet: Dict[str, int] = Counter()
    tasks = []
    for a in assignments:
        survey, donor, on_sheet = surveys[a.index], None, False
        if a.role == 'design':
            pool = [i for i in by_split[a.split] if i != a.index]
            if pool:
                donor = surveys[pool[int(np.random.default_rng([seed, a.index, 5]).integers(
                    len(pool)))]]
            if a.split == 'test' and sheet[survey.category] < config.sheet_per_category:
                sheet[survey.category] += 1
                on_sheet = True
        tasks.append((seed, config, survey, a, donor, on_sheet))
    return tasks


def _write_files(out_dir: str, entries: List[dict], report: dict, config: BenchmarkConfig,
                 seed: int, source: str, usable: int) -> None:
    ann_dir = os.path.join(out_dir, 'annotations')
    os.makedirs(ann_dir)
    metainfo = dict(format_version=PF_FORMAT_VERSION, categories=list(PSNET_CATEGORIES),
                    regions=list(REGIONS), source=f'{source}:{usable}', seed=seed,
                    holdout_family=config.holdout_family, settings=config.to_dict())
    for name, data in pf_files(entries, metainfo, config.holdout_family).items():
        dump_pf(data, os.path.join(ann_dir, name))
    test = sorted({e['source_photo'] for e in entries if e['data_split'] == 'test'})
    atomic_write(os.path.join(out_dir, 'test_photos.txt'),
                 '# photos behind the test split, relative to the --images folder\n'
                 + ''.join(f'{p}\n' for p in test))
    atomic_write(os.path.join(out_dir, 'report.json'), json.dumps(report, indent=1) + '\n')
