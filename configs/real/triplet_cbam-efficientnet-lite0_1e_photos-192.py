# Row (c), "ResNet50 + CBAM" of Xuan et al. (the paper's method) on EfficientNet-Lite0: CBAM
# (eq. 1-3, reduction 16, 7x7 spatial conv) at two places, everything else as
# ./triplet_efficientnet-lite0_1e_photos-192.py. The paper puts the blocks after the first and the
# last convolution; the last one is here too (after conv_head). The first sits after the last
# frozen stage (level 2, stride 8, 40 channels) instead of after the stem: behind the frozen
# stages its gradient would make the CPU back-propagate through their depthwise convolutions
# (about 8x the cost of the rest). With a GPU, set frozen_stages=-1 and
# attention_positions=('stem', 'final') for the paper's placement.
_base_ = ['./triplet_efficientnet-lite0_1e_photos-192.py']
model = dict(backbone=dict(attention='cbam', attention_positions=('level2', 'final')))
