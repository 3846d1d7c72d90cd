# Row (b) of the real-photo table: the features of row (a) pooled over the five template regions
# of the garment crop (PSNetTemplateRetriever, no neck, no learned embedding: each region is the
# conv_head map RoIAligned and averaged, 1280-d), eq. 1 with uniform weights. No training:
#   python tools/model_converters/init_checkpoint.py configs/real/regions_efficientnet-lite0_imagenet-0e_photos-192.py \
#       work_dirs/regions_lite0_imagenet/imagenet.pth
#   python tools/test.py configs/real/regions_efficientnet-lite0_imagenet-0e_photos-192.py \
#       work_dirs/regions_lite0_imagenet/imagenet.pth
_base_ = [
    'mmpretrain::_base_/default_runtime.py', '../_base_/models/efficientnet-lite0.py',
    '../_base_/datasets/photo_pf_crops.py', '../_base_/schedules/adam_20e.py'
]
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

model = dict(
    type='PSNetTemplateRetriever',
    backbone=dict(_base_.backbone, _scope_='mmpretrain'), neck=None,
    feat_channels=1280, input_size=(192, 192),
    head=dict(type='PSNetRegionHead', embed_dim=None, roi_size=2, feature_stride=32),
    data_preprocessor={{_base_.data_preprocessor}},
    prototype={{_base_.gallery_dataloader}})
