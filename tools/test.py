"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]``."""
import argparse

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import ps_net  # noqa: F401  registers the components and the trusted checkpoint loader
from ps_net.engine.launch import apply_test_args, finish_distributed, setup_cpu_distributed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) a ps_net model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation logs')
    parser.add_argument('--out', help='dump the metrics to this JSON or pickle file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = apply_test_args(Config.fromfile(args.config), args.config, args.checkpoint,
                          work_dir=args.work_dir, launcher=args.launcher,
                          cfg_options=args.cfg_options)
    setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    metrics = runner.test()
    if args.out and runner.rank == 0:
        from mmengine.fileio import dump
        dump({k: float(v) if hasattr(v, '__float__') else v for k, v in metrics.items()},
             args.out)
    finish_distributed()


if __name__ == '__main__':
    main()
