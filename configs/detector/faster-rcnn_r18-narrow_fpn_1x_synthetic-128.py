# CPU detector on the embedded synthetic set: the same Faster R-CNN FPN with a narrow ResNet-18
# (base_channels 32, trained from scratch) at 128 px; COCO files from tools/make_synthetic.py.
_base_ = ['./faster-rcnn_r50_fpn_1x_df2-1333x800.py']

model = dict(
    backbone=dict(depth=18, base_channels=32, frozen_stages=-1, norm_eval=False,
                  init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64,
                  anchor_generator=dict(scales=[4], strides=[4, 8, 16, 32, 64])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=256)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=200),
                   rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100), rcnn=dict(max_per_img=10)))

img_scale = (128, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
data_root = 'data/synthetic/'
train_dataloader = dict(
    batch_size=16, num_workers=2,
    dataset=dict(data_root=data_root, ann_file='annotations/coco_train.json',
                 data_prefix=dict(img=''), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=2,
    dataset=dict(data_root=data_root, ann_file='annotations/coco_val.json',
                 data_prefix=dict(img=''), pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=16, num_workers=2,
    dataset=dict(data_root=data_root, ann_file='annotations/coco_test.json',
                 data_prefix=dict(img=''), pipeline=test_pipeline))
val_evaluator = dict(ann_file=data_root + 'annotations/coco_val.json')
test_evaluator = dict(ann_file=data_root + 'annotations/coco_test.json')

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=4)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.04, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=200),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[9, 11],
         gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
default_hooks = dict(logger=dict(interval=20))
