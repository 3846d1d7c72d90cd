# The synthetic set's COCO keypoint files (tools/make_synthetic.py writes them next to the
# Plagiarized Fashion ones) for top-down landmark training: mmpose's DeepFashion2 loader with the
# two-sided flip table. The pipelines depend on the model's codec: each config sets them (and may
# move data_root).
data_root = 'data/synthetic/'
coco = dict(type='PSNetDeepFashion2Dataset', data_root=data_root, data_mode='topdown',
            data_prefix=dict(img=''))
train_dataloader = dict(
    batch_size=32, num_workers=2, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(coco, ann_file='annotations/coco_train.json'))
test_loader = dict(batch_size=64, num_workers=2, persistent_workers=True, drop_last=False,
                   sampler=dict(type='DefaultSampler', shuffle=False, round_up=False))
val_dataloader = dict(test_loader, dataset=dict(coco, ann_file='annotations/coco_val.json',
                                                test_mode=True))
test_dataloader = dict(test_loader, dataset=dict(coco, ann_file='annotations/coco_test.json',
                                                 test_mode=True))
