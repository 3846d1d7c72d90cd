# PS-Net's paper schedule: 80 epochs of Adam (lr 1e-3), lr x0.1 after epochs 61 and 71,
# validated every 10 epochs.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[61, 71], gamma=0.1)]
train_cfg = dict(by_epoch=True, max_epochs=80, val_interval=10)
val_cfg = dict()
test_cfg = dict()
