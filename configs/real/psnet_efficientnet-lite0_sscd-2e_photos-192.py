# PS-Net on photographs with its landmark-derived regions: the shipped row's network
# (./psnet-template_efficientnet-lite0_sscd-2e_photos-192.py: the SSCD fine-tune's stride-16
# map, pooled per region, eq. 1) with the five regions divided from the landmarks the
# photo landmark model predicts (configs/landmark/psnet-landmark_efficientnet-lite0_8e_synthetic-photo-192.py)
# instead of the garment-box template. No training of its own; region weights fitted on val:
#   python tools/model_converters/init_checkpoint.py configs/real/psnet_efficientnet-lite0_sscd-2e_photos-192.py \
#       work_dirs/psnet_lite0_sscd/init.pth
#   python tools/fit_region_weights.py configs/real/psnet_efficientnet-lite0_sscd-2e_photos-192.py \
#       work_dirs/psnet_lite0_sscd/init.pth --ann-file annotations/pf_val.json
_base_ = [
    'mmpretrain::_base_/default_runtime.py', '../_base_/models/psnet_efficientnet-lite0.py',
    '../_base_/datasets/photo_pf_crops.py', '../_base_/schedules/adam_20e.py'
]
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

model = dict(
    backbone=dict(init_cfg=dict(
        type='Pretrained', prefix='image_encoder.backbone.',
        checkpoint='work_dirs/sscd_efficientnet-lite0_2e_photos-192/epoch_2.pth')),
    landmark_checkpoint='work_dirs/psnet-landmark_efficientnet-lite0_8e_synthetic-photo-192/'
    'best_NE_epoch_8.pth',
    prototype={{_base_.gallery_dataloader}})
