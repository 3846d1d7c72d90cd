# PS-Net on photographs, the row ps_net ships: ./psnet-template_efficientnet-lite0_imagenet-0e_photos-192.py
# on the backbone of the SSCD fine-tune (./sscd_efficientnet-lite0_2e_photos-192.py): the five
# template regions pooled on its stride-16 map, eq. 1 with the region weights fitted on the val
# split (the checkpoint carries them). The backbone is read from the fine-tune's checkpoint:
#   python tools/model_converters/init_checkpoint.py configs/real/psnet-template_efficientnet-lite0_sscd-2e_photos-192.py \
#       work_dirs/psnet-template_lite0_sscd/init.pth \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/sscd_efficientnet-lite0_2e_photos-192/epoch_2.pth
#   python tools/fit_region_weights.py configs/real/psnet-template_efficientnet-lite0_sscd-2e_photos-192.py \
#       work_dirs/psnet-template_lite0_sscd/init.pth --ann-file annotations/pf_val.json
_base_ = ['./psnet-template_efficientnet-lite0_imagenet-0e_photos-192.py']

model = dict(backbone=dict(init_cfg=dict(
    type='Pretrained', prefix='image_encoder.backbone.',
    checkpoint='work_dirs/sscd_efficientnet-lite0_2e_photos-192/epoch_2.pth')))
