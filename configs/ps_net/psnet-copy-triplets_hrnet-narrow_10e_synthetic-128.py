# PS-Net pre-train with the region triplets of plagiarized copies added (an extension of the
# paper, ps_net.models.losses.miners): a copy is a positive of its original on the regions
# it kept and a negative on the regions it modified, so each region feature has to describe its
# own region. Batches: P x K = 4 designs x their 4 images (original, identical re-shot, two
# plagiarized copies), 10 epochs: the same number of images as the base config's 20 epochs of
# 8 x 2 references.
#   python tools/make_table.py --variant copy-triplets --seeds 0 --work-dir work_dirs/table_copy
_base_ = ['./psnet_hrnet-narrow_20e_synthetic-128.py']

model = dict(head=dict(copy_loss_weight=1.0))
train_dataloader = dict(
    batch_size=16,
    sampler=dict(type='PSNetDesignSampler', num_designs=4, per_design=4,
                 relations=('original', 'identical', 'plagiarized')))
max_epochs = 10
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[7, 9], gamma=0.1)]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
