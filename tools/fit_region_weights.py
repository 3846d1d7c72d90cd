"""Fit PS-Net's per-category region weights (eq. 4-6) on features extracted once.

    python tools/fit_region_weights.py CONFIG CHECKPOINT [--ann-file PF_FILE] [--data-root DIR] \
        [--out CKPT_COPY] [--json OUT] [--index INDEX] [--steps 0:0.1 40:0.05 60:0.01] \
        [--epochs 80] [--batch 16] [--negatives K] [--floor 0.05] [--margin 0.2] [--seed 0]

The checkpoint's frozen network extracts the region features of a labelled Plagiarized Fashion
file once (the config's training set, or ``--ann-file`` under the config's data_root or
``--data-root``; the config's test pipeline; the images of ``--relations``). The eq. 4-6
triplets of those images (an original, a plagiarized copy of it, any image of another design
of its category; ``--negatives K`` keeps K random ones per original-copy pair) and their
per-region distances are formed once, and ``fit_region_weights`` runs the step schedule on them
from the checkpoint's weights: an epoch visits every triplet once in a ``--seed``-shuffled
order, ``--batch`` triplets per coordinate-ascent cycle. Writes a copy of the checkpoint whose
``region_weights`` buffer holds the new weights (``--out``, default ``CHECKPOINT`` with
``_fitted.pth``; never the input) and the weight table (``--json``, default the copy's name
with ``.json``; per category, each row summing to 1). Existing outputs are never replaced.
With ``--index`` the new weights also replace the region weights of a gallery index of the
checkpoint's model (``GalleryIndex.set_region_weights``; the file is replaced atomically; an
index of another model, by its fingerprint, is refused before anything is fitted); verdict
thresholds calibrated under the old weights are dropped from it (rerun ``tools/calibrate.py``).
"""
import argparse
import io
import json
import os.path as osp
import sys
from typing import Optional, Sequence, Tuple


def _step(text: str) -> Tuple[int, float]:
    try:
        start, step = text.split(':')
        return int(start), float(step)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected EPOCH:STEP (e.g. 40:0.05), got {text!r}') \
            from None


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from ps_net.models.losses.region_weight_fit import DEFAULT_STEPS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a PS-Net retriever config')
    parser.add_argument('checkpoint', help='its trained checkpoint (read only)')
    parser.add_argument('--ann-file', help='labelled Plagiarized Fashion file, relative to the '
                        "data root (default: the config's training ann_file)")
    parser.add_argument('--data-root', help="data root (default: the config's)")
    parser.add_argument('--relations', nargs='+', default=['original', 'plagiarized'],
                        help='relations of the images used (default: %(default)s)')
    parser.add_argument('--out', help='checkpoint copy to write (default: CHECKPOINT with '
                        '_fitted.pth)')
    parser.add_argument('--json', help='weight table to write (default: the copy with .json)')
    parser.add_argument('--index', help='a gallery index of this model whose region weights '
                        'are replaced by the fitted ones (atomically)')
    parser.add_argument('--steps', type=_step, nargs='+', default=list(DEFAULT_STEPS),
                        metavar='EPOCH:STEP', help='step schedule (default: 0:0.1 40:0.05 '
                        '60:0.01, the paper\'s)')
    parser.add_argument('--epochs', type=int, default=80, help='passes over the triplets '
                        '(default: %(default)s)')
    parser.add_argument('--batch', type=int, default=16, help='triplets per coordinate-ascent '
                        'cycle (default: %(default)s); large batches drive each row to a '
                        'one-region vertex')
    parser.add_argument('--negatives', type=int, help='triplets kept per original-copy pair, '
                        'drawn with --seed (default: all)')
    parser.add_argument('--floor', type=float, default=0.05, help='lower bound of every '
                        'weight (default: %(default)s)')
    parser.add_argument('--margin', type=float, default=0.2, help='m of eq. 4 (default: '
                        '%(default)s)')
    parser.add_argument('--seed', type=int, default=0, help='shuffles the triplets each epoch '
                        '(default: %(default)s)')
    args = parser.parse_args(argv)
    args.out = args.out or osp.splitext(args.checkpoint)[0] + '_fitted.pth'
    args.json = args.json or osp.splitext(args.out)[0] + '.json'
    return args


def _check(args: argparse.Namespace) -> Optional[str]:
    from ps_net.models.losses.region_weight_fit import check_fit_settings, check_steps
    from ps_net.structures import REGIONS

    from ps_net.utils.cli import missing_config_or_checkpoint
    error = missing_config_or_checkpoint(args)
    if error:
        return error
    paths = [osp.realpath(p) for p in (args.checkpoint, args.out, args.json)]
    if len(set(paths)) != 3:
        return (f'--out {args.out!r} and --json {args.json!r} must differ from each other and '
                f'from the checkpoint {args.checkpoint!r}')
    for flag, path in (('--out', args.out), ('--json', args.json)):
        if osp.lexists(path):
            return f'{flag} {path!r} exists; refusing to overwrite it'
    if args.index and (not osp.isfile(args.index) or osp.realpath(args.index) in paths):
        return f'--index {args.index!r} must be an existing index file, not another output'
    if args.epochs < 0 or args.batch < 1 or (args.negatives is not None and args.negatives < 1):
        return (f'--epochs must be >= 0, --batch and --negatives >= 1, got {args.epochs}, '
                f'{args.batch} and {args.negatives}')
    try:
        check_steps(args.steps)
        check_fit_settings(args.floor, args.margin, 0.0, len(REGIONS))
    except ValueError as err:
        return f'--steps / --floor / --margin: {err}'
    return None


def labelled_images(cfg, relations: Sequence[str], ann_file: Optional[str] = None,
                    data_root: Optional[str] = None):
    """The config's training set (or ``ann_file`` / ``data_root``) with its test pipeline,
    restricted to the images of ``relations``: ``(subset, design_ids, relations)``."""
    import torch

    from ps_net.apis.region_features import build_dataset

    overrides = dict(pipeline=cfg.test_dataloader.dataset.pipeline, split=None)
    if ann_file:
        overrides['ann_file'] = ann_file
    if data_root:
        overrides['data_root'] = data_root
    dataset = build_dataset(cfg.train_dataloader, **overrides)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    keep = [i for i, info in enumerate(infos) if info['relation'] in relations]
    return (torch.utils.data.Subset(dataset, keep), [int(infos[i]['design_id']) for i in keep],
            [infos[i]['relation'] for i in keep])


def write_checkpoint_copy(checkpoint: str, out: str, weights, provenance: dict) -> None:
    """Write ``checkpoint`` to ``out`` (atomically, never replacing a file) with its
    ``region_weights`` replaced by ``weights`` and ``provenance`` in ``meta``."""
    import torch

    from ps_net.utils import atomic_write

    ckpt = torch.load(checkpoint, map_location='cpu', weights_only=False)
    state = ckpt['state_dict'] if 'state_dict' in ckpt else ckpt
    old = state['region_weights']
    if tuple(old.shape) != tuple(weights.shape):
        raise ValueError(f'{checkpoint}: region_weights has shape {tuple(old.shape)!r}, the '
                         f'fitted weights {tuple(weights.shape)!r}')
    state['region_weights'] = weights.to(old.dtype).clone()
    if 'state_dict' in ckpt:
        ckpt.setdefault('meta', {})['region_weight_fit'] = provenance
    buffer = io.BytesIO()
    torch.save(ckpt, buffer)
    atomic_write(out, buffer.getvalue())


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ps_net.utils.cli import parse_checked
    args, code = parse_checked(parse_args, _check, argv)
    if args is None:
        return code
    import torch

    from ps_net.apis.region_features import extract_region_features, load_retriever
    from ps_net.models.losses.region_weight_fit import (fit_region_weights,
                                                        plagiarism_triplet_distances,
                                                        region_weight_table)
    from ps_net.structures import REGIONS
    from ps_net.utils import atomic_write

    cfg, model = load_retriever(args.config, args.checkpoint)
    if model.region_weights.shape[1] != len(REGIONS):
        print(f'error: {type(model).__name__} has {model.region_weights.shape[1]} regions, '
              f'not the {len(REGIONS)} of {list(REGIONS)!r}', file=sys.stderr)
        return 2
    index = None
    if args.index:
        from ps_net.index import GalleryIndex, IndexLoadError, model_fingerprint
        try:
            index = GalleryIndex.load(args.index,
                                      expected_fingerprint=model_fingerprint(model.state_dict()))
        except IndexLoadError as err:
            print(f'error: --index: {err}', file=sys.stderr)
            return 2
        if set(index.categories) != set(model.categories):
            print(f'error: --index has categories {list(index.categories)}, the model '
                  f'{list(model.categories)}', file=sys.stderr)
            return 2
    images, design_ids, relations = labelled_images(cfg, args.relations, args.ann_file,
                                                    args.data_root)
    with torch.no_grad():
        flat = torch.as_tensor(extract_region_features(model, images)['flat'])
    feats, valid, category = model.split_flat(flat)
    generator = torch.Generator().manual_seed(args.seed)
    triplets = plagiarism_triplet_distances(feats, valid, category, design_ids, relations,
                                            args.negatives, generator)
    counts = torch.bincount(triplets['category_index'], minlength=len(model.categories))
    print(f'{len(images)} images, {int(counts.sum())} triplets: '
          + ', '.join(f'{c} {int(n)}' for c, n in zip(model.categories, counts)))
    if not int(counts.sum()):
        print('error: no triplet (an original, its plagiarized copy, another design of its '
              f'category) among the images of {args.relations!r}', file=sys.stderr)
        return 1
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # thousands of tiny tensor ops: threads only add overhead
    try:
        weights = fit_region_weights(
            triplets['d_ap'], triplets['d_an'], triplets['category_index'], triplets['valid'],
            weights=model.region_weights, epochs=args.epochs, batch=args.batch,
            steps=args.steps, floor=args.floor, margin=args.margin, generator=generator)
    finally:
        torch.set_num_threads(threads)
    settings = dict(checkpoint=args.checkpoint, config=args.config, ann_file=args.ann_file,
                    data_root=args.data_root, relations=list(args.relations),
                    negatives=args.negatives,
                    num_triplets={c: int(n) for c, n in zip(model.categories, counts)},
                    epochs=args.epochs, batch=args.batch, steps=[list(s) for s in args.steps],
                    floor=args.floor, margin=args.margin, seed=args.seed)
    table = region_weight_table(weights, model.categories, REGIONS, **settings)
    write_checkpoint_copy(args.checkpoint, args.out, weights, settings)
    atomic_write(args.json, json.dumps(table, indent=2) + '\n')
    print(f'{"category":<20}' + ''.join(f'{r:>14}' for r in REGIONS))
    for cat, row in zip(model.categories, weights.tolist()):
        print(f'{cat:<20}' + ''.join(f'{v:>14.3f}' for v in row))
    print(f'{args.out}: checkpoint with the fitted region_weights; {args.json}: the table')
    if index is not None:
        had_verdicts = index.verdicts is not None
        index.set_region_weights(weights[[model.categories.index(c) for c in index.categories]])
        index.save(args.index, overwrite=True)
        print(f'{args.index}: region weights replaced'
              + ('; its verdict thresholds were calibrated under the old weights and are '
                 'dropped: rerun tools/calibrate.py' if had_verdicts and index.verdicts is None
                 else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
