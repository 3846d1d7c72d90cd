"""Train and test one config with several seeds; write each run's metrics and mean +/- std.

Example::

    python tools/train_seeds.py configs/landmark/psnet-landmark_hrnet-narrow_20e_synthetic-128.py \\
        --seeds 0 1 2 --work-dir work_dirs/landmark_synthetic

runs ``tools/train.py`` then ``tools/test.py`` (on the config's test split, last checkpoint) per
seed in ``WORK_DIR/seed<N>/`` and writes ``WORK_DIR/summary.json``: per seed the test metrics
and the training time, and ``mean`` (``<key>`` and ``<key>_std``) over the seeds.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time
from typing import Optional, Sequence

TOOLS = os.path.dirname(os.path.abspath(__file__))


def _last_checkpoint(work_dir: str) -> str:
    with open(os.path.join(work_dir, 'last_checkpoint'), encoding='utf-8') as f:
        return f.read().strip()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--cfg-options', nargs='*', default=[],
                        help='extra key=value overrides passed to train.py')
    args = parser.parse_args(argv)
    from ps_net.utils import aggregate_seeds, atomic_write
    summary = dict(config=args.config, seeds={})
    for seed in args.seeds:
        wd = os.path.join(args.work_dir, f'seed{seed}')
        start = time.perf_counter()
        cmd = [sys.executable, os.path.join(TOOLS, 'train.py'), args.config, '--work-dir', wd,
               '--cfg-options', f'randomness.seed={seed}', *args.cfg_options]
        if glob.glob(os.path.join(wd, 'last_checkpoint')):
            cmd.append('--resume')
        print('[seeds] ' + ' '.join(cmd), flush=True)
        if subprocess.call(cmd) != 0:
            print(f'[seeds] training seed {seed} failed', file=sys.stderr)
            return 1
        train_s = time.perf_counter() - start
        out = os.path.join(wd, 'test_metrics.json')
        cmd = [sys.executable, os.path.join(TOOLS, 'test.py'), args.config, _last_checkpoint(wd),
               '--work-dir', wd, '--out', out]
        if subprocess.call(cmd) != 0 or not os.path.exists(out):
            print(f'[seeds] testing seed {seed} failed', file=sys.stderr)
            return 1
        with open(out, encoding='utf-8') as f:
            metrics = json.load(f)
        summary['seeds'][str(seed)] = dict(metrics=metrics, train_seconds=round(train_s, 1))
        print(f'[seeds] seed {seed}: {metrics} ({train_s / 60:.1f} min)', flush=True)
    runs = [s['metrics'] for s in summary['seeds'].values()]
    summary['mean'] = aggregate_seeds(runs)
    summary['mean_train_minutes'] = round(
        sum(s['train_seconds'] for s in summary['seeds'].values()) / len(runs) / 60, 1)
    path = os.path.join(args.work_dir, 'summary.json')
    atomic_write(path, json.dumps(summary, indent=2) + '\n', overwrite=True)
    print(json.dumps(summary['mean'], indent=2))
    print(f'[seeds] wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
