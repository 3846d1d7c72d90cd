# Xuan et al. (CSA 2022), "ResNet50 + CBAM" row of table 1 (the paper's method): CBAM (eq. 1-3)
# after the stem and the last stage (PSNetAttentionResNet), everything else as the baseline.
_base_ = ['./triplet_resnet50-narrow_20e_synthetic-128.py']
model = dict(backbone=dict(attention='cbam'))
