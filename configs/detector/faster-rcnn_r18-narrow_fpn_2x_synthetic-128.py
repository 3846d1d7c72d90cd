# The synthetic CPU detector on a 2x schedule (24 epochs): the 1x one confuses fine-grained
# classes (sling vs vest dress, short-sleeved outwear vs shirt) because the from-scratch narrow
# backbone is under-trained.
_base_ = ['./faster-rcnn_r18-narrow_fpn_1x_synthetic-128.py']

max_epochs = 24
train_cfg = dict(max_epochs=max_epochs, val_interval=24)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=200),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[18, 22],
         gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=24, max_keep_ckpts=1))
