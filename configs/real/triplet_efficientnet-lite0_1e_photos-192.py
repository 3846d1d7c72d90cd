# Row (c) of the real-photo table, "ResNet50" of Xuan et al. (CSA 2022, table 1) on the offline
# ImageNet backbone: EfficientNet-Lite0 (conv_head map, global average pooling, L2-normalised
# 1280-d embedding), fine-tuned with the triplet loss on the real benchmark's train split
# (in-batch triplets of 8 designs x 4 photos: original, re-shot, copies) and ranked by Euclidean
# distance (eq. 4). 1 epoch of Adam 1e-4 at 192 px (226 batches, 7,232 images; the (a2) SSCD
# fine-tune's 2 epochs pass 4,480 views); stem and stages 0-2 frozen (CPU cost, see
# ../_base_/models/efficientnet-lite0.py). The SE / CBAM rows change one line:
# ./triplet_se-efficientnet-lite0_1e_photos-192.py,
# ./triplet_cbam-efficientnet-lite0_1e_photos-192.py.
#   python tools/train.py configs/real/triplet_efficientnet-lite0_1e_photos-192.py
#   python tools/test.py configs/real/triplet_efficientnet-lite0_1e_photos-192.py \
#       work_dirs/triplet_efficientnet-lite0_1e_photos-192/epoch_1.pth
_base_ = ['./global_efficientnet-lite0_imagenet-0e_photos-192.py']

model = dict(margin=0.2, hard_negatives=False)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-6))
param_scheduler = []
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
