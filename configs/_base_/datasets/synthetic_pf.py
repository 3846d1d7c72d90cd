# The embedded synthetic set (tools/make_synthetic.py --out data/synthetic), at 128 px for CPU runs.
_base_ = ['./plagiarized_fashion.py']

data_root = 'data/synthetic'

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128)),
    dict(type='PackInputs'),
]
query_dataloader = dict(
    batch_size=16, num_workers=0,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
gallery_dataloader = dict(
    batch_size=16, num_workers=0,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = query_dataloader
val_dataloader = query_dataloader
