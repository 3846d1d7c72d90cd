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
   plagiarized copies (modified regions in red) and hard negatives, with landmarks and boxes.
"""
import argparse
import json
import os
import sys
import time
from typing import Optional, Sequence

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run the synthetic-data demo.')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-designs', type=int, default=300)
    parser.add_argument('--img-size', type=int, default=128)
    parser.add_argument('--workers', type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument('--config', default=os.path.join(REPO, 'configs', '_base_', 'datasets',
                                                         'synthetic_pf.py'))
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
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

    out = os.path.join(args.work_dir, 'summary.json')
    atomic_write(out, json.dumps(summary, indent=2) + '\n', overwrite=True)
    print(json.dumps({k: summary[k] for k in ('splits', 'retrieval_datasets')}, indent=1))
    print(f'[demo] summary: {out}\n[demo] sheet: {sheet}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
