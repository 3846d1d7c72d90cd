# The landmark branch for photographs, CPU-sized: the ImageNet EfficientNet-Lite0 landmark model
# (../_base_/models/psnet-landmark_efficientnet-lite0.py, 192 px) trained on a synthetic set
# whose fabrics are mostly real photo crops (no photo of the real benchmark's test split nor of
# the landmark validation set among them) and whose long sleeves hang anywhere from half raised
# to straight down (55-88 degrees below the horizontal, as garments lie in flat-lay photos),
# with photometric and geometric augmentation, 8 epochs of Adam:
#   python tools/make_synthetic.py --out data/synthetic_photo --seed 1 --num-designs 400 \
#       --real-texture-prob 0.9 --long-sleeve-angle 55 88 \
#       --exclude-textures data/photo_benchmark/test_photos.txt \
#       --exclude-textures annotations/clothing-small_landmarks_val.json
#   python tools/train.py configs/landmark/psnet-landmark_efficientnet-lite0_8e_synthetic-photo-192.py
# Scored on the 48 hand-labelled photos (docs/landmark_val.md):
#   python tools/analysis_tools/landmark_photo_error.py \
#       configs/landmark/psnet-landmark_efficientnet-lite0_8e_synthetic-photo-192.py \
#       work_dirs/psnet-landmark_efficientnet-lite0_8e_synthetic-photo-192/epoch_8.pth
_base_ = ['mmpose::_base_/default_runtime.py',
          '../_base_/models/psnet-landmark_efficientnet-lite0.py',
          '../_base_/datasets/synthetic_coco_landmarks.py']
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpose'

train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=4)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=8, milestones=[6], gamma=0.1, by_epoch=True),
]
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=1, max_keep_ckpts=1, save_best='NE', rule='less'))

data_root = 'data/synthetic_photo/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_factor=0.1, scale_factor=(0.75, 1.25),
         rotate_factor=20.0),
    dict(type='TopdownAffine', input_size={{_base_.codec.input_size}}),
    dict(type='PhotometricDistortion'),
    dict(type='GenerateTarget', encoder={{_base_.codec}}),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='TopdownAffine', input_size={{_base_.codec.input_size}}),
    dict(type='PackPoseInputs'),
]
# the synthetic set with real-photo fabrics (made by the command above)
train_dataloader = dict(dataset=dict(data_root=data_root, pipeline=train_pipeline))
eval_loader = dict(batch_size=32, persistent_workers=False,
                   dataset=dict(data_root=data_root, pipeline=val_pipeline))
val_dataloader = eval_loader
test_dataloader = eval_loader
val_evaluator = [dict(type='PSNetNormalizedError', per_category=True), dict(type='EPE')]
test_evaluator = val_evaluator
