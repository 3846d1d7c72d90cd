# PS-Net pre-train phase (paper 3.2, eq. 2-3: identical retrieval, P x K designs, positive = same
# design) on DeepFashion2 at 224 px. mmpose HRNet-W32 for both branches -> PSNetFeatureNeck
# (F 28 x 28 x 1024) -> PSNetLandmarkAttention -> five RoIAligned regions embedded to 128-d.
# Paper schedule: Adam lr 0.001, x0.1 at epochs 61 and 71, 80 epochs.
# Data (DeepFashion2 in data/deepfashion2/{train,validation}/{image,annos}; one design per
# (pair_id, style > 0): shop photos = original queries, consumer photos = identical gallery):
#   python tools/dataset_converters/deepfashion2_to_pf.py --anno-dir data/deepfashion2/train/annos \
#       --out data/deepfashion2/annotations/pf_train.json
#   python tools/dataset_converters/deepfashion2_to_pf.py \
#       --anno-dir data/deepfashion2/validation/annos \
#       --out data/deepfashion2/annotations/pf_val.json
# Landmark branch (loaded from `landmark_checkpoint` below and frozen): the last epoch of
#   python tools/train.py configs/landmark/psnet-hrnet-w32_df2-224x224.py
# (or its best_NE_epoch_*.pth: --cfg-options model.landmark_checkpoint=PATH)
# Train / test (DeepFashion2's test annotations are not public: test = the validation split):
#   python tools/train.py configs/ps_net_hrnet_df2.py
#   python tools/test.py configs/ps_net_hrnet_df2.py work_dirs/ps_net_hrnet_df2/epoch_80.pth
_base_ = ['mmpretrain::_base_/default_runtime.py', './_base_/datasets/plagiarized_fashion.py']
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

landmark_checkpoint = 'work_dirs/psnet-hrnet-w32_df2-224x224/epoch_12.pth'
hrnet_w32 = dict(  # as configs/landmark/psnet-hrnet-w32_df2-224x224.py
    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                num_channels=(64, )),
    stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                num_channels=(32, 64)),
    stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                num_channels=(32, 64, 128)),
    stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                num_channels=(32, 64, 128, 256), multiscale_output=True))
hrnet = dict(_scope_='mmpose', type='HRNet', in_channels=3, extra=hrnet_w32)
neck = dict(_scope_='mmpose', type='PSNetFeatureNeck', in_channels=(32, 64, 128, 256),
            out_channels=1024, out_index=1)
codec = dict(type='MSRAHeatmap', input_size=(224, 224), heatmap_size=(224, 224), sigma=1)

meta_keys = ('sample_idx', 'img_path', 'design_id', 'relation', 'category', 'df2_category_id',
             'split', 'input_center', 'input_scale')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PSNetGarmentCrop', input_size=(224, 224)),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2),
    dict(type='PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PSNetGarmentCrop', input_size=(224, 224)),
    dict(type='PackInputs', meta_keys=meta_keys, algorithm_keys=('gt_ignored', )),
]
data_root = 'data/deepfashion2'
task = 'identical'  # DeepFashion2 has no plagiarized copies
pf_set = dict(type='PlagiarizedFashionDataset', data_root=data_root, task=task,
              ann_file='annotations/pf_val.json', pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True,
    sampler=dict(type='PSNetDesignSampler', num_designs=16, per_design=4),
    dataset=dict(type='PlagiarizedFashionDataset', data_root=data_root,
                 ann_file='annotations/pf_train.json', with_retrieval_labels=False,
                 pipeline=train_pipeline))
loader = dict(batch_size=64, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False))
query_dataloader = dict(loader, dataset=dict(pf_set, split='query'))
gallery_dataloader = dict(loader, dataset=dict(pf_set, split='gallery'))
val_dataloader = query_dataloader
test_gallery = gallery_dataloader
test_dataloader = query_dataloader
model = dict(
    type='PSNetRetriever',
    backbone=dict(hrnet, init_cfg=dict(
        type='Pretrained',
        checkpoint='https://download.openmmlab.com/mmpose/pretrain_models/hrnet_w32-36af842e.pth')),
    neck=neck,
    landmark_branch=dict(
        backbone=hrnet, neck=neck,
        head=dict(_scope_='mmpose', type='PSNetLandmarkHead', in_channels=1024,
                  out_channels=294, reduce_channels=128, deconv_out_channels=(128, 128, 128),
                  deconv_kernel_sizes=(4, 4, 4), decoder=codec)),
    landmark_checkpoint=landmark_checkpoint,
    attention=dict(type='PSNetLandmarkAttention'),
    feat_channels=1024, embed_dim=128, roi_size=4, input_size=(224, 224), feature_stride=8,
    margin=0.2, task=task,
    data_preprocessor={{_base_.data_preprocessor}},
    prototype=gallery_dataloader)

val_evaluator = dict(type='PSNetPlagiarismMetric', task=task, topk=(1, 10, 20))
test_evaluator = val_evaluator

max_epochs = 80
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[61, 71], gamma=0.1)]
default_hooks = dict(logger=dict(type='LoggerHook', interval=50),
                     checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
# validation and tools/test.py score their own gallery (mmpretrain keeps one per model)
custom_hooks = [dict(type='PSNetGalleryHook', val_gallery=gallery_dataloader,
                     test_gallery=test_gallery)]
