# Row (a2) of the real-photo table: the ImageNet EfficientNet-Lite0 fine-tuned as one global
# embedding with the copy-detection recipe (SSCD, Pizzi et al. CVPR 2022): two strongly augmented
# views of every training photo (photometric, geometric, generic local edits), InfoNCE at
# temperature 0.1 (other photos of the same design kept out of the negatives), a 512-d projection,
# 2 epochs of Adam 1e-4 at 192 px, batch 32, over the train split's photos (its originals: the
# queries; re-shots and copies are made from them). The strongest simple thing a user would do.
#   python tools/train.py configs/real/sscd_efficientnet-lite0_2e_photos-192.py
#   python tools/test.py configs/real/sscd_efficientnet-lite0_2e_photos-192.py \
#       work_dirs/sscd_efficientnet-lite0_2e_photos-192/epoch_2.pth
_base_ = ['./global_efficientnet-lite0_imagenet-0e_photos-192.py']

view = [
    dict(type='RandomResizedCrop', scale=192, crop_ratio_range=(0.35, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomApply', prob=0.8,
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
                          hue=0.1)]),
    dict(type='RandomGrayscale', prob=0.1, keep_channels=True),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.3),
    dict(type='PSNetRandomLocalEdit', prob=0.7, max_edits=2),
]
train_dataloader = dict(
    batch_size=32, num_workers=2, persistent_workers=False, drop_last=True,
    collate_fn=dict(type='default_collate'),  # stacks each view (as mmpretrain's SimCLR)
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(split='query', pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='PSNetGarmentCrop', input_size=(192, 192)),
        dict(type='MultiView', num_views=2, transforms=[view]),
        dict(type='PackInputs', meta_keys={{_base_.meta_keys}}),
    ]))
# SelfSupDataPreprocessor reads a list as views: every test loader stacks its batch instead
stacked = dict(type='default_collate')
model = dict(type='PSNetCopyDetectionRetriever', embed_dim=512, temperature=0.1,
             prototype=dict(collate_fn=stacked),
             data_preprocessor=dict(_delete_=True, type='SelfSupDataPreprocessor',
                                    mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5],
                                    to_rgb=True))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-6))
param_scheduler = []
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=2)
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
test_dataloader = dict(collate_fn=stacked)
val_dataloader = dict(collate_fn=stacked)
custom_hooks = [dict(type='PSNetGalleryHook',
                     val_gallery=dict(_base_.gallery_dataloader, collate_fn=stacked),
                     test_gallery=dict(_base_.test_gallery, collate_fn=stacked))]
