"""Export a trained PS-Net retriever's embedding model to ONNX (onnxruntime).

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT DEPLOY_CFG --out FILE \
        [--overwrite] [--atol 1e-4] [--no-verify]

DEPLOY_CFG is an mmdeploy-style deploy config (``configs/deploy/``). Writes FILE (crop ->
landmark heatmaps and the attended feature map) and ``<FILE stem>.head.onnx`` (feature map +
region boxes -> region features), each atomically; the region division runs in Python between
them (``ps_net.apis.OnnxGarmentEmbedder``; ``docs/deploy.md``). Then runs both graphs in
onnxruntime on three random crops and prints the max |onnxruntime - PyTorch| of every output.
Exit status 0 when exported (and within ``--atol``), 1 when the check fails (the files stay
for inspection), 2 for bad arguments or an existing FILE without ``--overwrite``.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the PS-Net retriever config')
    parser.add_argument('checkpoint', help='its trained checkpoint')
    parser.add_argument('deploy_cfg', help='the deploy config (configs/deploy/)')
    parser.add_argument('--out', required=True, help='the first graph\'s .onnx file')
    parser.add_argument('--overwrite', action='store_true', help='replace existing files')
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='largest |onnxruntime - PyTorch| accepted (default: %(default)s)')
    parser.add_argument('--no-verify', action='store_true',
                        help='skip the onnxruntime check')
    return parser.parse_args(argv)


def _check(args: argparse.Namespace) -> Optional[str]:
    for flag, path in (('CONFIG', args.config), ('CHECKPOINT', args.checkpoint),
                       ('DEPLOY_CFG', args.deploy_cfg)):
        if not osp.isfile(path):
            return f'{flag} {path} is not a file'
    if not args.out.endswith('.onnx'):
        return f'--out {args.out} must end with .onnx'
    if not args.atol > 0:
        return f'--atol must be > 0, got {args.atol}'
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ps_net.utils.cli import parse_checked
    args, code = parse_checked(parse_args, _check, argv)
    if args is None:
        return code
    from ps_net.apis.region_features import load_retriever
    from ps_net.deploy import export_embedding_onnx, load_deploy_config
    from ps_net.deploy.onnx_export import verify_embedding_onnx

    try:
        deploy_cfg = load_deploy_config(args.deploy_cfg)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    cfg, model = load_retriever(args.config, args.checkpoint)
    try:
        paths = export_embedding_onnx(model, cfg, deploy_cfg, args.out, args.overwrite,
                                      source=dict(config=osp.abspath(args.config),
                                                  checkpoint=osp.abspath(args.checkpoint)))
    except (FileExistsError, TypeError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    for path in paths:
        print(f'[pytorch2onnx] wrote {path}')
    if args.no_verify:
        return 0
    diffs = verify_embedding_onnx(model, paths)
    print('[pytorch2onnx] max |onnxruntime - PyTorch|: ' + ', '.join(
        f'{k} {v:.2e}' for k, v in diffs.items()))
    worse = {k: v for k, v in diffs.items() if not v <= args.atol}
    if worse:
        print(f'error: above --atol {args.atol}: {worse}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
