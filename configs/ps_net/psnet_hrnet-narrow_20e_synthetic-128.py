# PS-Net pre-train phase (eq. 2-3) on the embedded synthetic set, CPU-sized: the narrow model
# (../_base_/models/psnet_hrnet-narrow.py) on 128 px garment crops, 20 epochs of Adam. The landmark
# branch is loaded from the synthetic landmark run and frozen:
#   python tools/train_seeds.py configs/landmark/psnet-landmark_hrnet-narrow_20e_synthetic-128.py \
#       --seeds 0 --work-dir work_dirs/landmark_synthetic
_base_ = [
    'mmpretrain::_base_/default_runtime.py', '../_base_/models/psnet_hrnet-narrow.py',
    '../_base_/datasets/synthetic_pf_crops.py', '../_base_/schedules/adam_20e.py'
]
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

model = dict(landmark_checkpoint='work_dirs/landmark_synthetic/seed0/epoch_20.pth',
             prototype={{_base_.gallery_dataloader}})
train_cfg = dict(val_interval=10)
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2))
