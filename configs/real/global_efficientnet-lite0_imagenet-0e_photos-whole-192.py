# Row (a) on the whole photo instead of the garment crop: the photo resized to 192 x 192.
_base_ = ['./global_efficientnet-lite0_imagenet-0e_photos-192.py']

whole_photo = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(192, 192)),
    dict(type='PackInputs', meta_keys={{_base_.meta_keys}}, algorithm_keys=('gt_ignored', )),
]
test_dataloader = dict(dataset=dict(pipeline=whole_photo))
val_dataloader = dict(dataset=dict(pipeline=whole_photo))
custom_hooks = [dict(type='PSNetGalleryHook',
                     val_gallery=dict(_base_.gallery_dataloader,
                                      dataset=dict(_base_.gallery_dataloader.dataset,
                                                   pipeline=whole_photo)),
                     test_gallery=dict(_base_.test_gallery,
                                       dataset=dict(_base_.test_gallery.dataset,
                                                    pipeline=whole_photo)))]
