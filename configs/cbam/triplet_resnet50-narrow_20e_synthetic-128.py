# Xuan et al. (CSA 2022) retrieval baseline, "ResNet50" row of table 1, on the embedded synthetic
# set, CPU-sized: the triplet ResNet50 (../_base_/models/triplet_resnet50.py) made narrow (stem /
# base width 16, 512-d pooled feature, no ImageNet weights). The SE / CBAM rows change one line:
# triplet_se-resnet50-narrow_20e_synthetic-128.py,
# triplet_cbam-resnet50-narrow_20e_synthetic-128.py.
# Data: the 128 px synthetic crops PS-Net's synthetic configs use.
_base_ = [
    'mmpretrain::_base_/default_runtime.py', '../_base_/models/triplet_resnet50.py',
    '../_base_/datasets/synthetic_pf_crops.py', '../_base_/schedules/adam_20e.py'
]
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

model = dict(backbone=dict(stem_channels=16, base_channels=16),
             prototype={{_base_.gallery_dataloader}})

# pred_score is -distance (higher is better): PSNetPrecisionAtK's default ranking='similarity'.
val_evaluator = [dict(type='PSNetPlagiarismMetric'),
                 dict(type='PSNetPrecisionAtK',
                      gallery_ann_file='data/synthetic/annotations/pf_val.json')]
test_evaluator = [dict(type='PSNetPlagiarismMetric'),
                  dict(type='PSNetPrecisionAtK',
                       gallery_ann_file='data/synthetic/annotations/pf_test.json')]

train_cfg = dict(val_interval=5)
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
