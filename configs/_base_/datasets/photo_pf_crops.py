# A real-photo plagiarism benchmark in the Plagiarized Fashion format, as 192 px garment crops:
# written by tools/make_plagiarism_benchmark.py (docs/real_benchmark.md), or any outside
# benchmark in that format (score it with tools/test.py CONFIG CKPT --data-root DIR --ann-file F).
#   python tools/make_plagiarism_benchmark.py --images ../shared/data/clothing-small/train \
#       --out data/photo_benchmark --seed 0
# 192 px: what a 2-core CPU trains in minutes (EfficientNet-Lite0 is trained at 224 px).
data_root = 'data/photo_benchmark'
meta_keys = ('sample_idx', 'img_path', 'design_id', 'relation', 'category', 'split',
             'input_center', 'input_scale', 'modified_region_mask')
input_size = (192, 192)
# photometric and mild geometric changes of a re-shot, and generic local edits (never the
# benchmark's own edit operators)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PSNetGarmentCrop', input_size=input_size),
    dict(type='RandomResizedCrop', scale=input_size[0], crop_ratio_range=(0.7, 1.0),
         aspect_ratio_range=(0.8, 1.25)),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.05),
    dict(type='RandomGrayscale', prob=0.1, keep_channels=True),
    dict(type='PSNetRandomLocalEdit', prob=0.5, max_edits=2),
    dict(type='PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PSNetGarmentCrop', input_size=input_size),
    dict(type='PackInputs', meta_keys=meta_keys, algorithm_keys=('gt_ignored', )),
]

train_dataloader = dict(
    batch_size=32, num_workers=2, persistent_workers=False,
    sampler=dict(type='PSNetDesignSampler', num_designs=8, per_design=4,
                 relations=('original', 'identical', 'plagiarized')),
    dataset=dict(type='PlagiarizedFashionDataset', data_root=data_root,
                 ann_file='annotations/pf_train.json', with_retrieval_labels=False,
                 pipeline=train_pipeline))
val_set = dict(type='PlagiarizedFashionDataset', data_root=data_root, task='plagiarized',
               ann_file='annotations/pf_val.json', pipeline=test_pipeline)
test_set = dict(val_set, ann_file='annotations/pf_test.json')
loader = dict(batch_size=32, num_workers=2, sampler=dict(type='DefaultSampler', shuffle=False))
query_dataloader = dict(loader, dataset=dict(val_set, split='query'))
gallery_dataloader = dict(loader, dataset=dict(val_set, split='gallery'))
val_dataloader = query_dataloader
test_dataloader = dict(loader, dataset=dict(test_set, split='query'))
test_gallery = dict(loader, dataset=dict(test_set, split='gallery'))

val_evaluator = dict(type='PSNetPlagiarismMetric', task='plagiarized')
test_evaluator = val_evaluator
custom_hooks = [dict(type='PSNetGalleryHook', val_gallery=gallery_dataloader,
                     test_gallery=test_gallery)]
