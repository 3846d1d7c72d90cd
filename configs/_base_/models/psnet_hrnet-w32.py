# PS-Net (paper 3.1) at 224 px. Retrieval branch: the HRNet-W32 (ImageNet weights) and neck of
# the landmark model (./psnet-landmark_hrnet-w32.py) -> F (28 x 28 x 1024) -> PSNetLandmarkAttention
# -> five 4 x 4 RoIAligned regions, each embedded to 128-d. Landmark branch: the landmark model's
# HRNet, neck and head (loaded from the config's `landmark_checkpoint`, frozen). mmpose modules
# inside the mmpretrain retriever carry `_scope_='mmpose'`.
_base_ = ['./psnet-landmark_hrnet-w32.py', './retrieval_data_preprocessor.py']

hrnet = dict(_scope_='mmpose', type='HRNet', in_channels=3, extra=_base_.model.backbone.extra)
neck = dict(_base_.model.neck, _scope_='mmpose')

model = dict(
    _delete_=True,
    type='PSNetRetriever',
    backbone=dict(hrnet, init_cfg=_base_.model.backbone.init_cfg),
    neck=neck,
    landmark_branch=dict(backbone=hrnet, neck=neck, head=dict(_base_.model.head, _scope_='mmpose')),
    attention=dict(type='PSNetLandmarkAttention'),
    feat_channels=1024, input_size=(224, 224),
    head=dict(type='PSNetRegionHead', embed_dim=128, roi_size=4, feature_stride=8,
              loss=dict(type='PSNetRegionTripletLoss', margin=0.2)),
    data_preprocessor={{_base_.data_preprocessor}})
