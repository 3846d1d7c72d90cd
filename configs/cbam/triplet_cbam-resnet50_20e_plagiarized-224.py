# Xuan et al. (CSA 2022), the paper's method at full size: the triplet ResNet50
# (../_base_/models/triplet_resnet50.py) from ImageNet weights with CBAM after the stem and the
# last stage (the new CBAM blocks start random; the ResNet keys load unchanged), 2048-d pooled
# feature, 224 px, on Plagiarized Fashion (../_base_/datasets/plagiarized_fashion.py: the test
# queries and its gallery; data/plagiarized_fashion/annotations/pf_{train,test}.json). GPU-sized:
# on a CPU it is only built and run once in the tests. No validation loop (the dataset base has
# no val split); train, then tools/test.py.
_base_ = [
    'mmpretrain::_base_/default_runtime.py', '../_base_/models/triplet_resnet50.py',
    '../_base_/datasets/plagiarized_fashion.py', '../_base_/schedules/adam_20e.py'
]
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'design_id', 'relation',
             'category', 'split')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys=meta_keys),
]
# queries: the base's Resize, plus the metainfo and gt_ignored the metrics read
query_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224)),
    dict(type='PackInputs', meta_keys=meta_keys, algorithm_keys=('gt_ignored', )),
]
train_dataloader = dict(
    batch_size=32, num_workers=4, persistent_workers=False,
    sampler=dict(type='PSNetDesignSampler', num_designs=16, per_design=2),
    dataset=dict(type='PlagiarizedFashionDataset', data_root='data/plagiarized_fashion',
                 ann_file='annotations/pf_train.json', with_retrieval_labels=False,
                 pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=query_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None

model = dict(
    backbone=dict(
        attention='cbam',
        init_cfg=dict(type='Pretrained',
                      checkpoint='https://download.openmmlab.com/mmclassification/v0/resnet/'
                      'resnet50_8xb32_in1k_20210831-ea4938fc.pth',
                      prefix='backbone')),
    prototype={{_base_.gallery_dataloader}})

test_evaluator = [dict(type='PSNetPlagiarismMetric'),
                  dict(type='PSNetPrecisionAtK',
                       gallery_ann_file='data/plagiarized_fashion/annotations/pf_test.json')]

optim_wrapper = dict(optimizer=dict(lr=1e-4))
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
