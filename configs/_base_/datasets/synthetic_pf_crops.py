# The embedded synthetic set as 128 px garment crops, for the retrieval models trained on it
# (PS-Net and its ablations in configs/ps_net/, the CBAM paper's ResNets in configs/cbam/):
# P x K training batches of originals and identical re-shots, the val split for validation and
# the test split (queries + gallery) for tools/test.py; PSNetGalleryHook swaps the galleries per
# loop (mmpretrain keeps one per model: the model's `prototype`, set to gallery_dataloader).
data_root = 'data/synthetic'
meta_keys = ('sample_idx', 'img_path', 'design_id', 'relation', 'category', 'df2_category_id',
             'split', 'input_center', 'input_scale', 'modified_region_mask')
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

train_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=False,  # exact --resume: docs/checkpoints.md
    sampler=dict(type='PSNetDesignSampler', num_designs=8, per_design=2),
    dataset=dict(type='PlagiarizedFashionDataset', data_root=data_root,
                 ann_file='annotations/pf_train.json', with_retrieval_labels=False,
                 pipeline=train_pipeline))
val_set = dict(type='PlagiarizedFashionDataset', data_root=data_root,
               ann_file='annotations/pf_val.json', pipeline=test_pipeline)
test_set = dict(val_set, ann_file='annotations/pf_test.json')
loader = dict(batch_size=32, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False))
query_dataloader = dict(loader, dataset=dict(val_set, split='query'))
gallery_dataloader = dict(loader, dataset=dict(val_set, split='gallery'))
val_dataloader = query_dataloader
test_dataloader = dict(loader, dataset=dict(test_set, split='query'))
test_gallery = dict(loader, dataset=dict(test_set, split='gallery'))

val_evaluator = dict(type='PSNetPlagiarismMetric')
test_evaluator = val_evaluator
custom_hooks = [dict(type='PSNetGalleryHook', val_gallery=gallery_dataloader,
                     test_gallery=test_gallery)]
