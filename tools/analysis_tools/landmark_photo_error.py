"""Landmark error of a DeepFashion2-layout landmark model on hand-labelled FLD photos.

    python tools/analysis_tools/landmark_photo_error.py \\
        configs/landmark/psnet-landmark_efficientnet-lite0_8e_synthetic-photo-192.py \\
        work_dirs/landmark_lite0/epoch_8.pth \\
        [--ann-file annotations/clothing-small_landmarks_val.json] \\
        [--img-root ../shared/data/clothing-small/train] [--out ne.json] \\
        [--predictions predictions.json]

Each photo is run top-down on its annotated garment box; the model's 294 DeepFashion2 slots are
read in the block of the photo's ``df2_category_id`` and turned into the 8 FLD points
(:func:`ps_net.structures.df2_to_fld`); NE (:meth:`PSNetNormalizedError.calculate`) is the mean
over the labelled points (v > 0) of the error divided by the garment box's width and height
(``NE/box``, the stricter one) and by the model's crop (``NE/crop``: the box padded and made
square, mmpose's ``input_scale``). Per class and per landmark too. ``--predictions`` writes the
predicted points in the annotation file's format with the five predicted region boxes of each
garment (``region_boxes``, the Plagiarized Fashion field): draw them with
``tools/visualization/draw_landmark_annotations.py``. Photos that cannot be read are reported
and skipped; the tool exits 1 when none could be scored.
"""
import argparse
import json
import os
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: a predicted point counts as visible in ``--predictions`` above this heatmap score
SCORE_THR = 0.2


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    shared = os.environ.get('PSNET_SHARED_DATA', osp.join(ROOT, '..', 'shared', 'data'))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='an mmpose landmark config (294 DeepFashion2 slots)')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--ann-file',
                        default=osp.join(ROOT, 'annotations', 'clothing-small_landmarks_val.json'))
    parser.add_argument('--img-root', default=osp.join(shared, 'clothing-small', 'train'))
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='write the figures to this JSON file')
    parser.add_argument('--predictions', help='write the predicted points and regions here')
    return parser.parse_args(argv)


def photo_errors(pred: np.ndarray, gt: np.ndarray, box_wh: np.ndarray,
                 crop_wh: np.ndarray) -> Dict[str, np.ndarray]:
    """Per-point normalised errors of one photo: ``pred`` / ``gt`` ``(8, 2)``, ``gt``'s labelled
    points only (NaN elsewhere), divided by the box's and by the crop's width and height."""
    from ps_net.evaluation.metrics.landmark_ne import normalized_distances
    mask = np.isfinite(gt).all(axis=1)[None]
    gt0 = np.nan_to_num(gt)[None]
    return {name: normalized_distances(pred[None], gt0, mask, wh[None])[0]
            for name, wh in (('box', box_wh), ('crop', crop_wh))}


def summarise(rows: List[dict]) -> Dict[str, object]:
    """NE overall, per class and per landmark (pooled over points), for both normalisers."""
    from ps_net.structures import FLD_KEYPOINTS
    out: Dict[str, object] = {'photos': len(rows)}
    for norm in ('box', 'crop'):
        errs = np.stack([r[norm] for r in rows])  # N x 8, NaN where not labelled
        labelled = np.isfinite(errs)
        out[f'NE/{norm}'] = float(errs[labelled].mean())
        out[f'points/{norm}'] = int(labelled.sum())
        by_class: Dict[str, List[float]] = defaultdict(list)
        for r, e in zip(rows, errs):
            by_class[r['class']] += e[np.isfinite(e)].tolist()
        out[f'NE/{norm}/class'] = {c: float(np.mean(v)) for c, v in sorted(by_class.items())}
        out[f'NE/{norm}/landmark'] = {
            name: float(np.nanmean(errs[:, k])) for k, name in enumerate(FLD_KEYPOINTS)
            if labelled[:, k].any()}
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ps_net.utils.cli import missing_config_or_checkpoint, parse_checked
    args, code = parse_checked(parse_args, missing_config_or_checkpoint, argv)
    if args is None:
        return code
    import ps_net  # noqa: F401  (registers the ps_net modules)
    from mmpose.apis import inference_topdown, init_model

    from ps_net.datasets.fld import FLDFormatError, load_fld_coco
    from ps_net.models.regions import divide_regions
    from ps_net.structures import DF2_CHAIN_COUNTS, df2_slot_range, df2_to_fld
    from ps_net.utils import atomic_write

    try:
        data = load_fld_coco(args.ann_file)
    except (FLDFormatError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    model = init_model(args.config, args.checkpoint, device=args.device)
    images = {img['id']: img for img in data['images']}
    rows, failed, predicted = [], [], []
    for i, ann in enumerate(data['annotations']):
        img = images[ann['image_id']]
        cid = ann.get('df2_category_id')
        if cid not in DF2_CHAIN_COUNTS:
            failed.append(f'{args.ann_file}: annotations[{i}].df2_category_id: expected an '
                          f'upper-body or dress DeepFashion2 id, got {cid!r}')
            continue
        path = osp.join(args.img_root, img['file_name'])
        x, y, w, h = ann['bbox']
        try:
            sample = inference_topdown(model, path, np.array([[x, y, x + w, y + h]]),
                                       bbox_format='xyxy')[0]
        except Exception as err:  # one unreadable photo never stops the run
            failed.append(f'{path}: {type(err).__name__}: {err}')
            continue
        start, stop = df2_slot_range(cid)
        kpts = sample.pred_instances.keypoints[0, start:stop]
        scores = sample.pred_instances.keypoint_scores[0, start:stop]
        fld, fld_scores, present = df2_to_fld(cid, kpts, scores)
        gt = np.asarray(ann['keypoints'], np.float64).reshape(8, 3)
        gt_xy = np.where((gt[:, 2] > 0)[:, None] & present[:, None], gt[:, :2], np.nan)
        crop_wh = np.asarray(sample.metainfo.get('input_scale', (w, h)), np.float64).reshape(-1)
        errs = photo_errors(fld, gt_xy, np.array([w, h], np.float64), crop_wh[:2])
        rows.append({**errs, 'file_name': img['file_name'],
                     'class': img['file_name'].split('/', 1)[0]})
        division = divide_regions(cid, kpts, scores, bbox=(x, y, x + w, y + h))
        vis = np.where(present & (fld_scores >= SCORE_THR), 2, 0)
        predicted.append(dict(ann, keypoints=[float(v) for p, s in zip(fld, vis)
                                              for v in (*p, s)],
                              region_boxes=division.as_dict(),
                              region_fallback=[bool(v) for v in division.fallback]))
    for line in failed:
        print(f'skipped: {line}', file=sys.stderr)
    if not rows:
        print('error: no photo could be scored', file=sys.stderr)
        return 1
    summary = summarise(rows)
    summary.update(skipped=failed, per_photo=[
        dict(file_name=r['file_name'], **{f'NE/{n}': float(np.nanmean(r[n])) for n in
                                           ('box', 'crop') if np.isfinite(r[n]).any()})
        for r in rows])
    print(f"NE/box {summary['NE/box']:.4f}  NE/crop {summary['NE/crop']:.4f}  "
          f"({summary['photos']} photos, {summary['points/box']} points)")
    for c, v in summary['NE/box/class'].items():
        print(f'  {c:12s} NE/box {v:.4f}')
    if args.out:
        atomic_write(args.out, json.dumps(summary, indent=2) + '\n', overwrite=True)
    if args.predictions:
        atomic_write(args.predictions, json.dumps(dict(data, annotations=predicted)) + '\n',
                     overwrite=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
