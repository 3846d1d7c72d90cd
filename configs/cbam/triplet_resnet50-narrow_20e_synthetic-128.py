# Xuan et al. (CSA 2022) retrieval baseline, "ResNet50" row of table 1, on the embedded synthetic
# set, CPU-sized: a narrow ResNet50 (stem/base width 16, 512-d pooled feature, no ImageNet
# weights), global average pooling, L2-normalised embedding, triplet loss, gallery ranked by
# Euclidean distance (eq. 4; pred_score = -distance). The SE / CBAM rows change one line:
# se-resnet50-triplet_synthetic-128.py, cbam-resnet50-triplet_synthetic-128.py.
# Data: the 128 px synthetic crops PS-Net's synthetic configs use.
_base_ = ['mmpretrain::_base_/default_runtime.py', '../_base_/datasets/synthetic_pf_crops.py']
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

data_root = 'data/synthetic'

model = dict(
    type='PSNetTripletRetriever',
    backbone=dict(type='PSNetAttentionResNet', depth=50, stem_channels=16, base_channels=16,
                  attention=None),
    embed_dim=None,  # the pooled backbone feature, as in the paper
    margin=0.2,
    data_preprocessor=dict(num_classes=-1, mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], to_rgb=True),
    prototype={{_base_.gallery_dataloader}})

# pred_score is -distance (higher is better): PSNetPrecisionAtK's default ranking='similarity'.
val_evaluator = [dict(type='PSNetPlagiarismMetric'),
                 dict(type='PSNetPrecisionAtK',
                      gallery_ann_file=f'{data_root}/annotations/pf_val.json')]
test_evaluator = [dict(type='PSNetPlagiarismMetric'),
                  dict(type='PSNetPrecisionAtK',
                       gallery_ann_file=f'{data_root}/annotations/pf_test.json')]

train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=5)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[14, 18], gamma=0.1)]
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
# validation scores the val gallery, tools/test.py the test gallery
custom_hooks = [dict(type='PSNetGalleryHook', val_gallery={{_base_.gallery_dataloader}},
                     test_gallery={{_base_.test_gallery}})]
