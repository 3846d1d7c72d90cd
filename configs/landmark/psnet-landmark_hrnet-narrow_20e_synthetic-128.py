# CPU config: the same HRNet class made narrow and shallow (widths 16/32/64/128, two blocks per
# branch, one module per stage), 128 x 128 input, F at stride 8 (16 x 16 x 128), one deconv to
# 32 x 32 heatmaps (1/4 of the input), sigma 1 heatmap pixel; on the embedded synthetic set
# (python tools/make_synthetic.py --out data/synthetic --num-designs 300 --img-size 128).
_base_ = ['./psnet-hrnet-w32_df2-224x224.py']

max_epochs = 20
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=max_epochs, milestones=[14, 18], gamma=0.1,
         by_epoch=True),
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(logger=dict(interval=10))

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

data_root = 'data/synthetic/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', rotate_factor=20.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(
    batch_size=32, num_workers=2,
    dataset=dict(data_root=data_root, ann_file='annotations/coco_train.json',
                 data_prefix=dict(img=''), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64, num_workers=2,
    dataset=dict(data_root=data_root, ann_file='annotations/coco_val.json',
                 data_prefix=dict(img=''), pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=64, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(type='PSNetDeepFashion2Dataset', data_root=data_root, data_mode='topdown',
                 ann_file='annotations/coco_test.json', data_prefix=dict(img=''),
                 test_mode=True, pipeline=val_pipeline))

val_evaluator = [
    dict(type='PSNetNormalizedError', per_category=True),
    dict(type='PCKAccuracy', thr=0.2),
    dict(type='AUC'),
    dict(type='EPE'),
    dict(type='PSNetDF2CocoMetric', ann_file=data_root + 'annotations/coco_val.json'),
]
# the same metrics, keypoint AP against the test split's annotations
test_evaluator = val_evaluator[:-1] + [
    dict(type='PSNetDF2CocoMetric', ann_file=data_root + 'annotations/coco_test.json')]
