"""Search a gallery index with photos and write the evidence.

    python tools/search.py INDEX IMAGE... [--config CONFIG] [--checkpoint CKPT] [--topk 20] \
        [--json OUT] [--html OUT] [--png OUT] [--report-hits 10] \
        [--det-config DET_CONFIG --det-checkpoint DET_CKPT --score-thr 0.5] \
        [--batch-size 16] [--device cpu] [--backend pytorch|onnx]

``--config`` / ``--checkpoint`` default to the model the index was built with (recorded by
``tools/build_index.py``); an index of another model is refused. Without a detector every image
is one garment whose box is the whole image. ``--backend onnx`` embeds with the onnxruntime export
(``tools/deployment/pytorch2onnx.py``): ``--checkpoint`` then names its ``.onnx`` file, whose
recorded fingerprint must be the index's. Prints each image's status and its best hits;
``--json`` writes every result (fields in ``docs/search.md``); ``--html`` / ``--png`` write the
reviewer's report of each image (``ps_net.visualization.search_report``): with one IMAGE, OUT
is the file; with several, OUT is a folder receiving ``NNN_<image name>.html`` / ``.png``
(NNN: the image's position). Exit status 0 when every image was searched, 1 when any could not
be (unreadable, no garment, no garment of the four categories; the others are still answered
and written), 2 for bad arguments.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('index', help='a gallery index (tools/build_index.py)')
    parser.add_argument('images', nargs='+', metavar='IMAGE', help='query photos')
    parser.add_argument('--config', help='the retriever config (default: the index\'s)')
    parser.add_argument('--checkpoint', help='its checkpoint (default: the index\'s)')
    parser.add_argument('--topk', type=int, default=20, help='hits per garment')
    parser.add_argument('--json', help='write every result as JSON')
    parser.add_argument('--html', help='write the HTML report (a file, or a folder for '
                        'several images)')
    parser.add_argument('--png', help='write the PNG report (same naming as --html)')
    parser.add_argument('--report-hits', type=int, default=10,
                        help='hits shown per garment in the reports (default: %(default)s)')
    parser.add_argument('--det-config', help='a garment detector config (DeepFashion2 classes)')
    parser.add_argument('--det-checkpoint', help='its checkpoint')
    parser.add_argument('--score-thr', type=float, default=0.5, help='detection threshold')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--backend', choices=('pytorch', 'onnx'), default='pytorch',
                        help='embed with PyTorch or with the onnxruntime export named by '
                        '--checkpoint (default: %(default)s)')
    return parser.parse_args(argv)


def _check(args: argparse.Namespace) -> Optional[str]:
    if min(args.topk, args.batch_size, args.report_hits) < 1:
        return '--topk, --batch-size and --report-hits must be >= 1'
    if not osp.isfile(args.index):
        return f'index {args.index} is not a file'
    if args.det_checkpoint and not args.det_config:
        return '--det-checkpoint needs --det-config'
    onnx = (args.checkpoint or '').endswith('.onnx')
    if args.backend == 'onnx' and not (onnx and osp.isfile(args.checkpoint)):
        return (f'--backend onnx needs --checkpoint FILE.onnx, an existing export '
                f'(tools/deployment/pytorch2onnx.py); got {args.checkpoint!r}')
    if args.backend == 'pytorch' and onnx:
        return f'--checkpoint {args.checkpoint} is an ONNX export: pass --backend onnx'
    return None


def report_paths(out: Optional[str], images: Sequence[str], ext: str) -> List[Optional[str]]:
    """Where each image's report goes: ``out`` itself for one image, else
    ``out/NNN_<name>.<ext>``.

    Example:
        >>> report_paths('r', ['a/x.jpg', 'b/x.jpg'], 'html')
        ['r/000_x.html', 'r/001_x.html']
    """
    if out is None:
        return [None] * len(images)
    if len(images) == 1:
        return [out]
    stem = [osp.splitext(osp.basename(str(i)))[0] or 'image' for i in images]
    return [osp.join(out, f'{n:03d}_{s}.{ext}') for n, s in enumerate(stem)]


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ps_net.utils.cli import parse_checked
    args, code = parse_checked(parse_args, _check, argv)
    if args is None:
        return code
    from ps_net.apis import PSNetSearcher
    from ps_net.index import IndexLoadError
    from ps_net.utils import atomic_write
    from ps_net.visualization.search_report import write_search_report

    detector = (args.det_config, args.det_checkpoint) if args.det_config else None
    try:
        searcher = PSNetSearcher(args.config, args.checkpoint, args.index, detector,
                                 args.device, args.score_thr)
    except (IndexLoadError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    results = searcher(list(args.images), args.topk, args.batch_size)
    for result in results:
        print(f'{result.input}: {result.status}' + (f' ({result.reason})' if result.reason
                                                    else ''))
        for g, garment in enumerate(result.garments, 1):
            print(f'  garment {g} ({garment.category}): ' + ', '.join(
                f'#{h.rank} id {h.id} {h.score:.3f}' + (f' {h.verdict}' if h.verdict else '')
                for h in garment.hits[:5]))
    if args.json:
        payload = dict(index=osp.abspath(args.index), topk=args.topk,
                       results=[r.to_dict() for r in results])
        atomic_write(args.json, json.dumps(payload, indent=1, allow_nan=False) + '\n',
                     overwrite=True)
        print(f'[search] results: {args.json}')
    htmls = report_paths(args.html, args.images, 'html')
    pngs = report_paths(args.png, args.images, 'png')
    for folder in {osp.dirname(p) for p in htmls + pngs if p}:
        if folder:
            os.makedirs(folder, exist_ok=True)
    for result, html_path, png_path in zip(results, htmls, pngs):
        if html_path or png_path:
            write_search_report(result, html_path, png_path, args.report_hits)
            print(f'[search] report: {html_path or png_path}')
    return 0 if all(r.ok for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
