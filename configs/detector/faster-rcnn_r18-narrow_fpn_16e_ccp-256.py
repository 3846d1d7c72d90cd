# Real pixels: the synthetic CPU detector fine-tuned on Clothing Co-Parsing street photos
# (boxes from the label maps, CCP labels mapped to DeepFashion2 categories; photos 0001-0560
# train, 0561-0700 val). Prepare:
#   mkdir -p data/ccp && ln -s "$PWD/../shared/data/ccp/photos" data/ccp/photos
#   python tools/dataset_converters/ccp_to_coco.py --ccp-root ../shared/data/ccp \
#       --out-dir data/ccp/annotations
# and train the synthetic detector first (load_from below:
# faster-rcnn_r18-narrow_fpn_5e_synthetic-1500d-128.py).
_base_ = ['./faster-rcnn_r18-narrow_fpn_1x_synthetic-128.py']

load_from = 'work_dirs/det_synthetic_1500d/epoch_5.pth'

img_scale = (256, 256)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomResize', scale=img_scale, ratio_range=(0.8, 1.2), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]

data_root = 'data/ccp/'
train_dataloader = dict(
    batch_size=8,
    dataset=dict(data_root=data_root, ann_file='annotations/ccp_train.json',
                 data_prefix=dict(img=''), pipeline=train_pipeline,
                 filter_cfg=dict(filter_empty_gt=True, min_size=8)))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(data_root=data_root, ann_file='annotations/ccp_val.json',
                 data_prefix=dict(img=''), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/ccp_val.json')
test_evaluator = val_evaluator

max_epochs = 16
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[12, 15],
         gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
