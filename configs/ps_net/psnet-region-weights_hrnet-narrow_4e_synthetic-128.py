# PS-Net fine-tune phase (eq. 4-6) on the synthetic set: the pre-trained network of
# ./psnet_hrnet-narrow_20e_synthetic-128.py frozen, the per-category region weights lambda learned
# by coordinate ascent (PSNetRegionWeightHook) on triplets (original, its plagiarized copy,
# another design of the category). Steps 0.1 / 0.05 / 0.01 switch at epochs 2 and 3 (the paper's
# 40 and 60 of 80, scaled to this 4-epoch CPU schedule: every epoch makes 26 passes over each
# category's region weights).
_base_ = ['./psnet_hrnet-narrow_20e_synthetic-128.py']

load_from = 'work_dirs/psnet_synthetic/epoch_20.pth'
model = dict(train_network=False)
train_dataloader = dict(
    batch_size=24,
    sampler=dict(type='PSNetDesignSampler', num_designs=8, per_design=3,
                 relations=('original', 'plagiarized')))
train_cfg = dict(max_epochs=4, val_interval=4)
# mmengine 0.10.7 needs an optim_wrapper beside train_cfg; the frozen train_step never uses it
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=0.0))
param_scheduler = []
custom_hooks = _base_.custom_hooks + [
    dict(type='PSNetRegionWeightHook', steps=((0, 0.1), (2, 0.05), (3, 0.01)), floor=0.05,
         margin=0.2)
]
