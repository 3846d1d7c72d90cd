# PS-Net fine-tune phase (eq. 4-6) on the synthetic set: the pre-trained network frozen, the
# per-category region weights lambda learned by coordinate ascent (PSNetRegionWeightHook) on
# triplets (original, its plagiarized copy, another design of the category). Steps 0.1 / 0.05 /
# 0.01 switch at epochs 2 and 3 (the paper's 40 and 60 of 80, scaled to this 4-epoch CPU
# schedule: every epoch makes 26 passes over each category's region weights).
_base_ = ['./psnet-hrnet-narrow_synthetic-128.py']

load_from = 'work_dirs/psnet_synthetic/epoch_20.pth'
model = dict(train_network=False)
train_dataloader = dict(
    batch_size=24,
    sampler=dict(type='PSNetDesignSampler', num_designs=8, per_design=3,
                 relations=('original', 'plagiarized')))
max_epochs = 4
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.0))
param_scheduler = []
custom_hooks = [
    dict(type='PSNetGalleryHook', val_gallery={{_base_.gallery_dataloader}},
         test_gallery={{_base_.test_gallery}}),
    dict(type='PSNetRegionWeightHook', steps=((0, 0.1), (2, 0.05), (3, 0.01)), floor=0.05,
         margin=0.2),
]
