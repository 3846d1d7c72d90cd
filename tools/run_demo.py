"""``make demo``: the embedded synthetic data set, end to end through the project's loaders.

Stages (each timed, all recorded in ``WORK_DIR/summary.json``):

1. generate the synthetic set into ``--data-root`` unless its annotations are already there
   (the default settings, ``--seed``, ``--num-designs``, ``--img-size``);
2. validate every Plagiarized Fashion file against the spec;
3. build the query and gallery datasets from ``configs/_base_/datasets/synthetic_pf.py`` through
   the mmpretrain registry, run one sample of each through the test pipeline, and count the
   ground truth of both retrieval tasks;
4. load the COCO keypoint files with mmpose's ``DeepFashion2Dataset``;
5. draw a contact sheet (``WORK_DIR/synthetic_sheet.png``) of originals, identical re-shots,
   plagiarized copies (modified regions in red) and hard negatives, with landmarks and boxes;
6. train the landmark branch
   (``configs/landmark/psnet-landmark_hrnet-narrow_20e_synthetic-128.py``),
7. pre-train PS-Net (eq. 2-3, ``configs/ps_net/psnet_hrnet-narrow_20e_synthetic-128.py``) on it,
8. learn the region weights (eq. 4-6, ``configs/ps_net/psnet-region-weights_*.py``),
9. test with the plagiarism metric on the test split: ``WORK_DIR/metrics.json`` (the keys
   ``tools/test.py`` prints: ``plagiarism/mAP``, ``plagiarism/Recall@20``,
   ``plagiarism/<category>/mAP``...),
10. draw one test query's top hits with their regions (``WORK_DIR/top_hits.png``), and
11. the product: index the test gallery with the trained model (``tools/build_index.py``,
    ``WORK_DIR/search/gallery.psidx``), search that query's photo (``tools/search.py``) and
    write its reviewer's report (``WORK_DIR/search/report.html`` and ``.png``, the hits in
    ``results.json``); the report's path is printed.

Stages 6-8 use the short schedules of :data:`DEMO_SCHEDULES` (about 6 minutes on a 2-core
CPU), each with ``randomness.seed=--train-seed`` (default 0) so that the figures repeat; the
full-quality numbers come from ``make table``. ``--skip-training`` stops after 5.
"""
import argparse
import json
import os
import sys
import time
from typing import Optional, Sequence

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LANDMARK_CONFIG = 'configs/landmark/psnet-landmark_hrnet-narrow_20e_synthetic-128.py'
PSNET_CONFIG = 'configs/ps_net/psnet_hrnet-narrow_20e_synthetic-128.py'
WEIGHTS_CONFIG = 'configs/ps_net/psnet-region-weights_hrnet-narrow_4e_synthetic-128.py'

#: Short demo schedules (``--cfg-options`` of tools/train.py) and the checkpoint each leaves.
#: Hooks and schedulers are named by type (:mod:`ps_net.utils.config_overrides`), not position.
DEMO_SCHEDULES = {
    'landmark': (['train_cfg.max_epochs=6', 'param_scheduler.MultiStepLR.end=6',
                  'param_scheduler.MultiStepLR.milestones=[4,5]'], 'epoch_6.pth'),
    'psnet': (['train_cfg.max_epochs=12', 'param_scheduler.MultiStepLR.milestones=[8,11]',
               'default_hooks.checkpoint.interval=12'], 'epoch_12.pth'),
    'psnet_weights': (['train_cfg.max_epochs=2',
                       'custom_hooks.PSNetRegionWeightHook.steps=[(0,0.1),(1,0.05)]'],
                      'epoch_2.pth'),
}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run the synthetic-data demo.')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--seed', type=int, default=0, help='seed of the generated data set')
    parser.add_argument('--train-seed', type=int, default=0,
                        help='randomness.seed of every training stage, so that the demo\'s '
                        'figures repeat from run to run')
    parser.add_argument('--num-designs', type=int, default=300)
    parser.add_argument('--img-size', type=int, default=128)
    parser.add_argument('--workers', type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument('--config', default=os.path.join(REPO, 'configs', '_base_', 'datasets',
                                                         'synthetic_pf.py'))
    parser.add_argument('--skip-training', action='store_true',
                        help='stop after the data stages (no landmark / PS-Net training)')
    parser.add_argument('--query', type=int, default=0,
                        help='index of the test query whose top hits are drawn')
    return parser.parse_args(argv)


def run_tool(tool: str, args: Sequence[str]) -> None:
    """``python tools/<tool> ARGS`` in the repository; raises if it fails."""
    import subprocess
    cmd = [sys.executable, os.path.join(REPO, 'tools', tool), *args]
    print('[demo] ' + ' '.join(cmd), flush=True)
    if subprocess.call(cmd, cwd=REPO) != 0:
        raise RuntimeError(f'[demo] failed: {" ".join(cmd)}')


def train(name: str, config: str, work_dir: str, extra: Sequence[str] = (),
          seed: int = 0) -> str:
    """Train ``config`` on its demo schedule with ``seed`` into ``work_dir``; the checkpoint."""
    options, ckpt = DEMO_SCHEDULES[name]
    run_tool('train.py', [config, '--work-dir', work_dir, '--no-validate', '--cfg-options',
                          *options, f'randomness.seed={seed}', *extra])
    path = os.path.join(work_dir, ckpt)
    if not os.path.exists(path):
        raise RuntimeError(f'[demo] {name} training left no {path}')
    return path


def draw_query_hits(config: str, checkpoint: str, query_index: int, out_path: str,
                    topk: int = 5) -> dict:
    """Rank the test gallery for one test query with the trained model and draw the top hits."""
    import torch

    from ps_net.apis.region_features import build_dataset, extract_region_features, \
        load_retriever
    from ps_net.visualization.top_hits import draw_top_hits, hit_status

    cfg, model = load_retriever(os.path.join(REPO, config), checkpoint)
    queries = build_dataset(cfg.test_dataloader)
    gallery = build_dataset(cfg.test_gallery)
    if not 0 <= query_index < len(queries):
        raise ValueError(f'--query must be in [0, {len(queries)}), got {query_index}')
    q = extract_region_features(model, torch.utils.data.Subset(queries, [query_index]))
    g = extract_region_features(model, gallery)
    scores = model.scores(torch.as_tensor(q['flat']), torch.as_tensor(g['flat']))[0]
    order = torch.argsort(scores, descending=True)[:topk].tolist()
    info = queries.get_data_info(query_index)
    positives = info.get('gt_label', [])
    ignored = info.get('gt_ignored', [])
    pick = lambda d, i: dict(img=d['crops'][i], boxes=d['boxes'][i],  # noqa: E731
                             valid=d['valid'][i], fallback=d['fallback'][i])
    hits = [dict(pick(g, j), score=float(scores[j]), status=hit_status(j, positives, ignored))
            for j in order]
    draw_top_hits(pick(q, 0), hits, out_path)
    return dict(query=info['img_path'], hits=[(gallery.get_data_info(j)['img_path'],
                                               h['score'], h['status'])
                                              for j, h in zip(order, hits)])


def search_query(config: str, checkpoint: str, data_root: str, query_index: int,
                 out_dir: str, topk: int = 10) -> dict:
    """Index the test gallery of ``data_root`` with the trained model, search the photo of one
    test query with it and write the reviewer's report; the paths written."""
    import importlib.util

    from ps_net.datasets.pf_format import load_pf, pf_split_entries

    def tool_main(name: str, args: Sequence[str]) -> int:
        spec = importlib.util.spec_from_file_location(f'demo_{name}',
                                                      os.path.join(REPO, 'tools', f'{name}.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f'[demo] tools/{name}.py ' + ' '.join(args), flush=True)
        return module.main(list(args))

    pf_test = os.path.join(data_root, 'annotations', 'pf_test.json')
    queries, _ = pf_split_entries(load_pf(pf_test))
    if not 0 <= query_index < len(queries):
        raise ValueError(f'--query must be in [0, {len(queries)}), got {query_index}')
    os.makedirs(out_dir, exist_ok=True)
    out = {k: os.path.join(out_dir, name) for k, name in (
        ('index', 'gallery.psidx'), ('json', 'results.json'), ('report', 'report.html'),
        ('png', 'report.png'))}
    out['query'] = os.path.join(data_root, queries[query_index]['img_path'])
    if tool_main('build_index', [os.path.join(REPO, config), checkpoint, '--gallery', pf_test,
                                 '--data-root', data_root, '--out', out['index'],
                                 '--overwrite']) != 0:
        raise RuntimeError('[demo] tools/build_index.py failed')
    if tool_main('search', [out['index'], out['query'], '--topk', str(topk), '--json',
                            out['json'], '--html', out['report'], '--png', out['png']]) != 0:
        raise RuntimeError(f'[demo] tools/search.py could not search {out["query"]}')
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if not args.skip_training and os.path.normpath(args.data_root) != 'data/synthetic':
        raise SystemExit(f'[demo] the training stages read data/synthetic (the configs\' '
                         f'data_root), got --data-root {args.data_root}; add --skip-training '
                         f'to only check another folder')
    from mmengine.config import Config

    import ps_net  # noqa: F401  (registers the datasets)
    from ps_net.datasets.pf_format import load_pf, pf_summary
    from ps_net.datasets.synthetic import default_texture_dir, generate_synthetic
    from ps_net.utils import atomic_write
    from ps_net.visualization import draw_sheet

    os.makedirs(args.work_dir, exist_ok=True)
    summary: dict = dict(data_root=args.data_root, stages={})
    ann_dir = os.path.join(args.data_root, 'annotations')
    splits = ('train', 'val', 'test')

    def stage(name: str, start: float) -> None:
        summary['stages'][name] = round(time.perf_counter() - start, 2)
        print(f'[demo] {name}: {summary["stages"][name]:.1f} s', flush=True)

    t = time.perf_counter()
    if all(os.path.exists(os.path.join(ann_dir, f'pf_{s}.json')) for s in splits):
        print(f'[demo] using the synthetic set in {args.data_root}')
        summary['generated'] = None
    else:
        print(f'[demo] generating {args.num_designs} designs at {args.img_size} px into '
              f'{args.data_root} ...', flush=True)
        summary['generated'] = generate_synthetic(
            args.data_root, seed=args.seed, num_designs=args.num_designs,
            img_size=args.img_size, texture_dir=default_texture_dir(), workers=args.workers)
        images = summary['generated']['images']
        summary['generated']['images_per_second'] = round(images / (time.perf_counter() - t), 1)
    stage('generate', t)

    t = time.perf_counter()
    summary['splits'] = {}
    for s in splits:
        data = load_pf(os.path.join(ann_dir, f'pf_{s}.json'))  # raises on any spec problem
        summary['splits'][s] = pf_summary(data)
        summary['settings_hash'] = data['metainfo'].get('settings_hash')
    stage('validate', t)

    t = time.perf_counter()
    from mmpretrain.registry import DATASETS
    cfg = Config.fromfile(args.config)
    retrieval = {}
    for name in ('query', 'gallery'):
        ds_cfg = cfg[f'{name}_dataloader']['dataset']
        ds_cfg['data_root'] = args.data_root
        dataset = DATASETS.build(ds_cfg)
        sample = dataset[0]
        retrieval[name] = dict(size=len(dataset),
                               input_shape=list(sample['inputs'].shape))
        if name == 'query':
            for task in ('plagiarized', 'identical'):
                gt = dataset.ground_truth(task)
                retrieval[f'task_{task}'] = dict(
                    queries=gt.num_queries, skipped=gt.num_skipped,
                    positives=int(sum(len(p) for p in gt.positives)),
                    ignored=int(sum(len(i) for i in gt.ignored)))
    summary['retrieval_datasets'] = retrieval
    stage('datasets', t)

    t = time.perf_counter()
    from mmpose.datasets import DeepFashion2Dataset
    pose = DeepFashion2Dataset(ann_file='annotations/coco_train.json', data_root=args.data_root,
                               data_prefix=dict(img=''), test_mode=True, pipeline=[])
    summary['coco_train_instances'] = len(pose)
    stage('coco', t)

    t = time.perf_counter()
    sheet = os.path.join(args.work_dir, 'synthetic_sheet.png')
    draw_sheet(os.path.join(ann_dir, 'pf_val.json'), sheet, num_designs=6, overwrite=True)
    summary['sheet'] = sheet
    stage('sheet', t)

    if not args.skip_training:
        wd = args.work_dir
        t = time.perf_counter()
        landmark = train('landmark', LANDMARK_CONFIG, os.path.join(wd, 'landmark'),
                         seed=args.train_seed)
        stage('train_landmarks', t)
        t = time.perf_counter()
        psnet = train('psnet', PSNET_CONFIG, os.path.join(wd, 'psnet'),
                      [f'model.landmark_checkpoint={landmark}'], seed=args.train_seed)
        stage('train_psnet', t)
        t = time.perf_counter()
        weights = train('psnet_weights', WEIGHTS_CONFIG, os.path.join(wd, 'psnet_weights'),
                        [f'model.landmark_checkpoint={landmark}', f'load_from={psnet}'],
                        seed=args.train_seed)
        stage('region_weights', t)
        t = time.perf_counter()
        metrics_path = os.path.join(wd, 'metrics.json')
        run_tool('test.py', [WEIGHTS_CONFIG, weights, '--work-dir', os.path.join(wd, 'test'),
                             '--out', metrics_path, '--cfg-options',
                             f'model.landmark_checkpoint={landmark}'])
        with open(metrics_path, encoding='utf-8') as f:
            summary['metrics'] = json.load(f)
        stage('test', t)
        t = time.perf_counter()
        summary['top_hits'] = draw_query_hits(WEIGHTS_CONFIG, weights, args.query,
                                              os.path.join(wd, 'top_hits.png'))
        stage('top_hits', t)
        t = time.perf_counter()
        summary['search'] = search_query(WEIGHTS_CONFIG, weights, args.data_root, args.query,
                                         os.path.join(wd, 'search'))
        stage('search', t)
        summary['total_seconds'] = round(sum(summary['stages'].values()), 1)
        print('[demo] test metrics: ' + ', '.join(
            f'{k} {summary["metrics"][k]:.1f}' for k in
            ('plagiarism/mAP', 'plagiarism/Recall@10', 'plagiarism/Recall@20')))

    out = os.path.join(args.work_dir, 'summary.json')
    atomic_write(out, json.dumps(summary, indent=2) + '\n', overwrite=True)
    print(json.dumps({k: summary[k] for k in ('splits', 'retrieval_datasets')}, indent=1))
    print(f'[demo] summary: {out}\n[demo] sheet: {sheet}')
    if not args.skip_training:
        print(f'[demo] metrics: {os.path.join(args.work_dir, "metrics.json")}\n'
              f'[demo] top hits: {os.path.join(args.work_dir, "top_hits.png")}\n'
              f'[demo] stages (s): {summary["stages"]}, total {summary["total_seconds"]} s')
        print(f'[demo] search report: {summary["search"]["report"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
