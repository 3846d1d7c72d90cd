# PS-Net fine-tune phase (paper 3.2, eq. 4-6) on Plagiarized Fashion: the DeepFashion2 pre-train
# network frozen, the per-category region weights lambda learned by coordinate ascent
# (PSNetRegionWeightHook) on triplets (original, its plagiarized copy, another design of the
# category). Step 0.1, 0.05 after epoch 40, 0.01 after epoch 60; 80 epochs.
# Data: data/plagiarized_fashion/annotations/pf_{train,val,test}.json
# (shared/docs/plagiarized-fashion-format.md; check with tools/dataset_converters/validate_pf.py).
#   python tools/train.py configs/ps_net_hrnet_plagiarized.py
#   python tools/test.py configs/ps_net_hrnet_plagiarized.py \
#       work_dirs/ps_net_hrnet_plagiarized/epoch_80.pth
_base_ = ['./ps_net_hrnet_df2.py']

load_from = 'work_dirs/ps_net_hrnet_df2/epoch_80.pth'  # the pre-train (landmark branch included)
data_root = 'data/plagiarized_fashion'
task = 'plagiarized'
val_set = dict(type='PlagiarizedFashionDataset', data_root=data_root, task=task,
               ann_file='annotations/pf_val.json', pipeline={{_base_.test_pipeline}})
test_set = dict(val_set, ann_file='annotations/pf_test.json')
loader = dict(batch_size=64, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False))
query_dataloader = dict(loader, dataset=dict(val_set, split='query'))
gallery_dataloader = dict(loader, dataset=dict(val_set, split='gallery'))
val_dataloader = query_dataloader
test_dataloader = dict(loader, dataset=dict(test_set, split='query'))
test_gallery = dict(loader, dataset=dict(test_set, split='gallery'))
train_dataloader = dict(
    sampler=dict(relations=('original', 'plagiarized')),
    dataset=dict(data_root=data_root, ann_file='annotations/pf_train.json'))
model = dict(backbone=dict(init_cfg=None), landmark_checkpoint=None,  # both from load_from
             train_network=False, task=task, prototype=gallery_dataloader)
val_evaluator = dict(task=task, topk=(10, 20, 30))
test_evaluator = val_evaluator

max_epochs = 80
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=0.0))  # no gradient step
param_scheduler = []
custom_hooks = [
    dict(type='PSNetGalleryHook', val_gallery=gallery_dataloader, test_gallery=test_gallery),
    dict(type='PSNetRegionWeightHook', steps=((0, 0.1), (40, 0.05), (60, 0.01)), floor=0.05,
         margin=0.2),
]
