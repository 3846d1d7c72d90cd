"""Calibrate the verdicts of a gallery index (identical / plagiarized / unrelated thresholds).

    python tools/calibrate.py CONFIG CHECKPOINT --index INDEX --ann-file LABELLED_PF \
        [--data-root DIR] [--test-ann-file TEST_PF] [--test-data-root DIR] \
        [--criterion f1|precision] [--target-precision 0.9] [--json OUT] [--cache-dir DIR]

The checkpoint's network embeds every query and gallery entry of the labelled Plagiarized
Fashion file ``--ann-file`` (relative to the config's data_root or ``--data-root``; the
config's test pipeline) once; every query-gallery pair is scored by eq. 1 with the index's
region weights (``ps_net.structures.region_similarity``) and labelled by the gallery entry's
relation to the query's design (``identical``, ``plagiarized``, all else ``unrelated``).
``fit_verdict_thresholds`` chooses the two thresholds (``--criterion``: the largest F1 of each
label, or the largest recall at ``--target-precision``), which are written into the index's
metadata (``GalleryIndex.set_verdicts``; the index file is replaced atomically, after its
model fingerprint is checked against the checkpoint's). With ``--test-ann-file`` the same is
done for a test split, without fitting: the precision and recall of each label, and DISC21's
copy-detection figures over all its query-gallery pairs (micro-AP, recall at 90 % precision;
a pair is a copy when its label is identical or plagiarized). Everything is printed and
written to ``--json`` (default: INDEX with ``_calibration.json``; replaced if present).
``--cache-dir`` keeps each file's features (keyed by the model fingerprint, the file's
sha256 and the data root), so a rerun with another criterion embeds nothing again.
"""
import argparse
import hashlib
import io
import json
import math
import os
import os.path as osp
import sys
from typing import Dict, Optional, Sequence

import numpy as np


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the PS-Net retriever config of the index')
    parser.add_argument('checkpoint', help='its trained checkpoint (the index\'s model)')
    parser.add_argument('--index', required=True, help='the gallery index to calibrate '
                        '(replaced atomically)')
    parser.add_argument('--ann-file', required=True, help='labelled Plagiarized Fashion file '
                        'the thresholds are fitted on, relative to the data root')
    parser.add_argument('--data-root', help="data root of --ann-file (default: the config's)")
    parser.add_argument('--test-ann-file', help='labelled file the verdicts are measured on')
    parser.add_argument('--test-data-root', help='its data root (default: --data-root)')
    parser.add_argument('--criterion', choices=('f1', 'precision'), default='f1',
                        help='f1: the largest F1 of each label; precision: the largest recall '
                        'at --target-precision (default: %(default)s)')
    parser.add_argument('--target-precision', type=float, default=0.9,
                        help='precision of the precision criterion (default: %(default)s)')
    parser.add_argument('--batch-size', type=int, default=32, help='images per forward pass')
    parser.add_argument('--json', help='report to write (default: INDEX with '
                        '_calibration.json)')
    parser.add_argument('--cache-dir', help='folder keeping the embedded features of each '
                        'labelled file for reruns')
    args = parser.parse_args(argv)
    args.json = args.json or osp.splitext(args.index)[0] + '_calibration.json'
    args.test_data_root = args.test_data_root or args.data_root
    return args


def _check(args: argparse.Namespace) -> Optional[str]:
    for flag, path in (('config', args.config), ('checkpoint', args.checkpoint),
                       ('--index', args.index)):
        if not osp.isfile(path):
            return f'{flag} {path!r} must be an existing file'
    if osp.realpath(args.json) in {osp.realpath(p) for p in (args.index, args.checkpoint,
                                                              args.config)}:
        return f'--json {args.json!r} must differ from the index, checkpoint and config'
    if not 0 < args.target_precision <= 1 or args.batch_size < 1:
        return (f'--target-precision must be in (0, 1] and --batch-size >= 1, got '
                f'{args.target_precision} and {args.batch_size}')
    return None


def labelled_split(cfg, ann_file: str, data_root: Optional[str] = None):
    """Every entry of a Plagiarized Fashion file with the config's test pipeline."""
    from ps_net.apis.region_features import build_dataset

    overrides = dict(ann_file=ann_file, split=None, with_retrieval_labels=False,
                     pipeline=cfg.test_dataloader.dataset.pipeline)
    if data_root:
        overrides['data_root'] = data_root
    return build_dataset(cfg.test_dataloader, **overrides)


def _cache_file(cache_dir: str, fingerprint: str, dataset) -> str:
    """Where the features of ``dataset``'s file by the model of ``fingerprint`` are kept."""
    with open(dataset.ann_file, 'rb') as f:
        content = hashlib.sha256(f.read()).hexdigest()
    key = json.dumps([fingerprint, content, osp.realpath(dataset.data_root)]).encode()
    return osp.join(cache_dir, hashlib.sha256(key).hexdigest()[:32] + '.npy')


def embed(model, dataset, batch_size: int = 32, chunk: int = 512,
          cache: Optional[str] = None) -> Dict[str, np.ndarray]:
    """Region features of every entry of ``dataset`` split into queries and gallery:
    ``{'query' | 'gallery': dict(feats, valid, category, design_id, relation)}`` (category:
    the model's row index), with progress on stderr; read from / written to the ``.npy`` file
    ``cache`` when given."""
    import torch

    from ps_net.apis.region_features import extract_region_features
    from ps_net.utils import atomic_write

    if cache and osp.isfile(cache):
        flat = [np.load(cache, allow_pickle=False)]
    else:
        flat = []
        for start in range(0, len(dataset), chunk):
            part = torch.utils.data.Subset(dataset,
                                           range(start, min(len(dataset), start + chunk)))
            flat.append(extract_region_features(model, part, batch_size)['flat'])
            print(f'\rembedded {start + len(part)} / {len(dataset)} images', end='',
                  file=sys.stderr, flush=True)
        print(file=sys.stderr)
        if cache:
            buffer = io.BytesIO()
            np.save(buffer, np.concatenate(flat), allow_pickle=False)
            atomic_write(cache, buffer.getvalue(), overwrite=True)
    flat = np.concatenate(flat)
    if len(flat) != len(dataset):
        raise ValueError(f'{cache} holds {len(flat)} feature rows for {len(dataset)} images')
    feats, valid, cats = model.split_flat(torch.as_tensor(flat))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    split = np.array([info['split'] for info in infos])
    out = {}
    for side in ('query', 'gallery'):
        sel = np.flatnonzero(split == side)
        out[side] = dict(feats=feats[sel].double(), valid=valid[sel].bool(),
                         category=cats[sel].long(),
                         design_id=np.array([infos[i]['design_id'] for i in sel], np.int64),
                         relation=np.array([infos[i]['relation'] for i in sel], object))
    return out


def eq1_scores(query: dict, gallery: dict, weights: np.ndarray, chunk: int = 64) -> np.ndarray:
    """``(Q, G)`` eq. 1 scores; ``weights`` ``(Q, R)`` are each query's lambda row."""
    import torch

    from ps_net.structures import region_similarity

    w = torch.as_tensor(weights, dtype=torch.float64)
    rows = [region_similarity(query['feats'][s:s + chunk], query['valid'][s:s + chunk],
                              gallery['feats'], gallery['valid'], w[s:s + chunk]).numpy()
            for s in range(0, len(w), chunk)]
    return np.concatenate(rows) if rows else np.zeros((0, len(gallery['feats'])))


def scored_pairs(model, index, dataset, batch_size: int, cache_dir: Optional[str] = None):
    """``(scores, labels, counts)`` of every query-gallery pair of a labelled split, scored
    with the index's region-weight table (the query category's row)."""
    from ps_net.evaluation.functional import pair_labels

    cache = _cache_file(cache_dir, index.fingerprint, dataset) if cache_dir else None
    sides = embed(model, dataset, batch_size, cache=cache)
    names = [model.categories[int(c)] for c in sides['query']['category']]
    unknown = sorted(set(names) - set(index.categories))
    if unknown:
        raise ValueError(f'query categories {unknown} are not rows of the index\'s region '
                         f'weights {list(index.categories)}')
    weights = index.region_weights[[index.categories.index(n) for n in names]]
    scores = eq1_scores(sides['query'], sides['gallery'], weights)
    labels = pair_labels(sides['query']['design_id'], sides['gallery']['design_id'],
                         sides['gallery']['relation'])
    counts = dict(queries=len(names), gallery=len(sides['gallery']['design_id']))
    return scores, labels, counts


def _json_ready(value):
    """NaN -> None, numpy scalars -> Python (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _print_labels(title: str, figures: dict) -> None:
    print(f'{title}: {"precision":>10} {"recall":>8} {"F1":>7} {"support":>9} '
          f'{"predicted":>10}')
    for label, m in figures.items():
        p = '-' if math.isnan(m['precision']) else f'{m["precision"]:.3f}'
        r = '-' if math.isnan(m['recall']) else f'{m["recall"]:.3f}'
        print(f'  {label:<12} {p:>10} {r:>8} {m["f1"]:>7.3f} {m["support"]:>9} '
              f'{m["predicted"]:>10}')


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ps_net.utils.cli import parse_checked
    args, code = parse_checked(parse_args, _check, argv)
    if args is None:
        return code
    from ps_net.apis.region_features import load_retriever
    from ps_net.datasets.pf_format import PFFormatError
    from ps_net.evaluation.functional import (copy_detection_metrics, fit_verdict_thresholds,
                                              label_precision_recall)
    from ps_net.evaluation.functional.verdict_calibration import UNRELATED
    from ps_net.index import GalleryIndex, IndexLoadError, model_fingerprint
    from ps_net.utils import atomic_write

    cfg, model = load_retriever(args.config, args.checkpoint)
    try:
        index = GalleryIndex.load(args.index,
                                  expected_fingerprint=model_fingerprint(model.state_dict()))
        calib_set = labelled_split(cfg, args.ann_file, args.data_root)
        test_set = labelled_split(cfg, args.test_ann_file, args.test_data_root) \
            if args.test_ann_file else None
    except (IndexLoadError, PFFormatError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2

    if args.cache_dir:
        os.makedirs(args.cache_dir, exist_ok=True)
    try:
        scores, labels, counts = scored_pairs(model, index, calib_set, args.batch_size,
                                              args.cache_dir)
        thresholds = fit_verdict_thresholds(scores, labels, args.criterion,
                                            args.target_precision)
    except ValueError as err:
        print(f'error: {args.ann_file}: {err}', file=sys.stderr)
        return 1
    report = dict(index=args.index, fingerprint=index.fingerprint, thresholds=thresholds,
                  criterion=args.criterion, target_precision=args.target_precision,
                  region_weights=dict(categories=list(index.categories),
                                      table=index.region_weights.tolist()),
                  calibration=dict(ann_file=args.ann_file, data_root=args.data_root,
                                   pairs=int(scores.size), **counts,
                                   labels=label_precision_recall(scores, labels, thresholds)))
    print(f'thresholds ({args.criterion}): identical >= {thresholds["identical"]:.4f}, '
          f'plagiarized >= {thresholds["plagiarized"]:.4f}')
    _print_labels(f'calibration ({args.ann_file}, {counts["queries"]} queries x '
                  f'{counts["gallery"]} gallery)', report['calibration']['labels'])
    if test_set is not None:
        scores, labels, counts = scored_pairs(model, index, test_set, args.batch_size,
                                              args.cache_dir)
        disc = copy_detection_metrics(scores, labels != UNRELATED)
        report['test'] = dict(ann_file=args.test_ann_file, data_root=args.test_data_root,
                              pairs=int(scores.size), **counts,
                              labels=label_precision_recall(scores, labels, thresholds),
                              copy_detection=disc)
        _print_labels(f'test ({args.test_ann_file}, {counts["queries"]} queries x '
                      f'{counts["gallery"]} gallery)', report['test']['labels'])
        at = ('not reached' if disc['threshold_at_p90'] is None
              else f'score >= {disc["threshold_at_p90"]:.4f}')
        print(f'DISC21 over {disc["pairs"]} pairs ({disc["positives"]} copies; '
              f'{disc["queries_with_copy"]} of {disc["queries"]} queries have one): micro-AP '
              f'{disc["micro_ap"]:.4f}, recall at 90% precision {disc["recall_at_p90"]:.4f} '
              f'({at})')
    report = _json_ready(report)
    index.set_verdicts(thresholds, **{k: v for k, v in report.items()
                                      if k not in ('thresholds', 'index', 'fingerprint',
                                                   'region_weights')})
    index.save(args.index, overwrite=True)
    atomic_write(args.json, json.dumps(report, indent=2) + '\n', overwrite=True)
    print(f'{args.index}: verdict thresholds stored; {args.json}: the report')
    return 0


if __name__ == '__main__':
    sys.exit(main())
