# Plagiarized Fashion (format: shared/docs/plagiarized-fashion-format.md), query and gallery
# sets of the test split, as mmpretrain retrieval configs lay them out (see its inshop_bs32_448.py):
# the queries are the test set, the gallery is the retriever's prototype.
dataset_type = 'PlagiarizedFashionDataset'
data_root = 'data/plagiarized_fashion'
ann_file = 'annotations/pf_test.json'

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224)),
    dict(type='PackInputs'),
]

query_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=ann_file, split='query',
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
gallery_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=ann_file, split='gallery',
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = query_dataloader
val_dataloader = query_dataloader
