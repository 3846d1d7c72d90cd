"""Grad-CAM of a retrieval model with a similarity target: which pixels make QUERY look like
GALLERY.

Writes ``query | query CAM | gallery | gallery CAM`` as one PNG: the query's map explains its
similarity to the fixed gallery embedding, the gallery's map the reverse. Needs
``grad-cam==1.5.7`` (requirements/gradcam.txt, installed by ``make setup``).

Example::

    python tools/visualization/similarity_cam.py \\
        configs/cbam/triplet_cbam-resnet50-narrow_20e_synthetic-128.py \\
        work_dirs/cbam_synthetic/epoch_20.pth \\
        --query data/synthetic/images/test/000010_00.jpg \\
        --gallery data/synthetic/images/test/000010_01.jpg --out work_dirs/cam_000010.png
"""
import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence


def build_retriever(config: str, checkpoint: Optional[str], device: str = 'cpu',
                    cfg_options: Optional[dict] = None):
    """The config's model with the checkpoint's weights, in eval mode, without its gallery."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS

    import ps_net  # noqa: F401  registers the components and the trusted checkpoint loader
    import ps_net.models.retrievers.triplet_retriever  # noqa: F401  PSNetTripletRetriever

    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.model.prototype = torch.zeros(1, 1)  # no gallery extraction: the CAM needs none
    if isinstance(cfg.model.get('backbone'), dict):
        cfg.model.backbone.pop('init_cfg', None)  # the checkpoint replaces the ImageNet weights
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
        model = MODELS.build(cfg.model)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return cfg, model.to(device).eval()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='retrieval config (e.g. configs/cbam/...)')
    parser.add_argument('checkpoint', help="trained checkpoint ('none': random weights)")
    parser.add_argument('--query', required=True, help='query image')
    parser.add_argument('--gallery', required=True, help='gallery image')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--target-layer', default=None,
                        help='dotted module name (default: the last convolution stage, '
                        "e.g. image_encoder.backbone.layer4; 'backbone.final_attention' for the "
                        'map after the CBAM/SE block)')
    parser.add_argument('--metric', choices=('cosine', 'neg_euclidean'), default='cosine',
                        help='similarity explained (default cosine; neg_euclidean = -eq. 4)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--force', action='store_true', help='replace an existing --out')
    args = parser.parse_args(argv)

    import cv2

    from ps_net.visualization.similarity_cam import (default_target_layer, load_image,
                                                     make_panel, similarity_cam)
    out = Path(args.out)
    try:
        for name in ('query', 'gallery'):
            if not Path(getattr(args, name)).is_file():
                raise FileNotFoundError(f'--{name} {getattr(args, name)} does not exist')
        if out.exists() and not args.force:
            raise FileExistsError(f'{out} exists (pass --force to replace it)')
        checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
        cfg, model = build_retriever(args.config, checkpoint, args.device)
        pipeline = cfg.test_dataloader.dataset.pipeline
        query, query_img = load_image(args.query, pipeline, model.data_preprocessor)
        gallery, gallery_img = load_image(args.gallery, pipeline, model.data_preprocessor)
        layer = args.target_layer or default_target_layer(model)
        query_cam, score = similarity_cam(model, query, gallery, layer, args.metric)
        gallery_cam, _ = similarity_cam(model, gallery, query, layer, args.metric)
    except (ValueError, FileExistsError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    picture = make_panel(query_img, query_cam, gallery_img, gallery_cam, score, args.metric)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), picture[..., ::-1]):
        print(f'error: could not write {out}', file=sys.stderr)
        return 2
    print(f'{args.metric} similarity {score:.4f} (target layer {layer}); wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
