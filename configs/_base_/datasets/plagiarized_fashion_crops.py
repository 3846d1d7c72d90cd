# Plagiarized Fashion (shared/docs/plagiarized-fashion-format.md; check the files with
# tools/dataset_converters/validate_pf.py) as the 224 px garment crops of
# ./deepfashion2_pf_crops.py, for the plagiarism task: training batches of originals and their
# plagiarized copies, the val split for validation and the test split for tools/test.py, each
# with its gallery.
#   data/plagiarized_fashion/annotations/pf_{train,val,test}.json
_base_ = ['./deepfashion2_pf_crops.py']

data_root = 'data/plagiarized_fashion'
val_set = dict(type='PlagiarizedFashionDataset', data_root=data_root, task='plagiarized',
               ann_file='annotations/pf_val.json', pipeline={{_base_.test_pipeline}})
test_set = dict(val_set, ann_file='annotations/pf_test.json')
train_dataloader = dict(
    sampler=dict(relations=('original', 'plagiarized')),
    dataset=dict(data_root=data_root, ann_file='annotations/pf_train.json'))
query_dataloader = dict(_base_.loader, dataset=dict(val_set, split='query'))
gallery_dataloader = dict(_base_.loader, dataset=dict(val_set, split='gallery'))
val_dataloader = query_dataloader
test_dataloader = dict(_base_.loader, dataset=dict(test_set, split='query'))
test_gallery = dict(_base_.loader, dataset=dict(test_set, split='gallery'))

val_evaluator = dict(task='plagiarized', topk=(10, 20, 30))
test_evaluator = val_evaluator
custom_hooks = [dict(type='PSNetGalleryHook', val_gallery=gallery_dataloader,
                     test_gallery=test_gallery)]
