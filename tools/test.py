"""Evaluate a checkpoint, or score any Plagiarized Fashion benchmark in one command.

    python tools/test.py CONFIG CHECKPOINT [--data-root DIR] [--ann-file FILE] \
        [--work-dir DIR] [--out FILE] [--allow-partial-checkpoint] [--cfg-options K=V ...]

``--data-root`` and ``--ann-file`` apply to every dataset the test run reads: the test
(query) loader, the gallery (``PSNetGalleryHook``'s ``test_gallery`` and the model's
``prototype``) and the ``gallery_ann_file`` of the evaluators. ``--ann-file FILE`` is a path
(relative to the current folder, or absolute); ``--data-root DIR`` is the folder the file's
``img_path`` values are relative to (a Plagiarized Fashion dataset's ``data_prefix`` is reset;
with ``--data-root`` alone, the config's relative ``ann_file`` is read under DIR).

Before the Runner is built, every annotation file the run reads is checked (the format, a
query and a gallery entry, categories the PS-Net model can embed); a problem is printed once,
as ``error: ...``, with exit status 1. A checkpoint that does not match the model by all of its
keys is refused with the counts (``--allow-partial-checkpoint`` loads it anyway). Images that
cannot be used are skipped, logged and scored as missing items (docs/bad_inputs.md). At the end
the metric table is printed and written, with the bad inputs, to ``--out`` (JSON, or pickle by
its extension; default ``WORK_DIR/metrics.json``). Exit status: 0 scored, 1 refused input (or
every query / gallery image unusable), 2 bad arguments.
"""
import argparse
import json
import os.path as osp
import pickle
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import ps_net  # noqa: F401  registers the components and the trusted checkpoint loader
from ps_net.datasets.pf_format import PFFormatError, iter_pf_split_issues, load_pf
from ps_net.engine.checkpoint_loader import (CheckpointMismatchError, checkpoint_file_problem,
                                             checkpoint_match)
from ps_net.engine.launch import apply_test_args, finish_distributed, setup_cpu_distributed
from ps_net.structures import DF2_SEARCHED, PSNET_CATEGORIES

PF_DATASET = 'PlagiarizedFashionDataset'
#: Retrievers that pick a landmark layout from the entry's category (docs/bad_inputs.md).
CATEGORY_MODELS = ('PSNetRetriever', 'PSNetEnsembleRetriever')
#: Problem lines printed for one refused file; the validator prints them all.
MAX_PROBLEMS = 20


class RunInputError(ValueError):
    """Inputs of a test run that are refused before it starts (one line per problem)."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__('\n'.join(self.problems))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) a ps_net model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--data-root', metavar='DIR',
                        help='folder of the images of every dataset the test reads')
    parser.add_argument('--ann-file', metavar='FILE',
                        help='annotation file of every dataset the test reads')
    parser.add_argument('--work-dir', help='the dir to save the evaluation logs')
    parser.add_argument('--out', help='write the metrics and the bad inputs to this JSON '
                        '(or .pkl) file (default: WORK_DIR/metrics.json)')
    parser.add_argument('--allow-partial-checkpoint', action='store_true',
                        help='load a checkpoint that matches the model by only part of its '
                        'keys (refused by default)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- the datasets read
def _is_type(cfg: Any, name: str) -> bool:
    return isinstance(cfg, dict) and str(cfg.get('type', '')).split('.')[-1] == name


def _leaf(dataset: dict) -> dict:
    """The innermost dataset config of a wrapper (``dataset=dict(...)``)."""
    while isinstance(dataset.get('dataset'), dict):
        dataset = dataset['dataset']
    return dataset


def run_datasets(cfg: Config, read_only: bool = False) -> List[Tuple[str, dict]]:
    """``(where, dataset config)`` of the test loader, each ``PSNetGalleryHook``'s
    ``test_gallery`` and the model's ``prototype`` loader; with ``read_only``, the prototype
    only when no hook's ``test_gallery`` replaces it (what a test run reads)."""
    out = []
    loader = cfg.get('test_dataloader')
    if isinstance(loader, dict) and isinstance(loader.get('dataset'), dict):
        out.append(('test_dataloader.dataset', _leaf(loader['dataset'])))
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        gallery = hook.get('test_gallery') if _is_type(hook, 'PSNetGalleryHook') else None
        if isinstance(gallery, dict) and isinstance(gallery.get('dataset'), dict):
            out.append((f'custom_hooks.{i}.test_gallery.dataset', _leaf(gallery['dataset'])))
    prototype = cfg.get('model', {}).get('prototype')
    replaced = any(w.startswith('custom_hooks.') for w, _ in out)
    if isinstance(prototype, dict) and isinstance(prototype.get('dataset'), dict) and not (
            read_only and replaced):
        out.append(('model.prototype.dataset', _leaf(prototype['dataset'])))
    return out


def _evaluators(cfg: Config) -> List[dict]:
    evaluator = cfg.get('test_evaluator')
    items = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    return [e for e in items if isinstance(e, dict)]


def ann_path(dataset: dict) -> str:
    """The annotation file a dataset config reads (``ann_file`` joined to ``data_root`` as
    mmengine's ``BaseDataset`` does)."""
    ann, root = str(dataset.get('ann_file', '')), dataset.get('data_root') or ''
    return ann if osp.isabs(ann) or '://' in ann or not root else osp.join(str(root), ann)


def apply_benchmark(cfg: Config, data_root: Optional[str], ann_file: Optional[str]) -> None:
    """Point every dataset the test reads at ``data_root`` / ``ann_file`` (in place)."""
    if not (data_root or ann_file):
        return
    datasets = run_datasets(cfg)
    if not datasets:
        raise RunInputError(['--data-root / --ann-file: the config has no test_dataloader, '
                             'gallery or prototype dataset to apply them to'])
    for _, dataset in datasets:
        if data_root:
            dataset['data_root'] = osp.abspath(data_root)
            if _is_type(dataset, PF_DATASET):
                dataset['data_prefix'] = ''
        if ann_file:
            dataset['ann_file'] = osp.abspath(ann_file)
    galleries = [d for w, d in run_datasets(cfg, read_only=True)
                 if w != 'test_dataloader.dataset']
    gallery_file = ann_path(galleries[0] if galleries else datasets[0][1])
    for metric in _evaluators(cfg):
        if 'gallery_ann_file' in metric:
            metric['gallery_ann_file'] = gallery_file


def ensure_gallery_hook(cfg: Config) -> None:
    """Add a ``PSNetGalleryHook`` (the model's own gallery) when the model's prototype is a
    dataloader and no hook sets it, so that its bad inputs are reported too."""
    prototype = cfg.get('model', {}).get('prototype')
    hooks = list(cfg.get('custom_hooks') or [])
    if isinstance(prototype, dict) and not any(_is_type(h, 'PSNetGalleryHook') for h in hooks):
        cfg.custom_hooks = hooks + [dict(type='PSNetGalleryHook')]


# --------------------------------------------------------------------------- checks before the run
def _model_categories(model: dict) -> Optional[Tuple[str, ...]]:
    """The categories a PS-Net model embeds by their landmark layout (None: any)."""
    if not any(_is_type(model, name) for name in CATEGORY_MODELS):
        return None
    if _is_type(model, 'PSNetEnsembleRetriever') and model.get('members'):
        model = model['members'][0]
    return tuple(model.get('categories') or PSNET_CATEGORIES)


def category_problems(path: str, data: dict, split: Optional[str],
                      categories: Optional[Tuple[str, ...]]) -> List[str]:
    """Entries a PS-Net model cannot embed: a ``df2_category_id`` it does not search, or no
    ``df2_category_id`` and a category outside ``categories``."""
    if categories is None:
        return []
    problems = []
    for i, entry in enumerate(data['data_list']):
        if split is not None and entry['split'] != split:
            continue
        cid = entry.get('df2_category_id')
        if cid is not None and cid not in DF2_SEARCHED:
            problems.append(f"{path}: data_list[{i}] field 'df2_category_id': expected one of "
                            f'the searched DeepFashion2 categories {list(DF2_SEARCHED)}, got '
                            f'{cid!r}')
        elif cid is None and entry['category'] not in categories:
            problems.append(f"{path}: data_list[{i}] field 'category': {entry['category']!r} "
                            f'is not one of the model\'s categories {list(categories)} and the '
                            f'entry has no df2_category_id to choose its landmark layout')
    return problems


def check_test_inputs(cfg: Config, checkpoint: str) -> None:
    """Check the checkpoint file and every annotation file the test run reads, before the
    Runner is built.

    Raises:
        PFFormatError: A file breaks the format (every problem listed).
        RunInputError: The checkpoint file cannot be one (empty, truncated), or an annotation
            file is missing, has no entry of the split read, or holds entries the model cannot
            embed.
    """
    problems: List[str] = []
    if '://' not in checkpoint:
        problem = checkpoint_file_problem(checkpoint)
        if problem:
            problems.append(f'checkpoint {checkpoint}: {problem}')
    categories = _model_categories(cfg.get('model', {}))
    files: Dict[str, dict] = {}

    def read(path: str, where: str) -> Optional[dict]:
        if path not in files:
            if '://' not in path and not osp.isfile(path):
                problems.append(f'{where}: annotation file {path} does not exist')
                return None
            files[path] = load_pf(path)
        return files[path]

    for where, dataset in run_datasets(cfg, read_only=True):
        if not _is_type(dataset, PF_DATASET):
            continue
        path = ann_path(dataset)
        data = read(path, where)
        if data is None:
            continue
        split = dataset.get('split')
        if split is not None:
            problems += [i.format(path) for i in iter_pf_split_issues(data, (split, ))]
        problems += category_problems(path, data, split, categories)
    for metric in _evaluators(cfg):
        if isinstance(metric.get('gallery_ann_file'), str):
            path = metric['gallery_ann_file']
            data = read(path, f"test_evaluator {metric.get('type')}.gallery_ann_file")
            if data is not None:
                problems += [i.format(path) for i in iter_pf_split_issues(data, ('gallery', ))]
    if problems:
        raise RunInputError(list(dict.fromkeys(problems)))


class CheckpointMatchHook(Hook):
    """Refuse (or, when allowed, log) a checkpoint that matches the model by less than all of
    its keys, after the other hooks' ``after_load_checkpoint`` and before it is loaded."""
    priority = 'LOWEST'

    def __init__(self, source: str, allow_partial: bool) -> None:
        self.source = source
        self.allow_partial = allow_partial

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        match = checkpoint_match(runner.model, checkpoint)
        if match.complete:
            runner.logger.info(f'checkpoint {self.source}: {match.summary()}')
            return
        model = getattr(runner.model, 'module', runner.model)
        if not self.allow_partial:
            raise CheckpointMismatchError(
                self.source, type(model).__name__, match,
                'Is it a checkpoint of this config? --allow-partial-checkpoint loads it anyway')
        runner.logger.warning(f'--allow-partial-checkpoint: checkpoint {self.source}: '
                              f'{match.summary()}')


# --------------------------------------------------------------------------- results
def collect_bad_inputs(runner) -> Optional[List[dict]]:
    """The bad inputs the metrics and the gallery hook reported (None when none of them
    reports them, e.g. a classifier's metrics)."""
    sources = list(getattr(runner.test_evaluator, 'metrics', [])) + list(runner.hooks)
    reports = [getattr(s, 'bad_inputs') for s in sources if hasattr(s, 'bad_inputs')]
    if not reports:
        return None
    unique: Dict[tuple, dict] = {}
    for records in reports:
        for r in records or ():
            unique.setdefault((r.get('split'), r.get('split_index'), r.get('action')), r)
    return list(unique.values())


def metrics_table(metrics: Dict[str, Any]) -> str:
    """The scalar metrics as a two-column table.

    Example:
        >>> print(metrics_table({'plagiarism/mAP': 41.25, 'plagiarism/num_queries': 3}))
        metric                  value
        plagiarism/mAP          41.25
        plagiarism/num_queries  3
    """
    rows = [(k, f'{v:.2f}' if isinstance(v, float) else str(v)) for k, v in metrics.items()
            if isinstance(v, (int, float))]
    width = max([len('metric')] + [len(k) for k, _ in rows]) + 2
    return '\n'.join([f'{"metric":<{width}}value'] + [f'{k:<{width}}{v}' for k, v in rows])


def write_metrics(path: str, metrics: Dict[str, Any], bad_inputs: Optional[List[dict]]) -> None:
    """Write the metrics (and the bad inputs) atomically: JSON, or pickle for ``.pkl``."""
    from ps_net.utils import atomic_write
    payload: Dict[str, Any] = {k: float(v) if hasattr(v, '__float__') else v
                               for k, v in metrics.items()}
    if bad_inputs is not None:
        payload['bad_inputs'] = bad_inputs
    if osp.splitext(path)[1] in ('.pkl', '.pickle'):
        atomic_write(path, pickle.dumps(payload), overwrite=True)
    else:
        atomic_write(path, json.dumps(payload, indent=2) + '\n', overwrite=True)


def _everything_skipped(runner, bad_inputs: Optional[List[dict]]) -> Optional[str]:
    """Why nothing was scored (every query or every gallery image unusable), or None."""
    skipped = [r for r in bad_inputs or () if r.get('action') == 'skipped']
    queries = len(runner.test_dataloader.dataset)
    if queries and sum(r.get('split') == 'query' for r in skipped) == queries:
        return f'none of the {queries} query images could be used'
    model = getattr(runner.model, 'module', runner.model)
    vecs = getattr(model, 'prototype_vecs', None)
    gallery = 0 if vecs is None else len(vecs)
    if gallery and sum(r.get('split') == 'gallery' for r in skipped) == gallery:
        return f'none of the {gallery} gallery images could be used'
    return None


def _error(err: BaseException) -> str:
    """The message of a refused input, at most :data:`MAX_PROBLEMS` problem lines."""
    lines = str(err).splitlines() or [type(err).__name__]
    if len(lines) > MAX_PROBLEMS + 1:
        more = len(lines) - MAX_PROBLEMS - 1
        lines = lines[:MAX_PROBLEMS + 1] + [
            f'  ... and {more} more line(s): tools/dataset_converters/validate_pf.py FILE lists '
            f'every problem']
    return '\n'.join(lines)


# --------------------------------------------------------------------------- main
def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        cfg = apply_test_args(Config.fromfile(args.config), args.config, args.checkpoint,
                              work_dir=args.work_dir, launcher=args.launcher,
                              cfg_options=args.cfg_options)
        if args.out and not osp.isdir(osp.dirname(osp.abspath(args.out))):
            raise ValueError(f'--out {args.out}: folder {osp.dirname(osp.abspath(args.out))} '
                             f'does not exist')
    except (OSError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    try:
        apply_benchmark(cfg, args.data_root, args.ann_file)
        ensure_gallery_hook(cfg)
        check_test_inputs(cfg, args.checkpoint)
        setup_cpu_distributed(cfg)
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        runner.register_hook(CheckpointMatchHook(args.checkpoint, args.allow_partial_checkpoint))
        metrics = runner.test()
    except (PFFormatError, RunInputError, CheckpointMismatchError,
            pickle.UnpicklingError) as err:
        print(f'error: {_error(err)}', file=sys.stderr)
        return 1
    code = 0
    if runner.rank == 0:
        bad_inputs = collect_bad_inputs(runner)
        out = args.out or osp.join(cfg.work_dir, 'metrics.json')
        write_metrics(out, metrics, bad_inputs)
        print(metrics_table(metrics))
        for r in bad_inputs or ():
            print(f"bad input: {r.get('action')} {r.get('split')} {r.get('split_index')} "
                  f"{r.get('img_path')}: {r.get('reason')}")
        print(f'metrics: {out}')
        nothing = _everything_skipped(runner, bad_inputs)
        if nothing:
            print(f'error: nothing scored: {nothing} (see the bad input lines)', file=sys.stderr)
            code = 1
    finish_distributed()
    return code


if __name__ == '__main__':
    sys.exit(main())
