# PS-Net fine-tune phase (paper 3.2, eq. 4-6) on Plagiarized Fashion: the DeepFashion2 pre-train
# network (./ps_net_hrnet_df2.py) frozen, the per-category region weights lambda learned by
# coordinate ascent (PSNetRegionWeightHook) on triplets (original, its plagiarized copy, another
# design of the category). Step 0.1, 0.05 after epoch 40, 0.01 after epoch 60; 80 epochs.
# Data: ./_base_/datasets/plagiarized_fashion_crops.py.
#   python tools/train.py configs/ps_net_hrnet_plagiarized.py
#   python tools/test.py configs/ps_net_hrnet_plagiarized.py \
#       work_dirs/ps_net_hrnet_plagiarized/epoch_80.pth
_base_ = [
    'mmpretrain::_base_/default_runtime.py', './_base_/models/psnet_hrnet-w32.py',
    './_base_/datasets/plagiarized_fashion_crops.py', './_base_/schedules/adam_80e.py'
]
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

load_from = 'work_dirs/ps_net_hrnet_df2/epoch_80.pth'  # the pre-train (landmark branch included)
model = dict(backbone=dict(init_cfg=None), landmark_checkpoint=None,  # both from load_from
             train_network=False, task='plagiarized', prototype={{_base_.gallery_dataloader}})
# mmengine 0.10.7 needs an optim_wrapper beside train_cfg; the frozen train_step never uses it
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=0.0))
param_scheduler = []
default_hooks = dict(logger=dict(type='LoggerHook', interval=50),
                     checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
custom_hooks = _base_.custom_hooks + [
    dict(type='PSNetRegionWeightHook', steps=((0, 0.1), (40, 0.05), (60, 0.01)), floor=0.05,
         margin=0.2)
]
