# Clothes detector of PS-Net: Faster R-CNN ResNet-50 FPN on DeepFashion2 (13 categories), 1x.
# Reads the COCO conversion of tools/dataset_converters/deepfashion2_to_coco.py:
#   data/deepfashion2/train/deepfashion2_train.json  (images in train/image/)
#   data/deepfashion2/validation/deepfashion2_validation.json  (validation/image/)
_base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['ps_net'], allow_failed_imports=False)
default_scope = 'mmdet'

# DeepFashion2 category ids 1-13, in id order (ps_net.structures.DF2_CATEGORIES)
classes = ('short_sleeved_shirt', 'long_sleeved_shirt', 'short_sleeved_outwear',
           'long_sleeved_outwear', 'vest', 'sling', 'shorts', 'trousers', 'skirt',
           'short_sleeved_dress', 'long_sleeved_dress', 'vest_dress', 'sling_dress')
metainfo = dict(classes=classes)

model = dict(roi_head=dict(bbox_head=dict(num_classes=len(classes))))

data_root = 'data/deepfashion2/'
train_dataloader = dict(
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 ann_file='train/deepfashion2_train.json', data_prefix=dict(img='train/image/')))
val_dataloader = dict(
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 ann_file='validation/deepfashion2_validation.json',
                 data_prefix=dict(img='validation/image/')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'validation/deepfashion2_validation.json')
test_evaluator = val_evaluator
