"""How local a trained PS-Net's region features are (see ps_net.evaluation.functional).

    python tools/analysis_tools/region_locality.py \
        configs/ps_net/psnet_hrnet-narrow_20e_synthetic-128.py \
        work_dirs/psnet_synthetic/epoch_10.pth \
        [--ann-file annotations/pf_test.json] [--out locality.json]

Prints the mean original-to-image region distance for the modified and unmodified regions of
plagiarized copies, identical re-shots and hard negatives, per region too, and the locality
score; ``--out`` writes them as JSON.
"""
import argparse
import json
import sys
from typing import Optional, Sequence

import numpy as np


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a PS-Net retriever config')
    parser.add_argument('checkpoint', help='its trained checkpoint')
    parser.add_argument('--ann-file', default='annotations/pf_test.json',
                        help='Plagiarized Fashion file under the config\'s data_root; all its '
                             'images are used (queries and gallery)')
    parser.add_argument('--out', help='write the figures to this JSON file')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ps_net.utils.cli import missing_config_or_checkpoint, parse_checked
    args, code = parse_checked(parse_args, missing_config_or_checkpoint, argv)
    if args is None:
        return code
    import torch

    from ps_net.apis.region_features import build_dataset, extract_region_features, \
        load_retriever
    from ps_net.evaluation.functional import GROUPS, region_locality
    from ps_net.utils import atomic_write

    cfg, model = load_retriever(args.config, args.checkpoint)
    dataset = build_dataset(cfg.test_gallery, ann_file=args.ann_file, split=None,
                            with_retrieval_labels=False)
    with torch.no_grad():
        out = extract_region_features(model, dataset)
    feats, valid, _ = model.split_flat(torch.as_tensor(out['flat']))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    result = region_locality(feats.numpy(), valid.numpy(), [i['design_id'] for i in infos],
                             [i['relation'] for i in infos],
                             np.stack([i['modified_region_mask'] for i in infos]))
    regions = dataset.metainfo['regions']
    print(f'{"group":<12}{"mean":>8}{"pairs":>8}  ' + ''.join(f'{r:>14}' for r in regions))
    for g in GROUPS:
        print(f'{g:<12}{result[g]:>8.3f}{result["counts"][g]:>8}  '
              + ''.join(f'{v:>14.3f}' for v in result['per_region'][g]))
    print(f'locality (modified - unmodified) / (irrelevant - identical): '
          f'{result["locality"]:.3f}')
    if args.out:
        atomic_write(args.out, json.dumps(dict(result, regions=list(regions)), indent=2) + '\n',
                     overwrite=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
