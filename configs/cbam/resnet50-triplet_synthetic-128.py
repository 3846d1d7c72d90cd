# Xuan et al. (CSA 2022) retrieval baseline, "ResNet50" row of table 1, on the embedded synthetic
# set, CPU-sized: a narrow ResNet50 (stem/base width 16, 512-d pooled feature, no ImageNet
# weights), global average pooling, L2-normalised embedding, triplet loss, gallery ranked by
# Euclidean distance (eq. 4; pred_score = -distance). The SE / CBAM rows change one line:
# se-resnet50-triplet_synthetic-128.py, cbam-resnet50-triplet_synthetic-128.py.
# Data: the settings of ../ps_net/psnet-hrnet-narrow_synthetic-128.py, copied rather than
# inherited (inheriting would carry its HRNet, landmark checkpoint and landmark config keys).
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

meta_keys = ('sample_idx', 'img_path', 'design_id', 'relation', 'category', 'df2_category_id',
             'split', 'input_center', 'input_scale')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PSNetGarmentCrop', input_size=(128, 128)),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2),
    dict(type='PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PSNetGarmentCrop', input_size=(128, 128)),
    dict(type='PackInputs', meta_keys=meta_keys, algorithm_keys=('gt_ignored', )),
]
data_root = 'data/synthetic'


def _loader(ann_file, split):
    return dict(batch_size=32, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dict(type='PlagiarizedFashionDataset', data_root=data_root,
                             ann_file=ann_file, split=split, pipeline=test_pipeline))


train_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=True,
    sampler=dict(type='PSNetDesignSampler', num_designs=8, per_design=2),
    dataset=dict(type='PlagiarizedFashionDataset', data_root=data_root,
                 ann_file='annotations/pf_train.json', with_retrieval_labels=False,
                 pipeline=train_pipeline))
val_dataloader = _loader('annotations/pf_val.json', 'query')
val_gallery = _loader('annotations/pf_val.json', 'gallery')
test_dataloader = _loader('annotations/pf_test.json', 'query')
test_gallery = _loader('annotations/pf_test.json', 'gallery')

model = dict(
    type='PSNetTripletRetriever',
    backbone=dict(type='PSNetAttentionResNet', depth=50, stem_channels=16, base_channels=16,
                  attention=None),
    embed_dim=None,  # the pooled backbone feature, as in the paper
    margin=0.2,
    data_preprocessor=dict(num_classes=-1, mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], to_rgb=True),
    prototype=val_gallery)

# pred_score is -distance (higher is better): PSNetPrecisionAtK's default ranking='similarity'.
val_evaluator = [dict(type='PSNetPlagiarismMetric'),
                 dict(type='PSNetPrecisionAtK',
                      gallery_ann_file=f'{data_root}/annotations/pf_val.json')]
test_evaluator = [dict(type='PSNetPlagiarismMetric'),
                  dict(type='PSNetPrecisionAtK',
                       gallery_ann_file=f'{data_root}/annotations/pf_test.json')]

train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=5)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[14, 18], gamma=0.1)]
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
# validation scores the val gallery, tools/test.py the test gallery
custom_hooks = [dict(type='PSNetGalleryHook', val_gallery=val_gallery, test_gallery=test_gallery)]
