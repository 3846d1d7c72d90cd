# Row (b) on the fine-tuned features of row (a2): the SSCD fine-tune's backbone
# (./sscd_efficientnet-lite0_2e_photos-192.py) pooled over the five template regions, uniform
# weights. Its backbone is read from the fine-tune's checkpoint:
#   python tools/model_converters/init_checkpoint.py configs/real/regions_efficientnet-lite0_sscd-2e_photos-192.py \
#       work_dirs/regions_lite0_sscd/init.pth \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/sscd_efficientnet-lite0_2e_photos-192/epoch_2.pth
_base_ = ['./regions_efficientnet-lite0_imagenet-0e_photos-192.py']

model = dict(backbone=dict(init_cfg=dict(
    type='Pretrained', prefix='image_encoder.backbone.',
    checkpoint='work_dirs/sscd_efficientnet-lite0_2e_photos-192/epoch_2.pth')))
