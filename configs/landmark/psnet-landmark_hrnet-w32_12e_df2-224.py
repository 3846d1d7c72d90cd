# PS-Net landmark branch on DeepFashion2 (all 13 categories, 294 keypoint slots), 224 x 224: the
# model of ../_base_/models/psnet-landmark_hrnet-w32.py, the paper's schedule (lr 0.001, x0.1 at
# epochs 9 and 12, 12 epochs).
# Data:
#   python tools/dataset_converters/deepfashion2_to_coco.py \
#       --anno-dir data/deepfashion2/train/annos --image-dir data/deepfashion2/train/image \
#       --out data/deepfashion2/train/deepfashion2_train.json
_base_ = ['mmpose::_base_/default_runtime.py', '../_base_/models/psnet-landmark_hrnet-w32.py']
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpose'

train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=12, milestones=[9, 12], gamma=0.1, by_epoch=True),
]
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(checkpoint=dict(save_best='NE', rule='less'))

dataset_type = 'PSNetDeepFashion2Dataset'  # mmpose's, with the two-sided flip table
data_mode = 'topdown'
data_root = 'data/deepfashion2/'

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size={{_base_.codec.input_size}}),
    dict(type='GenerateTarget', encoder={{_base_.codec}}),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size={{_base_.codec.input_size}}),
    dict(type='PackPoseInputs'),
]

train_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode=data_mode,
                 ann_file='train/deepfashion2_train.json', data_prefix=dict(img='train/image/'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32, num_workers=4, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode=data_mode,
                 ann_file='validation/deepfashion2_validation.json',
                 data_prefix=dict(img='validation/image/'), test_mode=True,
                 pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='PSNetNormalizedError', per_category=True),
    dict(type='PCKAccuracy', thr=0.2),
    dict(type='AUC'),
    dict(type='EPE'),
    # OKS keypoint AP with DeepFashion2's official per-slot sigmas, per category
    dict(type='PSNetDF2CocoMetric', ann_file=data_root + 'validation/deepfashion2_validation.json'),
]
test_evaluator = val_evaluator
