"""Upper bound of PS-Net's region weighting on the test split (see ps_net.evaluation.functional).

    python tools/analysis_tools/region_weight_bound.py \
        configs/ps_net/psnet-region-weights_hrnet-narrow_4e_synthetic-128.py \
        work_dirs/table_synthetic/seed0/psnet_weights/epoch_4.pth [--levels 0.05 0.2 0.4 0.8] \
        [--data-root DIR] [--out bound.json]

Extracts the test queries' and gallery's region features once, then ranks the gallery with
eq. 1 under uniform weights, the checkpoint's learned weights, and the best weights of a grid
chosen per category *on the test split itself* (an oracle: the most any weight-learning
procedure could give these features). Prints the mAP of each, per category, the oracle's
weights, and what outranks each query's last positive (same design or other designs) under
the checkpoint's weights; ``--out`` writes it all as JSON.
"""
import argparse
import json
import sys
from typing import Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a PS-Net retriever config (its test_dataloader and '
                        'test_gallery are used)')
    parser.add_argument('checkpoint', help='its trained checkpoint')
    parser.add_argument('--levels', type=float, nargs='+', default=[0.05, 0.2, 0.4, 0.8],
                        help='raw weight levels per region; the grid is every combination, '
                        'normalised and deduplicated (default: %(default)s, 961 vectors)')
    parser.add_argument('--data-root', help="data root of the test split (default: the "
                        "config's)")
    parser.add_argument('--out', help='write the figures to this JSON file')
    return parser.parse_args(argv)


def _check(args: argparse.Namespace) -> Optional[str]:
    from ps_net.utils.cli import missing_config_or_checkpoint
    error = missing_config_or_checkpoint(args)
    if error:
        return error
    if min(args.levels) <= 0:
        return f'--levels must be positive, got {args.levels!r}'
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ps_net.utils.cli import parse_checked
    args, code = parse_checked(parse_args, _check, argv)
    if args is None:
        return code
    import torch

    from ps_net.apis.region_features import build_dataset, extract_region_features, \
        load_retriever
    from ps_net.structures import PSNET_CATEGORIES
    from ps_net.evaluation.functional import rank_confusers, region_weight_bound, weight_grid
    from ps_net.utils import atomic_write

    cfg, model = load_retriever(args.config, args.checkpoint)
    root = dict(data_root=args.data_root) if args.data_root else {}
    queries = build_dataset(cfg.test_dataloader, **root)
    gallery = build_dataset(cfg.test_gallery, **root)
    q_flat = torch.as_tensor(extract_region_features(model, queries)['flat'])
    g_flat = torch.as_tensor(extract_region_features(model, gallery)['flat'])
    q_feats, q_valid, q_cat = model.split_flat(q_flat)
    g_feats, g_valid, _ = model.split_flat(g_flat)
    q_infos = [queries.get_data_info(i) for i in range(len(queries))]
    g_infos = [gallery.get_data_info(i) for i in range(len(gallery))]
    positives = [i.get('gt_label', []) for i in q_infos]
    ignored = [i.get('gt_ignored', []) for i in q_infos]
    learned = model.region_weights.detach().double().numpy()
    grid = weight_grid(args.levels, q_feats.shape[1])
    out = region_weight_bound(q_feats, q_valid, q_cat.tolist(), g_feats, g_valid, positives,
                              ignored, len(learned), grid, start=learned)
    with torch.no_grad():
        scores = model.scores(q_flat, g_flat).numpy()  # eq. 1, the checkpoint's weights
    confusers = rank_confusers(scores, positives, ignored, [i['design_id'] for i in q_infos],
                               [i['design_id'] for i in g_infos],
                               [i['relation'] for i in g_infos])

    names = list(PSNET_CATEGORIES)[:len(learned)]
    regions = list(queries.metainfo.get('regions', range(q_feats.shape[1])))
    print(f'{"category":<20}{"queries":>8}{"uniform":>9}{"learned":>9}{"oracle":>9}  '
          'oracle weights (' + ', '.join(map(str, regions)) + ')')
    for c, row in out['per_category'].items():
        print(f'{names[c]:<20}{row["num_queries"]:>8}{row["uniform"]:>9.1f}{row["start"]:>9.1f}'
              f'{row["best"]:>9.1f}  ' + ' '.join(f'{w:.2f}' for w in out['weights'][c]))
    print(f'{"overall":<20}{sum(r["num_queries"] for r in out["per_category"].values()):>8}'
          f'{out["uniform_mAP"]:>9.1f}{out["start_mAP"]:>9.1f}{out["mAP"]:>9.1f}')
    print('ranked above a query\'s last positive (learned weights): '
          + ', '.join(f'{k} {v}' for k, v in confusers.most_common()))
    if args.out:
        result = dict(
            config=args.config, checkpoint=args.checkpoint, levels=args.levels,
            grid_size=len(grid),
            regions=regions, mAP=dict(uniform=out['uniform_mAP'], learned=out['start_mAP'],
                                      oracle=out['mAP']),
            per_category={names[c]: row for c, row in out['per_category'].items()},
            oracle_weights={names[c]: out['weights'][c].tolist()
                            for c in range(len(names))},
            learned_weights={names[c]: learned[c].tolist() for c in range(len(names))},
            confusers=dict(confusers.most_common()))
        atomic_write(args.out, json.dumps(result, indent=2) + '\n', overwrite=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
