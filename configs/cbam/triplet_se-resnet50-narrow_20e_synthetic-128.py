# Xuan et al. (CSA 2022), "ResNet50 + SE" row of table 1: SE blocks after the stem and the last
# stage (PSNetAttentionResNet), everything else as the ResNet50 baseline.
_base_ = ['./triplet_resnet50-narrow_20e_synthetic-128.py']
model = dict(backbone=dict(attention='se'))
