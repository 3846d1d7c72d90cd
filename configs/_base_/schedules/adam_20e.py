# 20 epochs of Adam (lr 1e-3, weight decay 1e-4), lr x0.1 after epochs 14 and 18: the synthetic
# CPU schedule of PS-Net, its ablations and the triplet ResNets.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[14, 18], gamma=0.1)]
train_cfg = dict(by_epoch=True, max_epochs=20)
val_cfg = dict()
test_cfg = dict()
