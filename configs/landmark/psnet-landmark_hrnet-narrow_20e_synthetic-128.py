# CPU config: the narrow landmark model (../_base_/models/psnet-landmark_hrnet-narrow.py) on the
# embedded synthetic set (python tools/make_synthetic.py --out data/synthetic --num-designs 300
# --img-size 128), 20 epochs of Adam with a short warm-up.
_base_ = ['mmpose::_base_/default_runtime.py', '../_base_/models/psnet-landmark_hrnet-narrow.py',
          '../_base_/datasets/synthetic_coco_landmarks.py']
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpose'

train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=20, milestones=[14, 18], gamma=0.1, by_epoch=True),
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(save_best='NE', rule='less'))

data_root = _base_.data_root
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', rotate_factor=20.0),
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))

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
