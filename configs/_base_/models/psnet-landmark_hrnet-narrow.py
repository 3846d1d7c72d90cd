# The CPU landmark model: the HRNet of ./psnet-landmark_hrnet-w32.py made narrow and shallow
# (widths 16/32/64/128, two blocks per branch, one module per stage, no ImageNet weights),
# 128 x 128 input, F at stride 8 (16 x 16 x 128), one deconv to 32 x 32 heatmaps (1/4 of the
# input), sigma 1 heatmap pixel; no flip test.
_base_ = ['./psnet-landmark_hrnet-w32.py']

codec = dict(type='MSRAHeatmap', input_size=(128, 128), heatmap_size=(32, 32), sigma=1)

model = dict(
    backbone=dict(
        extra=dict(
            stage1=dict(num_blocks=(2, ), num_channels=(32, )),
            stage2=dict(num_blocks=(2, 2), num_channels=(16, 32)),
            stage3=dict(num_modules=1, num_blocks=(2, 2, 2), num_channels=(16, 32, 64)),
            stage4=dict(num_modules=1, num_blocks=(2, 2, 2, 2),
                        num_channels=(16, 32, 64, 128))),
        init_cfg=None),
    neck=dict(in_channels=(16, 32, 64, 128), out_channels=128),
    head=dict(in_channels=128, reduce_channels=64, deconv_out_channels=(64, ),
              deconv_kernel_sizes=(4, ), decoder=codec),
    test_cfg=dict(flip_test=False))
