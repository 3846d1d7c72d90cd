# ./global-s16_efficientnet-lite0_imagenet-0e_photos-192.py on the backbone of the SSCD fine-tune
# (./sscd_efficientnet-lite0_2e_photos-192.py), without its projection. Backbone read from the
# fine-tune's checkpoint:
#   python tools/model_converters/init_checkpoint.py configs/real/global-s16_efficientnet-lite0_sscd-2e_photos-192.py \
#       work_dirs/global-s16_lite0_sscd/init.pth \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/sscd_efficientnet-lite0_2e_photos-192/epoch_2.pth
_base_ = ['./global-s16_efficientnet-lite0_imagenet-0e_photos-192.py']

model = dict(backbone=dict(init_cfg=dict(
    type='Pretrained', prefix='image_encoder.backbone.',
    checkpoint='work_dirs/sscd_efficientnet-lite0_2e_photos-192/epoch_2.pth')))
