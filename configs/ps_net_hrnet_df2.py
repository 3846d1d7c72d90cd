# PS-Net pre-train phase (paper 3.2, eq. 2-3: identical retrieval, P x K designs, positive = same
# design) on DeepFashion2 at 224 px, the paper's schedule. Model:
# ./_base_/models/psnet_hrnet-w32.py; data (and how to prepare it):
# ./_base_/datasets/deepfashion2_pf_crops.py. The landmark branch is loaded from
# `landmark_checkpoint` below and frozen: the last epoch of
#   python tools/train.py configs/landmark/psnet-landmark_hrnet-w32_12e_df2-224.py
# (or its best_NE_epoch_*.pth: --cfg-options model.landmark_checkpoint=PATH). Train / test:
#   python tools/train.py configs/ps_net_hrnet_df2.py
#   python tools/test.py configs/ps_net_hrnet_df2.py work_dirs/ps_net_hrnet_df2/epoch_80.pth
_base_ = [
    'mmpretrain::_base_/default_runtime.py', './_base_/models/psnet_hrnet-w32.py',
    './_base_/datasets/deepfashion2_pf_crops.py', './_base_/schedules/adam_80e.py'
]
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmpretrain'

model = dict(
    landmark_checkpoint='work_dirs/psnet-landmark_hrnet-w32_12e_df2-224/epoch_12.pth',
    task='identical',  # DeepFashion2 has no plagiarized copies
    prototype={{_base_.gallery_dataloader}})
default_hooks = dict(logger=dict(type='LoggerHook', interval=50),
                     checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
