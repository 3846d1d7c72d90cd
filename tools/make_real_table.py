"""Train and test every row of the real-photo table (``make real-table``).

Example::

    python tools/make_real_table.py --seeds 0 1 2 --work-dir work_dirs/table_real

The benchmark (``--data-root``, default ``data/photo_benchmark``, the configs' data root) is
built first if it is missing, by ``tools/make_plagiarism_benchmark.py`` from ``--images``
(default ``$PSNET_SHARED_DATA/clothing-small/train``) with ``--benchmark-seed``; the seeds vary
the training only. Rows, all EfficientNet-Lite0 at 192 px, scored on the benchmark's test split
with the spec's metric:

======================================  ======================================================
row                                     what
======================================  ======================================================
(a) ImageNet, crop                      ImageNet backbone as it is, global pooling, cosine
(a) ImageNet, whole photo               the same on the whole photo
(a) ImageNet, stride-16 map             the same on the stride-16 map (the map PS-Net pools)
(a2) SSCD fine-tune                     global embedding fine-tuned with two-view InfoNCE
Traditional (SSCD, stride-16 map)       (a2)'s backbone, stride-16 map globally pooled
(c) triplet                             the CBAM paper's models: (a) fine-tuned with the
(c) triplet + SE                        triplet loss, Euclidean ranking; plain, SE or CBAM
(c) triplet + CBAM                      blocks at two places
(b) ImageNet regions                    (a)'s map pooled over the 5 template regions, uniform
(b) SSCD regions                        (a2)'s map pooled over the 5 template regions, uniform
PS-Net ImageNet, uniform                5 template regions on (a)'s stride-16 map, uniform
PS-Net ImageNet, Learned                the same, region weights fitted on val (eq. 4-6)
NoManipulation                          5 template regions on (a2)'s stride-16 map, uniform
Manual                                  the same, hand-written weights
Learned                                 the same, region weights fitted on val (shipped)
Oracle                                  the same, per-category weights chosen on test
PCB                                     6 stripes on (a2)'s stride-16 map, uniform
PS-Net landmark regions, uniform        the regions divided from the landmarks of the photo
PS-Net landmark regions, Learned        landmark model, on (a2)'s stride-16 map
(e) synthetic Learned                   ``make table``'s networks (HRNet-narrow from scratch on
(e) synthetic NoManipulation            the embedded synthetic set, 128 px) as they are,
(e) synthetic Traditional               scored on the photos: transfer
======================================  ======================================================

The PS-Net rows need no training of their own: the network is the (a2) fine-tune of the same
seed (or the ImageNet backbone), its stride-16 map pooled over the five template regions of
the garment crop (or divided from the landmarks of the photo landmark model, trained once on a
synthetic set with real-photo fabrics written to ``--synthetic-root``, without the benchmark's
test photos nor the landmark validation photos); only the region weights are fitted. Rows
without training ((a), (b) ImageNet, PS-Net ImageNet uniform) are the same for every seed. The
(e) rows take their networks from ``make table``'s work dir (``--synthetic-table-dir``, default
``work_dirs/table_synthetic``), trained there by :class:`make_table.TableRun` on the embedded
synthetic set (``data/synthetic``, generated when missing) unless that run already left them.
A stage whose output exists is skipped (a rerun continues where it stopped; a killed training
resumes). Outputs in ``WORK_DIR``: ``table.json`` / ``table.md`` (mean and population std over
the seeds, percent), ``timings.json`` (seconds per stage) and, per seed, every checkpoint under
``WORK_DIR/seed<N>/<network>/``.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(ROOT, 'tools')
sys.path.insert(0, TOOLS)
import make_table  # noqa: E402
from make_table import (aggregate_tables, last_checkpoint, merge_timings,  # noqa: E402
                        row_from_metrics, run_stage)

GLOBAL = 'configs/real/global_efficientnet-lite0_imagenet-0e_photos-192.py'
GLOBAL_WHOLE = 'configs/real/global_efficientnet-lite0_imagenet-0e_photos-whole-192.py'
GLOBAL_S16 = 'configs/real/global-s16_efficientnet-lite0_imagenet-0e_photos-192.py'
GLOBAL_S16_SSCD = 'configs/real/global-s16_efficientnet-lite0_sscd-2e_photos-192.py'
SSCD = 'configs/real/sscd_efficientnet-lite0_2e_photos-192.py'
REGIONS = 'configs/real/regions_efficientnet-lite0_imagenet-0e_photos-192.py'
REGIONS_SSCD = 'configs/real/regions_efficientnet-lite0_sscd-2e_photos-192.py'
PSNET_IMAGENET = 'configs/real/psnet-template_efficientnet-lite0_imagenet-0e_photos-192.py'
PSNET = 'configs/real/psnet-template_efficientnet-lite0_sscd-2e_photos-192.py'
PSNET_MANUAL = 'configs/real/psnet-template-manual_efficientnet-lite0_sscd-2e_photos-192.py'
PCB = 'configs/real/pcb_efficientnet-lite0_sscd-2e_photos-192.py'
TRIPLET = 'configs/real/triplet_efficientnet-lite0_1e_photos-192.py'
TRIPLET_SE = 'configs/real/triplet_se-efficientnet-lite0_1e_photos-192.py'
TRIPLET_CBAM = 'configs/real/triplet_cbam-efficientnet-lite0_1e_photos-192.py'
LANDMARK = 'configs/landmark/psnet-landmark_efficientnet-lite0_8e_synthetic-photo-192.py'
PSNET_LANDMARKS = 'configs/real/psnet_efficientnet-lite0_sscd-2e_photos-192.py'
#: the synthetic set the photo landmark model trains on (as its config's comment says)
SYNTHETIC_OPTIONS = ['--seed', '1', '--num-designs', '400', '--real-texture-prob', '0.9',
                     '--long-sleeve-angle', '55', '88',
                     '--exclude-textures',
                     osp.join(ROOT, 'annotations', 'clothing-small_landmarks_val.json')]
#: the fit of tools/fit_region_weights.py: on the val split (the train split is the fine-tune's),
#: 10 negatives per original-copy pair, 20 passes
FIT_OPTIONS = ['--ann-file', 'annotations/pf_val.json', '--negatives', '10', '--epochs', '20']

#: network -> (kind, config, parent network, seeded). kind: 'init' writes the config's
#: initialised model (tools/model_converters/init_checkpoint.py), with the parent's backbone
#: when there is one (and the landmark model of LANDMARK_PARENTS); 'train' trains it on the
#: benchmark; 'landmark' trains the landmark config on the synthetic set; 'fit' fits the
#: region weights of the parent's checkpoint (tools/fit_region_weights.py); 'bound' writes the
#: test-split oracle of the parent's region features (tools/analysis_tools/region_weight_bound.py);
#: 'synthetic' is the network of ``make table`` named by the parent field (trained on the
#: synthetic set there).
NETWORKS = {
    'imagenet': ('init', GLOBAL, None, False),
    'global_s16_imagenet': ('init', GLOBAL_S16, None, False),
    'regions_imagenet': ('init', REGIONS, None, False),
    'psnet_imagenet': ('init', PSNET_IMAGENET, None, False),
    'psnet_imagenet_fitted': ('fit', PSNET_IMAGENET, 'psnet_imagenet', True),
    'sscd': ('train', SSCD, None, True),
    'triplet': ('train', TRIPLET, None, True),
    'triplet_se': ('train', TRIPLET_SE, None, True),
    'triplet_cbam': ('train', TRIPLET_CBAM, None, True),
    'global_s16_sscd': ('init', GLOBAL_S16_SSCD, 'sscd', True),
    'regions_sscd': ('init', REGIONS_SSCD, 'sscd', True),
    'psnet': ('init', PSNET, 'sscd', True),
    'psnet_fitted': ('fit', PSNET, 'psnet', True),
    'psnet_bound': ('bound', PSNET, 'psnet', True),
    'pcb': ('init', PCB, 'sscd', True),
    'landmarks': ('landmark', LANDMARK, None, False),
    'psnet_landmarks': ('init', PSNET_LANDMARKS, 'sscd', True),
    'psnet_landmarks_fitted': ('fit', PSNET_LANDMARKS, 'psnet_landmarks', True),
    'synthetic_psnet': ('synthetic', make_table.PSNET, 'psnet', True),
    'synthetic_psnet_weights': ('synthetic', make_table.PSNET_WEIGHTS, 'psnet_weights', True),
    'synthetic_noatt': ('synthetic', make_table.NOATT, 'noatt', True),
}
#: network -> the landmark network whose checkpoint its init loads (model.landmark_checkpoint)
LANDMARK_PARENTS = {'psnet_landmarks': 'landmarks'}
#: row -> (test config, network); a 'bound' network's row is read from its JSON
ROWS = {
    '(a) ImageNet, crop': (GLOBAL, 'imagenet'),
    '(a) ImageNet, whole photo': (GLOBAL_WHOLE, 'imagenet'),
    '(a) ImageNet, stride-16 map': (GLOBAL_S16, 'global_s16_imagenet'),
    '(a2) SSCD fine-tune': (SSCD, 'sscd'),
    'Traditional (SSCD, stride-16 map)': (GLOBAL_S16_SSCD, 'global_s16_sscd'),
    '(c) triplet': (TRIPLET, 'triplet'),
    '(c) triplet + SE': (TRIPLET_SE, 'triplet_se'),
    '(c) triplet + CBAM': (TRIPLET_CBAM, 'triplet_cbam'),
    '(b) ImageNet regions': (REGIONS, 'regions_imagenet'),
    '(b) SSCD regions': (REGIONS_SSCD, 'regions_sscd'),
    'PS-Net ImageNet, uniform': (PSNET_IMAGENET, 'psnet_imagenet'),
    'PS-Net ImageNet, Learned': (PSNET_IMAGENET, 'psnet_imagenet_fitted'),
    'NoManipulation': (PSNET, 'psnet'),
    'Manual': (PSNET_MANUAL, 'psnet'),
    'Learned': (PSNET, 'psnet_fitted'),
    'Oracle': (PSNET, 'psnet_bound'),
    'PCB': (PCB, 'pcb'),
    'PS-Net landmark regions, uniform': (PSNET_LANDMARKS, 'psnet_landmarks'),
    'PS-Net landmark regions, Learned': (PSNET_LANDMARKS, 'psnet_landmarks_fitted'),
    '(e) synthetic Learned': (make_table.ROWS['Learned'][0], 'synthetic_psnet_weights'),
    '(e) synthetic NoManipulation': (make_table.ROWS['NoManipulation'][0], 'synthetic_psnet'),
    '(e) synthetic Traditional': (make_table.ROWS['Traditional'][0], 'synthetic_noatt'),
}
METRIC_KEYS = ('Recall@10', 'Recall@20', 'mAP')


class RealTableRun:
    """The stages of one table run; each returns its output path and skips finished work."""

    def __init__(self, work_dir: str, data_root: str, dry_run: bool = False,
                 synthetic_root: str = 'data/synthetic_photo',
                 synthetic_table_dir: str = 'work_dirs/table_synthetic',
                 synthetic_data_root: str = 'data/synthetic',
                 synthetic_landmarks: str = make_table.LANDMARK_CHECKPOINT) -> None:
        self.work_dir = work_dir
        self.data_root = data_root
        self.synthetic_root = synthetic_root
        self.synthetic_data_root = synthetic_data_root
        self.dry_run = dry_run
        self.timings: Dict[str, float] = {}
        self._made: Dict[tuple, str] = {}
        self._table: Optional[make_table.TableRun] = None
        self._table_dir = synthetic_table_dir
        self._table_landmarks = synthetic_landmarks

    def _call(self, name: str, cmd: List[str]) -> None:
        run_stage(name, cmd, self.timings, self.dry_run, tag='real-table')

    def _data_options(self) -> List[str]:
        """Training reads the benchmark under ``data_root`` (``--no-validate``: no val loop;
        the test stages pass ``--data-root`` to tools/test.py)."""
        return [f'train_dataloader.dataset.data_root={self.data_root}']

    def benchmark(self, images: str, seed: int) -> None:
        if osp.exists(osp.join(self.data_root, 'annotations', 'pf_test.json')):
            return
        self._call('benchmark', [sys.executable, osp.join(TOOLS, 'make_plagiarism_benchmark.py'),
                                 '--images', images, '--out', self.data_root,
                                 '--seed', str(seed)])

    def synthetic(self) -> None:
        """The landmark model's synthetic set, unless it exists; the benchmark's test photos
        and the landmark validation photos are kept out of its real textures."""
        if osp.exists(osp.join(self.synthetic_root, 'annotations', 'coco_train.json')):
            return
        self._call('synthetic_photo', [
            sys.executable, osp.join(TOOLS, 'make_synthetic.py'), '--out', self.synthetic_root,
            *SYNTHETIC_OPTIONS, '--exclude-textures',
            osp.join(self.data_root, 'test_photos.txt')])

    def synthetic_table(self) -> 'make_table.TableRun':
        """``make table``'s run (its synthetic set and landmark branch made first if missing);
        :meth:`all_timings` reports its stages' times under ``synthetic/``."""
        if self._table is None:
            if not osp.exists(osp.join(self.synthetic_data_root, 'annotations', 'pf_test.json')):
                self._call('synthetic_data', [
                    sys.executable, osp.join(TOOLS, 'run_demo.py'), '--skip-training',
                    '--data-root', self.synthetic_data_root,
                    '--work-dir', osp.join(self.work_dir, 'synthetic_data')])
            self._table = make_table.TableRun(self._table_dir, self._table_landmarks,
                                              self.dry_run)
            self._table.landmarks()
        return self._table

    def all_timings(self) -> Dict[str, float]:
        """Seconds per stage of this run, ``make table``'s stages under ``synthetic/``."""
        table = self._table.timings if self._table else {}
        return {**self.timings, **{f'synthetic/{k}': v for k, v in table.items()}}

    def network(self, seed: int, name: str) -> str:
        """Make ``name`` for ``seed`` unless done (its parent first, only when needed); its
        checkpoint."""
        if (seed, name) not in self._made:
            self._made[seed, name] = self._network(seed, name)
        return self._made[seed, name]

    def _network(self, seed: int, name: str) -> str:
        kind, config, parent, seeded = NETWORKS[name]
        wd = osp.join(self.work_dir, f'seed{seed}' if seeded else 'shared', name)
        done = osp.join(wd, 'done')

        def parent_checkpoint() -> Optional[str]:
            return self.network(seed, parent) if parent else None
        if kind == 'init':
            out = osp.join(wd, 'init.pth')
            if not osp.exists(out):
                cmd = [sys.executable, osp.join(TOOLS, 'model_converters', 'init_checkpoint.py'),
                       config, out]
                opts = []
                parent_ckpt = parent_checkpoint()
                if parent_ckpt:
                    opts.append(f'model.backbone.init_cfg.checkpoint={parent_ckpt}')
                if name in LANDMARK_PARENTS:
                    landmark_ckpt = self.network(seed, LANDMARK_PARENTS[name])
                    opts.append(f'model.landmark_checkpoint={landmark_ckpt}')
                if opts:
                    cmd += ['--cfg-options', *opts]
                self._call(f'{name}/seed{seed}', cmd)
            return out
        if kind == 'synthetic':
            return self.synthetic_table().network(seed, parent)
        if kind == 'fit':
            out = osp.join(wd, 'fitted.pth')
            if not osp.exists(out):
                os.makedirs(wd, exist_ok=True)
                self._call(f'{name}/seed{seed}', [
                    sys.executable, osp.join(TOOLS, 'fit_region_weights.py'), config,
                    parent_checkpoint(), '--data-root', self.data_root, *FIT_OPTIONS, '--out', out,
                    '--json', osp.join(wd, 'region_weights.json'), '--seed', str(seed)])
            return out
        if kind == 'bound':
            out = osp.join(wd, 'bound.json')
            if not osp.exists(out):
                os.makedirs(wd, exist_ok=True)
                self._call(f'{name}/seed{seed}', [
                    sys.executable, osp.join(TOOLS, 'analysis_tools', 'region_weight_bound.py'),
                    config, parent_checkpoint(), '--data-root', self.data_root, '--out', out])
            return out
        ckpt = last_checkpoint(wd)
        if ckpt and osp.exists(done):
            return ckpt
        if kind == 'landmark':
            self.synthetic()
            data_opts = [f'train_dataloader.dataset.data_root={self.synthetic_root}']
        else:
            data_opts = self._data_options()
        opts = [f'randomness.seed={seed}', *data_opts]
        parent_ckpt = parent_checkpoint()
        if parent_ckpt:
            opts += [f'model.backbone.init_cfg.type=Pretrained',
                     f'model.backbone.init_cfg.checkpoint={parent_ckpt}',
                     'model.backbone.init_cfg.prefix=image_encoder.backbone.']
        cmd = [sys.executable, osp.join(TOOLS, 'train.py'), config, '--work-dir', wd,
               '--no-validate', '--cfg-options', *opts]
        if ckpt:
            cmd.append('--resume')
        self._call(f'{name}/seed{seed}', cmd)
        if self.dry_run:
            return osp.join(wd, 'last.pth')
        ckpt = last_checkpoint(wd)
        if ckpt is None:
            raise RuntimeError(f'{name} (seed {seed}) wrote no checkpoint in {wd}')
        open(done, 'w').close()
        return ckpt

    def row(self, seed: int, method: str, split: str = 'test') -> Dict[str, dict]:
        """Score ``method`` on ``annotations/pf_<split>.json`` unless done; its metrics (the
        Oracle row: the test split only)."""
        config, network = ROWS[method]
        kind, seeded = NETWORKS[network][0], NETWORKS[network][3]
        if kind == 'bound' and split != 'test':
            return {}
        ckpt = self.network(seed, network)
        if kind == 'bound':
            if self.dry_run:
                return {}
            with open(ckpt, encoding='utf-8') as f:
                return dict(overall=dict(mAP=json.load(f)['mAP']['oracle']))
        slug = method.replace(' ', '_').replace(',', '').replace('(', '').replace(')', '')
        wd = osp.join(self.work_dir, f'seed{seed}' if seeded else 'shared', 'rows',
                      slug if split == 'test' else f'{slug}_{split}')
        out = osp.join(wd, 'test_metrics.json')
        os.makedirs(wd, exist_ok=True)
        if not osp.exists(out):
            cmd = [sys.executable, osp.join(TOOLS, 'test.py'), config, ckpt, '--work-dir', wd,
                   '--out', out, '--data-root', self.data_root,
                   '--ann-file', osp.join(self.data_root, 'annotations', f'pf_{split}.json')]
            if kind == 'synthetic':  # the options make table's own test passes
                opts = self.synthetic_table().landmark_options(NETWORKS[network][2])
                if opts:
                    cmd += ['--cfg-options', *opts]
            self._call(f'{split}/{method}/seed{seed}', cmd)
            if self.dry_run:
                return {}
        with open(out, encoding='utf-8') as f:
            return row_from_metrics(json.load(f))


def markdown(table: Dict[str, Dict[str, dict]], seeds: Sequence[int],
             split: str = 'test') -> str:
    """The table as Markdown: overall Recall@10, Recall@20 and mAP (mean +/- std)."""
    def cell(cells: dict, key: str) -> str:
        if key not in cells:
            return ''
        std = cells.get(f'{key}_std')
        return f'{cells[key]:.1f}' + (f' +/- {std:.1f}' if std is not None else '')
    lines = [f'Real-photo table, {split} split, seeds {", ".join(map(str, seeds))} (percent)', '',
             '| row | ' + ' | '.join(METRIC_KEYS) + ' |',
             '|---|' + '---|' * len(METRIC_KEYS)]
    for method, groups in table.items():
        overall = groups.get('overall', {})
        lines.append(f'| {method} | ' + ' | '.join(cell(overall, k) for k in METRIC_KEYS) + ' |')
    return '\n'.join(lines) + '\n'


def main(argv: Optional[Sequence[str]] = None) -> int:
    shared = os.environ.get('PSNET_SHARED_DATA', osp.join(ROOT, '..', 'shared', 'data'))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--work-dir', default='work_dirs/table_real')
    parser.add_argument('--data-root', default='data/photo_benchmark')
    parser.add_argument('--images', default=osp.join(shared, 'clothing-small', 'train'))
    parser.add_argument('--benchmark-seed', type=int, default=0)
    parser.add_argument('--synthetic-root', default='data/synthetic_photo',
                        help='where the landmark model\'s synthetic set is (made if missing)')
    parser.add_argument('--synthetic-table-dir', default='work_dirs/table_synthetic',
                        help='``make table``\'s work dir: the (e) rows\' networks (trained '
                        'there when missing)')
    parser.add_argument('--methods', nargs='+', default=list(ROWS), choices=list(ROWS),
                        metavar='ROW', help=f'rows to run (default all: {"; ".join(ROWS)})')
    parser.add_argument('--splits', nargs='+', default=['test'], metavar='SPLIT',
                        help='score on annotations/pf_<SPLIT>.json: test, and test_seen / '
                        'test_unseen for the benchmark without / with only the held-out edit '
                        'family (default: %(default)s)')
    parser.add_argument('--dry-run', action='store_true', help='print the commands only')
    args = parser.parse_args(argv)
    from ps_net.utils import atomic_write

    run = RealTableRun(args.work_dir, args.data_root, args.dry_run, args.synthetic_root,
                       args.synthetic_table_dir)
    start = time.perf_counter()
    run.benchmark(args.images, args.benchmark_seed)
    tables = {split: [{m: run.row(seed, m, split) for m in args.methods}
                      for seed in args.seeds] for split in args.splits}
    if args.dry_run:
        return 0
    timings = dict(run.all_timings(), total=round(time.perf_counter() - start, 1))
    os.makedirs(args.work_dir, exist_ok=True)
    timings = merge_timings(osp.join(args.work_dir, 'timings.json'), timings)
    outputs = [('timings.json', json.dumps(timings, indent=2))]
    for split, per_seed in tables.items():
        table = aggregate_tables(per_seed)
        text = markdown(table, args.seeds, split)
        stem = 'table' if split == 'test' else f'table_{split}'
        outputs += [(f'{stem}.json', json.dumps(table, indent=2)), (f'{stem}.md', text)]
        print(text)
    for name, body in outputs:
        atomic_write(osp.join(args.work_dir, name), body.rstrip('\n') + '\n', overwrite=True)
    print(f'[real-table] wrote {", ".join(name for name, _ in outputs)} in {args.work_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
