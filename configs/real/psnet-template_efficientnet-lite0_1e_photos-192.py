# A trained PS-Net region head on photographs (the model of the ONNX export test and the latency
# benchmark; not a row of the real-photo table, whose PS-Net rows pool the backbone's stride-16
# map without learned layers: ./psnet-template_efficientnet-lite0_sscd-2e_photos-192.py). PS-Net's region head and eq. 1 over
# the five regions of the garment-box template (PSNetTemplateRetriever: no landmark model is
# trained for photos here), on the ImageNet EfficientNet-Lite0: its stride-16 map (112 ch) and
# conv_head (1280 ch, upsampled) fused by PSNetFeatureNeck into F (12 x 12 x 512 at 192 px), five
# 3 x 3 RoIAligned regions embedded to 128-d. Trained on the real benchmark's train split:
# region triplets of references (eq. 2-3, batch-hard), the Fashion Output triplet and the copy
# region triplets (kept regions of a copy are positives of its original, changed ones
# negatives), on P x K batches of originals, re-shots and copies with generic augmentation and
# local edits; then the per-category region weights are fitted (tools/fit_region_weights.py).
#   python tools/train.py configs/real/psnet-template_efficientnet-lite0_1e_photos-192.py
#   python tools/fit_region_weights.py configs/real/psnet-template_efficientnet-lite0_1e_photos-192.py \
#       work_dirs/psnet-template_efficientnet-lite0_1e_photos-192/epoch_1.pth
#   python tools/test.py configs/real/psnet-template_efficientnet-lite0_1e_photos-192.py \
#       work_dirs/psnet-template_efficientnet-lite0_1e_photos-192/epoch_1_fitted.pth
_base_ = [
    'mmpretrain::_base_/default_runtime.py', '../_base_/models/efficientnet-lite0.py',
    '../_base_/datasets/photo_pf_crops.py', '../_base_/schedules/adam_20e.py'
]
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

model = dict(
    type='PSNetTemplateRetriever',
    backbone=dict(_base_.backbone, _scope_='mmpretrain', out_indices=(3, 5)),
    neck=dict(_scope_='mmpose', type='PSNetFeatureNeck', in_channels=(112, 1280),
              out_channels=512, out_index=0),
    feat_channels=512, input_size=(192, 192),
    head=dict(type='PSNetRegionHead', embed_dim=128, roi_size=3, feature_stride=16,
              hard_negatives=True, copy_loss_weight=1.0,
              loss=dict(type='PSNetRegionTripletLoss', margin=0.2)),
    data_preprocessor={{_base_.data_preprocessor}},
    prototype={{_base_.gallery_dataloader}})
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-6),
                     paramwise_cfg=dict(custom_keys={'neck': dict(lr_mult=10.0),
                                                     'head': dict(lr_mult=10.0)}))
param_scheduler = []
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
