# PS-Net's landmark model at 224 px: mmpose's HRNet-W32 -> PSNetFeatureNeck (F: 28 x 28 x 1024)
# -> PSNetLandmarkHead (1x1 conv to 128, three stride-2 deconvs 28 -> 224: heatmaps at the input
# scale, sigma 1 pixel) over DeepFashion2's 294 keypoint slots. PS-Net's landmark branch
# (./psnet_hrnet-w32.py) is built from these dicts, so a checkpoint of this model loads into it.
codec = dict(type='MSRAHeatmap', input_size=(224, 224), heatmap_size=(224, 224), sigma=1)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        type='HRNet', in_channels=3,
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                        num_channels=(64, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                        num_channels=(32, 64)),
            stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                        num_channels=(32, 64, 128)),
            stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                        num_channels=(32, 64, 128, 256), multiscale_output=True)),
        init_cfg=dict(type='Pretrained',
                      checkpoint='https://download.openmmlab.com/mmpose/pretrain_models/'
                      'hrnet_w32-36af842e.pth')),
    neck=dict(type='PSNetFeatureNeck', in_channels=(32, 64, 128, 256), out_channels=1024,
              out_index=1),
    head=dict(
        type='PSNetLandmarkHead', in_channels=1024, out_channels=294, reduce_channels=128,
        deconv_out_channels=(128, 128, 128), deconv_kernel_sizes=(4, 4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))
