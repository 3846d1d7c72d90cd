# mmdeploy-style deploy config: PS-Net's embedding model (garment crop -> landmark heatmaps,
# region boxes and region features) to ONNX for onnxruntime, batch size dynamic, the spatial
# size the model config's input_size. mmdeploy itself is not used (docs/deploy.md says why):
# tools/deployment/pytorch2onnx.py reads this file and exports with torch.onnx.
#   python tools/deployment/pytorch2onnx.py MODEL_CONFIG CKPT \
#       configs/deploy/region-embedding_onnxruntime_dynamic-batch.py \
#       --out work_dirs/deploy/psnet.onnx
onnx_config = dict(
    type='onnx',
    export_params=True,
    keep_initializers_as_inputs=False,
    # torchvision's RoiAlign export needs opset >= 16 (its half_pixel mode = aligned=True)
    opset_version=17,
    # the TorchScript exporter: torch 2.14's default dynamo exporter needs onnxscript (not
    # installed) and cannot trace mmcv's RoIAlign
    dynamo=False,
    do_constant_folding=True)
codebase_config = dict(type='ps_net', task='RegionEmbedding')
backend_config = dict(type='onnxruntime')
# The graph is cut where the landmarks are decoded and divided into regions (numpy code, run in
# Python between the two graphs, as mmdeploy partitions two-stage detectors). The first
# partition is written to --out FILE, the second beside it as <FILE stem>.<name>.onnx.
partition_config = dict(
    type='ps_net_region_division',
    partition_cfg=[
        dict(name='backbone',
             input_names=['crop'],
             output_names=['heatmaps', 'feature_map'],
             dynamic_axes=dict(crop={0: 'batch'}, heatmaps={0: 'batch'},
                               feature_map={0: 'batch'})),
        dict(name='head',
             input_names=['feature_map', 'boxes', 'valid'],
             output_names=['region_feats'],
             dynamic_axes=dict(feature_map={0: 'batch'}, boxes={0: 'batch'},
                               valid={0: 'batch'}, region_feats={0: 'batch'})),
    ])
