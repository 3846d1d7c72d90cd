"""Draw predicted vs true boxes and landmarks (detector + landmark model) on a COCO file.

Example::

    python tools/visualize_predictions.py data/synthetic/annotations/coco_test.json \\
        --det-config configs/detector/faster-rcnn_r18-narrow_fpn_1x_synthetic-128.py \\
        --det-checkpoint work_dirs/det_synthetic/epoch_12.pth \\
        --pose-config configs/landmark/psnet-landmark_hrnet-narrow_20e_synthetic-128.py \\
        --pose-checkpoint work_dirs/landmark_synthetic/seed0/epoch_20.pth \\
        --out work_dirs/predictions_synthetic.png
"""
import argparse
import sys
from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('coco', help='COCO file (boxes, optionally 294-slot keypoints)')
    parser.add_argument('--data-root', default=None,
                        help='folder of file_name (default: parent of the annotations folder)')
    parser.add_argument('--det-config', required=True)
    parser.add_argument('--det-checkpoint', required=True)
    parser.add_argument('--pose-config', required=True)
    parser.add_argument('--pose-checkpoint', required=True)
    parser.add_argument('--score-thr', type=float, default=0.5)
    parser.add_argument('--num-images', type=int, default=12)
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--force', action='store_true', help='replace an existing --out')
    args = parser.parse_args(argv)
    from ps_net.apis import GarmentPipeline
    from ps_net.visualization import draw_predictions
    try:
        pipeline = GarmentPipeline(args.det_config, args.det_checkpoint, args.pose_config,
                                   args.pose_checkpoint, score_thr=args.score_thr)
        path = draw_predictions(pipeline, args.coco, args.out, args.data_root,
                                num_images=args.num_images, overwrite=args.force)
    except (ValueError, FileExistsError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
