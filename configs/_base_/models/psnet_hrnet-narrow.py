# The CPU PS-Net at 128 px: the landmark model ./psnet-landmark_hrnet-narrow.py for both branches
# (no ImageNet HRNet: the retrieval branch starts from a copy of the trained landmark HRNet + neck,
# where the paper starts both from ImageNet), F 16 x 16 x 128, five 4 x 4 RoIAligned regions
# embedded to 64-d. The attention conv starts from zero (A = 1/2, F' = F at the start), so
# attention can only be learned in, never injected as noise.
_base_ = ['./psnet-landmark_hrnet-narrow.py', './retrieval_data_preprocessor.py']

hrnet = dict(_scope_='mmpose', type='HRNet', in_channels=3, extra=_base_.model.backbone.extra)
neck = dict(_base_.model.neck, _scope_='mmpose')

model = dict(
    _delete_=True,
    type='PSNetRetriever',
    backbone=hrnet,
    neck=neck,
    landmark_branch=dict(backbone=hrnet, neck=neck, head=dict(_base_.model.head, _scope_='mmpose')),
    init_retrieval_from_landmarks=True,
    attention=dict(type='PSNetLandmarkAttention', zero_init=True),
    feat_channels=128, input_size=(128, 128),
    head=dict(type='PSNetRegionHead', embed_dim=64, roi_size=4, feature_stride=8,
              loss=dict(type='PSNetRegionTripletLoss', margin=0.2)),
    data_preprocessor={{_base_.data_preprocessor}})
