# A stronger global baseline than row (a): the ImageNet EfficientNet-Lite0's stride-16 map
# (112 ch, the map the PS-Net rows pool) globally averaged, cosine. No training:
#   python tools/model_converters/init_checkpoint.py configs/real/global-s16_efficientnet-lite0_imagenet-0e_photos-192.py \
#       work_dirs/global-s16_lite0_imagenet/init.pth
_base_ = ['./global_efficientnet-lite0_imagenet-0e_photos-192.py']

model = dict(backbone=dict(out_indices=(3, )))
