# PS-Net pre-train phase (eq. 2-3) on the embedded synthetic set, CPU-sized: the narrow HRNet of
# the synthetic landmark config for both branches, 128 px garment crops, F 16 x 16 x 128, five
# 4 x 4 RoIAligned regions embedded to 64-d. The landmark branch is loaded from the synthetic
# landmark run and frozen:
#   python tools/train_seeds.py configs/landmark/psnet-hrnet-narrow_synthetic-128x128.py \
#       --seeds 0 --work-dir work_dirs/landmark_synthetic
_base_ = ['mmpretrain::_base_/default_runtime.py', '../_base_/datasets/synthetic_pf_crops.py']
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

landmark_config = '../landmark/psnet-hrnet-narrow_synthetic-128x128.py'
landmark_checkpoint = 'work_dirs/landmark_synthetic/seed0/epoch_20.pth'

hrnet = dict(
    _scope_='mmpose', type='HRNet', in_channels=3,
    extra=dict(
        stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(2, ),
                    num_channels=(32, )),
        stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(2, 2),
                    num_channels=(16, 32)),
        stage3=dict(num_modules=1, num_branches=3, block='BASIC', num_blocks=(2, 2, 2),
                    num_channels=(16, 32, 64)),
        stage4=dict(num_modules=1, num_branches=4, block='BASIC', num_blocks=(2, 2, 2, 2),
                    num_channels=(16, 32, 64, 128), multiscale_output=True)))
neck = dict(_scope_='mmpose', type='PSNetFeatureNeck', in_channels=(16, 32, 64, 128),
            out_channels=128)
codec = dict(type='MSRAHeatmap', input_size=(128, 128), heatmap_size=(32, 32), sigma=1)

model = dict(
    type='PSNetRetriever',
    backbone=hrnet,
    neck=neck,
    landmark_branch=dict(
        backbone=hrnet, neck=neck,
        head=dict(_scope_='mmpose', type='PSNetLandmarkHead', in_channels=128,
                  out_channels=294, reduce_channels=64, deconv_out_channels=(64, ),
                  deconv_kernel_sizes=(4, ), decoder=codec)),
    landmark_checkpoint=landmark_checkpoint,
    # no ImageNet HRNet here: the retrieval branch starts from a copy of the trained landmark
    # HRNet + neck (the paper starts both from ImageNet), and the attention conv from zero
    # (A = 1/2, F' = F at the start), so attention can only be learned in, never injected as noise
    init_retrieval_from_landmarks=True,
    attention=dict(type='PSNetLandmarkAttention', zero_init=True),
    feat_channels=128, embed_dim=64, roi_size=4, input_size=(128, 128), feature_stride=8,
    margin=0.2,
    data_preprocessor=dict(num_classes=-1, mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], to_rgb=True),
    prototype={{_base_.gallery_dataloader}})

val_evaluator = dict(type='PSNetPlagiarismMetric')
test_evaluator = val_evaluator

max_epochs = 20
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[14, 18], gamma=0.1)]
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2))
# validation scores the val gallery, tools/test.py the test gallery
custom_hooks = [dict(type='PSNetGalleryHook', val_gallery={{_base_.gallery_dataloader}},
                     test_gallery={{_base_.test_gallery}})]
