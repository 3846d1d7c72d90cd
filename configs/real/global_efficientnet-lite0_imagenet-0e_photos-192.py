# Row (a) of the real-photo table: the ImageNet EfficientNet-Lite0 used as it is (no training):
# conv_head map -> global average pooling -> L2 normalisation, ranked by cosine (the Euclidean
# ranking of unit vectors), on 192 px garment crops. What a user picks instead of ps_net.
# The ImageNet weights are the model's init; write them as a checkpoint, then test:
#   python tools/model_converters/init_checkpoint.py configs/real/global_efficientnet-lite0_imagenet-0e_photos-192.py \
#       work_dirs/global_lite0_imagenet/imagenet.pth
#   python tools/test.py configs/real/global_efficientnet-lite0_imagenet-0e_photos-192.py \
#       work_dirs/global_lite0_imagenet/imagenet.pth
_base_ = [
    'mmpretrain::_base_/default_runtime.py', '../_base_/models/efficientnet-lite0.py',
    '../_base_/datasets/photo_pf_crops.py', '../_base_/schedules/adam_20e.py'
]
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

model = dict(type='PSNetTripletRetriever', backbone={{_base_.backbone}}, embed_dim=None,
             data_preprocessor={{_base_.data_preprocessor}},
             prototype={{_base_.gallery_dataloader}})
