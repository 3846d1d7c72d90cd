# PS-Net on photographs, from the ImageNet start with no training: the five regions of the
# garment-box template (PSNetTemplateRetriever; no landmark model is trained for photos here)
# RoIAligned (3 x 3, averaged) on the ImageNet EfficientNet-Lite0's stride-16 map (112 ch,
# 12 x 12 at 192 px), no learned embedding, eq. 1. Uniform weights as written; the Learned
# weights (eq. 4-6, fitted on the val split) are a copy of the checkpoint:
#   python tools/model_converters/init_checkpoint.py configs/real/psnet-template_efficientnet-lite0_imagenet-0e_photos-192.py \
#       work_dirs/psnet-template_lite0_imagenet/init.pth
#   python tools/fit_region_weights.py configs/real/psnet-template_efficientnet-lite0_imagenet-0e_photos-192.py \
#       work_dirs/psnet-template_lite0_imagenet/init.pth --ann-file annotations/pf_val.json
#   python tools/test.py configs/real/psnet-template_efficientnet-lite0_imagenet-0e_photos-192.py \
#       work_dirs/psnet-template_lite0_imagenet/init_fitted.pth
_base_ = ['./regions_efficientnet-lite0_imagenet-0e_photos-192.py']

model = dict(backbone=dict(out_indices=(3, )), feat_channels=112,
             head=dict(roi_size=3, feature_stride=16))
