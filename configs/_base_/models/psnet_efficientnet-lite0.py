# PS-Net on the offline ImageNet start: the retrieval branch is EfficientNet-Lite0's stride-16
# map (112 ch, no neck, no learned embedding: each region RoIAligned 3 x 3 and averaged), the
# regions come from the landmark model of ./psnet-landmark_efficientnet-lite0.py (its own
# EfficientNet, frozen, loaded from `landmark_checkpoint`) through PS-Net's region division;
# no landmark attention (the NoAttention variant: the attention needs a trained head).
_base_ = ['./psnet-landmark_efficientnet-lite0.py', './efficientnet-lite0.py']

model = dict(
    _delete_=True,
    type='PSNetRetriever',
    backbone=dict(_base_.backbone, out_indices=(3, ), _scope_='mmpretrain'),
    neck=None,
    landmark_branch=dict(backbone=dict(_base_.model.backbone, pretrained=False),
                         neck=dict(_base_.model.neck, _scope_='mmpose'),
                         head=dict(_base_.model.head, _scope_='mmpose')),
    attention=None,
    feat_channels=112, input_size=(192, 192),
    head=dict(type='PSNetRegionHead', embed_dim=None, roi_size=3, feature_stride=16),
    data_preprocessor={{_base_.data_preprocessor}})
