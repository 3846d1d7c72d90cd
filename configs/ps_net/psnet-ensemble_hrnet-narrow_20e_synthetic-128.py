# Ensemble baseline (PS-Net paper, Table 2) on the synthetic set: N = 3 PS-Nets of
# ./psnet_hrnet-narrow_20e_synthetic-128.py trained with learning rates 0.5x, 1x and 2x the
# base's (Adam, 1e-3), their similarities averaged. Test only. Train the members first:
#   python tools/train.py configs/ps_net/psnet_hrnet-narrow_20e_synthetic-128.py \
#       --work-dir work_dirs/psnet_synthetic_lr0.5 --cfg-options optim_wrapper.optimizer.lr=5e-4
#   python tools/train.py configs/ps_net/psnet_hrnet-narrow_20e_synthetic-128.py \
#       --work-dir work_dirs/psnet_synthetic_lr1 --cfg-options optim_wrapper.optimizer.lr=1e-3
#   python tools/train.py configs/ps_net/psnet_hrnet-narrow_20e_synthetic-128.py \
#       --work-dir work_dirs/psnet_synthetic_lr2 --cfg-options optim_wrapper.optimizer.lr=2e-3
# then test; tools/test.py needs a CHECKPOINT argument: give any member's checkpoint (or an
# ensemble checkpoint). PSNetEnsembleCheckpointHook loads the members from model.checkpoints
# and ignores a CHECKPOINT that is not an ensemble checkpoint:
#   python tools/test.py configs/ps_net/psnet-ensemble_hrnet-narrow_20e_synthetic-128.py \
#       work_dirs/psnet_synthetic_lr1/epoch_20.pth
# Other members: --cfg-options "model.checkpoints=[a.pth,b.pth,c.pth]" (e.g. the checkpoints of
# the region-weight phase, psnet-region-weights_hrnet-narrow_4e_synthetic-128.py, per member).
_base_ = ['./psnet_hrnet-narrow_20e_synthetic-128.py']

model = dict(
    _delete_=True,
    type='PSNetEnsembleRetriever',
    members=[{{_base_.model}}, {{_base_.model}}, {{_base_.model}}],
    checkpoints=['work_dirs/psnet_synthetic_lr0.5/epoch_20.pth',
                 'work_dirs/psnet_synthetic_lr1/epoch_20.pth',
                 'work_dirs/psnet_synthetic_lr2/epoch_20.pth'],
    prototype={{_base_.gallery_dataloader}})

# test only: no training loop (tools/train.py stops with Runner's "train_loop should not be
# None"; the model's loss raises)
train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
custom_hooks = [dict(type='PSNetEnsembleCheckpointHook')] + _base_.custom_hooks
