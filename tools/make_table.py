"""Train and test every row of PS-Net's comparison table on the synthetic set (``make table``).

Example::

    python tools/make_table.py --seeds 0 1 2 --work-dir work_dirs/table_synthetic

Rows (PS-Net paper Tables 2-3 and the CBAM paper's models; see README "Results"):

============== ============================================================ =================
method         what                                                         network
============== ============================================================ =================
Learned        landmark attention + region weights learned (eq. 4-6)        ``psnet``
Manual         landmark attention + hand-written weights (config)           ``psnet``
NoManipulation landmark attention + uniform weights                         ``psnet``
Traditional    no attention (F' = F) + uniform weights                      ``noatt``
NoAttention    no attention + learned weights                               ``noatt``
PCB            six horizontal stripes, uniform weights                      ``pcb``
Ensemble       3 PS-Nets (lr x0.5, x1, x2), similarities averaged           ``psnet*``
ResNet50       narrow ResNet50, triplet loss, Euclidean ranking             ``resnet50``
SE-ResNet50    the same with SE blocks after the stem and the last stage    ``se-resnet50``
CBAM-ResNet50  the same with CBAM                                           ``cbam-resnet50``
============== ============================================================ =================

Every network is trained once per seed (``randomness.seed``) with ``tools/train.py`` in
``WORK_DIR/seed<N>/<network>/`` and each row is tested with ``tools/test.py`` on the test
split. The landmark branch (frozen in every PS-Net row) comes from ``--landmark-checkpoint``;
if it is missing it is trained first with the synthetic landmark config (once, shared by the
seeds). A stage whose output exists is skipped, so an interrupted run continues where it
stopped. ``--variant copy-triplets`` trains the PS-Net and no-attention networks with the
region triplets of plagiarized copies added to the pre-train (``psnet-copy-triplets*.py``; the
region-weight phase and the test configs are the same). Outputs in ``WORK_DIR``:

* ``table.json``: ``{method: {"overall" | <category>: {"Recall@10", "Recall@20", "Recall@30",
  "mAP"}}}`` (percent; the CBAM rows add the CBAM paper's ``P@5``, ``P@10``, ``P@20`` and
  truncated ``mAP@K`` to ``overall``); with several seeds each value is the mean and
  ``<key>_std`` (population std) sits beside it;
* ``lambda.json``: the learned region weights of ``Learned`` and ``NoAttention`` per seed and
  their mean;
* ``table.md``: the same as Markdown; ``timings.json``: the seconds of every stage.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(ROOT, 'tools')
LANDMARK_CONFIG = 'configs/landmark/psnet-landmark_hrnet-narrow_20e_synthetic-128.py'
#: where the landmark branch is trained when ``--landmark-checkpoint`` is missing
LANDMARK_CHECKPOINT = 'work_dirs/landmark_synthetic/seed0/epoch_20.pth'
PSNET = 'configs/ps_net/psnet_hrnet-narrow_20e_synthetic-128.py'
NOATT = 'configs/ps_net/psnet-no-attention_hrnet-narrow_20e_synthetic-128.py'
PSNET_WEIGHTS = 'configs/ps_net/psnet-region-weights_hrnet-narrow_4e_synthetic-128.py'
NOATT_WEIGHTS = 'configs/ps_net/psnet-no-attention-region-weights_hrnet-narrow_4e_synthetic-128.py'
PCB = 'configs/ps_net/pcb_hrnet-narrow_20e_synthetic-128.py'
COPY = 'configs/ps_net/psnet-copy-triplets_hrnet-narrow_10e_synthetic-128.py'
COPY_NOATT = 'configs/ps_net/psnet-copy-triplets-no-attention_hrnet-narrow_10e_synthetic-128.py'
RESNET50 = 'configs/cbam/triplet_resnet50-narrow_20e_synthetic-128.py'
SE_RESNET50 = 'configs/cbam/triplet_se-resnet50-narrow_20e_synthetic-128.py'
CBAM_RESNET50 = 'configs/cbam/triplet_cbam-resnet50-narrow_20e_synthetic-128.py'

#: network -> (config, extra --cfg-options, needs the landmark checkpoint, trained from).
NETWORKS = {
    'psnet': (PSNET, [], True, None),
    'psnet_lr0.5': (PSNET, ['optim_wrapper.optimizer.lr=0.0005'], True, None),
    'psnet_lr2': (PSNET, ['optim_wrapper.optimizer.lr=0.002'], True, None),
    'noatt': (NOATT, [], True, None),
    'psnet_weights': (PSNET_WEIGHTS, [], True, 'psnet'),
    'noatt_weights': (NOATT_WEIGHTS, [], True, 'noatt'),
    'pcb': (PCB, [], True, None),  # landmark HRNet initialises its branch
    'resnet50': (RESNET50, [], False, None),
    'se-resnet50': (SE_RESNET50, [], False, None),
    'cbam-resnet50': (CBAM_RESNET50, [], False, None),
}
#: pre-train variants (``--variant``): network -> the training config that replaces its own.
#: ``copy-triplets`` adds the region triplets of plagiarized copies to the PS-Net pre-train
#: (``ps_net.models.losses.miners``); the rows are tested with the same test configs.
VARIANTS = {
    'paper': {},
    'copy-triplets': {'psnet': COPY, 'psnet_lr0.5': COPY, 'psnet_lr2': COPY, 'noatt': COPY_NOATT},
}
#: method -> (test config, network(s) whose checkpoint it tests).
ROWS = {
    'Learned': (PSNET_WEIGHTS, ['psnet_weights']),
    'Manual': ('configs/ps_net/psnet-manual-weights_hrnet-narrow_20e_synthetic-128.py', ['psnet']),
    'NoManipulation': (PSNET, ['psnet']),
    'Traditional': (NOATT, ['noatt']),
    'NoAttention': (NOATT_WEIGHTS, ['noatt_weights']),
    'PCB': (PCB, ['pcb']),
    'Ensemble': ('configs/ps_net/psnet-ensemble_hrnet-narrow_20e_synthetic-128.py',
                 ['psnet_lr0.5', 'psnet', 'psnet_lr2']),
    'ResNet50': (RESNET50, ['resnet50']),
    'SE-ResNet50': (SE_RESNET50, ['se-resnet50']),
    'CBAM-ResNet50': (CBAM_RESNET50, ['cbam-resnet50']),
}
METRICS = ('Recall@10', 'Recall@20', 'Recall@30', 'mAP')
CBAM_METRICS = ('P@5', 'P@10', 'P@20', 'mAP@5', 'mAP@10', 'mAP@20')


def run_stage(name: str, cmd: List[str], timings: Dict[str, float], dry_run: bool = False,
              tag: str = 'table') -> None:
    """Run one stage's command from the repository root, timing it into ``timings[name]``;
    with ``dry_run`` only print it. Raises RuntimeError when the command fails."""
    print(f'[{tag}] {name}: ' + ' '.join(cmd), flush=True)
    if dry_run:
        return
    start = time.perf_counter()
    if subprocess.call(cmd, cwd=ROOT) != 0:
        raise RuntimeError(f'stage {name} failed: {" ".join(cmd)}')
    timings[name] = round(time.perf_counter() - start, 1)
    print(f'[{tag}] {name} done in {timings[name] / 60:.1f} min', flush=True)


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named in ``work_dir/last_checkpoint``, if it exists."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.exists(path):
        return None
    with open(path, encoding='utf-8') as f:
        ckpt = f.read().strip()
    return ckpt if osp.exists(ckpt) else None


def row_from_metrics(metrics: Dict[str, float], prefix: str = 'plagiarism') -> Dict[str, dict]:
    """``{"overall" | <category>: {metric: value}}`` from ``tools/test.py --out`` metrics.

    Example:
        >>> m = {'plagiarism/mAP': 40.0, 'plagiarism/Recall@10': 60.0,
        ...      'plagiarism/dress/mAP': 30.0, 'plagiarism/num_queries': 45.0, 'cbam/P@5': 20.0}
        >>> row_from_metrics(m)
        {'overall': {'Recall@10': 60.0, 'mAP': 40.0, 'P@5': 20.0}, 'dress': {'mAP': 30.0}}
    """
    row: Dict[str, dict] = {'overall': {}}
    for key, value in metrics.items():
        parts = key.split('/')
        if parts[0] == prefix and len(parts) == 2 and parts[1] in METRICS:
            row['overall'][parts[1]] = float(value)
        elif parts[0] == prefix and len(parts) == 3 and parts[2] in METRICS:
            row.setdefault(parts[1], {})[parts[2]] = float(value)
        elif parts[0] == 'cbam' and len(parts) == 2 and parts[1] in CBAM_METRICS:
            row['overall'][parts[1]] = float(value)
    for cells in row.values():  # the spec's metric order first, then the extra columns
        order = list(METRICS) + list(CBAM_METRICS)
        items = sorted(cells.items(), key=lambda kv: order.index(kv[0]))
        cells.clear()
        cells.update(items)
    return row


def aggregate_tables(tables: List[Dict[str, Dict[str, dict]]]) -> Dict[str, Dict[str, dict]]:
    """Mean with ``<key>_std`` beside it, per method and group, over the seeds' tables."""
    from ps_net.utils import aggregate_seeds
    if len(tables) == 1:
        return tables[0]
    out: Dict[str, Dict[str, dict]] = {}
    for method in tables[0]:
        if not all(method in t for t in tables):
            continue
        out[method] = {}
        for group in tables[0][method]:
            runs = [t[method][group] for t in tables if group in t[method]]
            if len(runs) == len(tables):
                out[method][group] = aggregate_seeds(runs)
    return out


def _cell(cells: dict, key: str) -> str:
    if key not in cells:
        return ''
    std = cells.get(f'{key}_std')
    return f'{cells[key]:.1f}' + (f' +/- {std:.1f}' if std is not None else '')


def markdown(table: Dict[str, Dict[str, dict]], lambdas: dict, seeds: Sequence[int]) -> str:
    """The table, the per-category mAP and the learned weights as Markdown."""
    lines = [f'Synthetic test split, seeds {list(seeds)} (percent; mean +/- std over seeds '
             f'when several).', '',
             '| method | ' + ' | '.join(METRICS + CBAM_METRICS) + ' |',
             '| --- ' * (1 + len(METRICS) + len(CBAM_METRICS)) + '|']
    for method, groups in table.items():
        cells = groups.get('overall', {})
        lines.append(f'| {method} | ' + ' | '.join(_cell(cells, k)
                                                   for k in METRICS + CBAM_METRICS) + ' |')
    if 'Learned' in table and 'Traditional' in table:
        a = table['Learned']['overall'].get('mAP')
        b = table['Traditional']['overall'].get('mAP')
        if a is not None and b:
            lines += ['', f'Learned / Traditional mAP: {a / b:.2f} (paper: 0.493 / 0.332 = 1.48)']
    cats = sorted({g for groups in table.values() for g in groups if g != 'overall'})
    if cats:
        lines += ['', 'mAP per query category:', '',
                  '| method | ' + ' | '.join(cats) + ' |', '| --- ' * (1 + len(cats)) + '|']
        for method, groups in table.items():
            lines.append(f'| {method} | ' + ' | '.join(_cell(groups.get(c, {}), 'mAP')
                                                       for c in cats) + ' |')
    for method, tab in lambdas.get('mean', {}).items():
        regions = tab['regions']
        lines += ['', f'Learned region weights ({method}, mean over seeds):', '',
                  '| category | ' + ' | '.join(regions) + ' |', '| --- ' * (1 + len(regions)) + '|']
        for cat, row in tab['weights'].items():
            lines.append(f'| {cat} | ' + ' | '.join(f'{row[r]:.3f}' for r in regions) + ' |')
    return '\n'.join(lines) + '\n'


class TableRun:
    """The stages of one ``make table`` run (train each network, test each row)."""

    def __init__(self, work_dir: str, landmark_checkpoint: str, dry_run: bool = False,
                 cfg_options: Sequence[str] = (), variant: str = 'paper') -> None:
        if variant not in VARIANTS:
            raise ValueError(f'variant must be one of {sorted(VARIANTS)}, got {variant!r}')
        self.variant = VARIANTS[variant]
        self.work_dir = work_dir
        self.landmark_checkpoint = landmark_checkpoint
        self.dry_run = dry_run
        self.cfg_options = list(cfg_options)
        self.timings: Dict[str, float] = {}

    def _call(self, name: str, cmd: List[str]) -> None:
        run_stage(name, cmd, self.timings, self.dry_run, tag='table')

    def landmarks(self) -> None:
        if osp.exists(self.landmark_checkpoint):
            return
        wd = osp.dirname(self.landmark_checkpoint)
        self._call('landmarks', [sys.executable, osp.join(TOOLS, 'train.py'), LANDMARK_CONFIG,
                                 '--work-dir', wd, '--no-validate'])
        ckpt = last_checkpoint(wd)
        if not self.dry_run and ckpt is None:
            raise RuntimeError(f'landmark training wrote no checkpoint in {wd}')
        if not self.dry_run and osp.abspath(ckpt) != osp.abspath(self.landmark_checkpoint):
            self.landmark_checkpoint = ckpt

    def network(self, seed: int, name: str) -> str:
        """Train ``name`` for ``seed`` unless done; its last checkpoint."""
        config, extra, landmarks, parent = NETWORKS[name]
        config = self.variant.get(name, config)
        wd = osp.join(self.work_dir, f'seed{seed}', name)
        ckpt = last_checkpoint(wd)
        if ckpt and osp.exists(osp.join(wd, 'done')):
            return ckpt
        opts = [f'randomness.seed={seed}', *extra, *self.cfg_options]
        if landmarks:
            opts.append(f'model.landmark_checkpoint={self.landmark_checkpoint}')
        if parent is not None:
            opts.append(f'load_from={self.network(seed, parent)}')
        cmd = [sys.executable, osp.join(TOOLS, 'train.py'), config, '--work-dir', wd,
               '--no-validate', '--cfg-options', *opts]
        if ckpt:
            cmd.append('--resume')
        self._call(f'seed{seed}/{name}', cmd)
        if self.dry_run:
            return osp.join(wd, 'last.pth')
        ckpt = last_checkpoint(wd)
        if ckpt is None:
            raise RuntimeError(f'{name} (seed {seed}) wrote no checkpoint in {wd}')
        open(osp.join(wd, 'done'), 'w').close()
        return ckpt

    def landmark_options(self, name: str) -> List[str]:
        """The override a test of network ``name`` needs: its landmark branch, if it has one."""
        if not NETWORKS[name][2]:
            return []
        return [f'model.landmark_checkpoint={self.landmark_checkpoint}']

    def row(self, seed: int, method: str) -> Dict[str, dict]:
        """Test ``method`` for ``seed`` unless done; its table row."""
        config, networks = ROWS[method]
        ckpts = [self.network(seed, n) for n in networks]
        wd = osp.join(self.work_dir, f'seed{seed}', 'rows', method)
        out = osp.join(wd, 'test_metrics.json')
        os.makedirs(wd, exist_ok=True)
        if not osp.exists(out):
            opts = [*self.cfg_options, *self.landmark_options(networks[0])]
            if len(ckpts) > 1:  # the ensemble: its members' checkpoints
                opts = [o for o in opts if not o.startswith('model.landmark_checkpoint')]
                opts.append('model.checkpoints=[' + ','.join(f"'{c}'" for c in ckpts) + ']')
            cmd = [sys.executable, osp.join(TOOLS, 'test.py'), config, ckpts[0],
                   '--work-dir', wd, '--out', out]
            if opts:
                cmd += ['--cfg-options', *opts]
            self._call(f'seed{seed}/test/{method}', cmd)
            if self.dry_run:
                return {}
        with open(out, encoding='utf-8') as f:
            return row_from_metrics(json.load(f))

    def lambdas(self, seed: int) -> dict:
        out = {}
        for method, name in (('Learned', 'psnet_weights'), ('NoAttention', 'noatt_weights')):
            path = osp.join(self.work_dir, f'seed{seed}', name, 'region_weights.json')
            if osp.exists(path):
                with open(path, encoding='utf-8') as f:
                    out[method] = json.load(f)
        return out


def mean_lambdas(per_seed: Dict[str, dict]) -> dict:
    """Mean weight tables over seeds, per method."""
    import numpy as np
    out = {}
    methods = {m for tabs in per_seed.values() for m in tabs}
    for m in sorted(methods):
        tabs = [t[m] for t in per_seed.values() if m in t]
        regions = tabs[0]['regions']
        out[m] = dict(regions=regions, weights={
            cat: {r: round(float(np.mean([t['weights'][cat][r] for t in tabs])), 4)
                  for r in regions} for cat in tabs[0]['weights']})
    return out


def merge_timings(path: str, new: Dict[str, float]) -> Dict[str, float]:
    """Earlier runs' stage times (``path``) updated with this run's; a stage skipped now
    (its output existed) keeps the time it took when it ran.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), 't.json')
        >>> _ = open(p, 'w').write('{"seed0/psnet": 200.0, "seed0": 1400.0}')
        >>> merge_timings(p, {'seed0': 3.0, 'seed1/psnet': 210.0})
        {'seed0/psnet': 200.0, 'seed0': 1400.0, 'seed1/psnet': 210.0}
    """
    old: Dict[str, float] = {}
    if osp.exists(path):
        with open(path, encoding='utf-8') as f:
            old = json.load(f)
    stages = {k for k in old if '/' in k}
    out = dict(old)
    for key, value in new.items():
        seed_total = key.startswith('seed') and '/' not in key
        # a seed whose stages were all skipped now took ~0 s: keep the earlier total
        if seed_total and key in old and not any(k.startswith(key + '/') for k in new):
            continue
        if key == 'total' and stages and not any('/' in k for k in new):
            continue
        out[key] = value
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--work-dir', default='work_dirs/table_synthetic')
    parser.add_argument('--methods', nargs='+', default=list(ROWS), choices=list(ROWS),
                        metavar='METHOD', help=f'rows to run (default all: {", ".join(ROWS)})')
    parser.add_argument('--landmark-checkpoint',
                        default=LANDMARK_CHECKPOINT)
    parser.add_argument('--cfg-options', nargs='*', default=[],
                        help='key=value overrides passed to every train and test run')
    parser.add_argument('--variant', default='paper', choices=list(VARIANTS),
                        help='pre-train of the PS-Net networks: the paper\'s eq. 2-3 (default) '
                             'or with the region triplets of plagiarized copies added')
    parser.add_argument('--dry-run', action='store_true', help='print the commands only')
    args = parser.parse_args(argv)
    from ps_net.utils import atomic_write

    run = TableRun(args.work_dir, args.landmark_checkpoint, args.dry_run, args.cfg_options,
                   args.variant)
    start = time.perf_counter()
    run.landmarks()
    tables, lambdas = [], {}
    for seed in args.seeds:
        seed_start = time.perf_counter()
        tables.append({m: run.row(seed, m) for m in args.methods})
        lambdas[str(seed)] = run.lambdas(seed)
        run.timings[f'seed{seed}'] = round(time.perf_counter() - seed_start, 1)
        print(f'[table] seed {seed}: {run.timings[f"seed{seed}"] / 60:.1f} min', flush=True)
    if args.dry_run:
        return 0
    table = aggregate_tables(tables)
    lambdas['mean'] = mean_lambdas({k: v for k, v in lambdas.items()})
    run.timings['total'] = round(time.perf_counter() - start, 1)
    os.makedirs(args.work_dir, exist_ok=True)
    run.timings = merge_timings(osp.join(args.work_dir, 'timings.json'), run.timings)
    for name, text in (('table.json', json.dumps(table, indent=2)),
                       ('lambda.json', json.dumps(lambdas, indent=2)),
                       ('timings.json', json.dumps(run.timings, indent=2)),
                       ('table.md', markdown(table, lambdas, args.seeds))):
        atomic_write(osp.join(args.work_dir, name), text.rstrip('\n') + '\n', overwrite=True)
    print(markdown(table, lambdas, args.seeds))
    print(f'[table] wrote {args.work_dir}/table.json, lambda.json, table.md, timings.json '
          f'({run.timings["total"] / 60:.1f} min)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
