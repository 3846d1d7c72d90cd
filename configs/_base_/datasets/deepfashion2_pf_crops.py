# DeepFashion2 as identical retrieval in the Plagiarized Fashion format, 224 px garment crops:
# one design per (pair_id, style > 0), shop photos = original queries, consumer photos = the
# identical gallery; P x K training batches (16 designs x 4 images). DeepFashion2's test
# annotations are not public: validation and test both use the validation split. Prepare:
#   python tools/dataset_converters/deepfashion2_to_pf.py --anno-dir data/deepfashion2/train/annos \
#       --out data/deepfashion2/annotations/pf_train.json
#   python tools/dataset_converters/deepfashion2_to_pf.py \
#       --anno-dir data/deepfashion2/validation/annos \
#       --out data/deepfashion2/annotations/pf_val.json
# PSNetGalleryHook swaps the galleries per loop (mmpretrain keeps one per model: the model's
# `prototype`, set to gallery_dataloader).
data_root = 'data/deepfashion2'
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

train_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=False,  # exact --resume: docs/checkpoints.md
    sampler=dict(type='PSNetDesignSampler', num_designs=16, per_design=4),
    dataset=dict(type='PlagiarizedFashionDataset', data_root=data_root,
                 ann_file='annotations/pf_train.json', with_retrieval_labels=False,
                 pipeline=train_pipeline))
pf_set = dict(type='PlagiarizedFashionDataset', data_root=data_root, task='identical',
              ann_file='annotations/pf_val.json', pipeline=test_pipeline)
loader = dict(batch_size=64, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False))
query_dataloader = dict(loader, dataset=dict(pf_set, split='query'))
gallery_dataloader = dict(loader, dataset=dict(pf_set, split='gallery'))
val_dataloader = query_dataloader
test_dataloader = query_dataloader
test_gallery = gallery_dataloader

val_evaluator = dict(type='PSNetPlagiarismMetric', task='identical', topk=(1, 10, 20))
test_evaluator = val_evaluator
custom_hooks = [dict(type='PSNetGalleryHook', val_gallery=gallery_dataloader,
                     test_gallery=test_gallery)]
