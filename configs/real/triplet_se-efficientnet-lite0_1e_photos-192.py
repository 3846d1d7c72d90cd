# Row (c), "ResNet50 + SE" of Xuan et al. on EfficientNet-Lite0: SE blocks (reduction 16) at the
# two places of ./triplet_cbam-efficientnet-lite0_1e_photos-192.py, everything else as
# ./triplet_efficientnet-lite0_1e_photos-192.py.
_base_ = ['./triplet_cbam-efficientnet-lite0_1e_photos-192.py']
model = dict(backbone=dict(attention='se'))
