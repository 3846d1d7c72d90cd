# PS-Net landmark branch on DeepFashion FLD (8 landmarks, mmpose's DeepFashionDataset 'full'),
# 224 x 224, with mmpose's standard FLD layout under data/fld/.
_base_ = ['./psnet-landmark_hrnet-w32_12e_df2-224.py']

model = dict(head=dict(out_channels=8))
data_root = 'data/fld/'
train_dataloader = dict(
    dataset=dict(_delete_=True, type='DeepFashionDataset', subset='full', data_root=data_root,
                 data_mode='topdown', ann_file='annotations/fld_full_train.json',
                 data_prefix=dict(img='img/'), pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(_delete_=True, type='DeepFashionDataset', subset='full', data_root=data_root,
                 data_mode='topdown', ann_file='annotations/fld_full_val.json',
                 data_prefix=dict(img='img/'), test_mode=True,
                 pipeline={{_base_.val_pipeline}}))
test_dataloader = dict(
    dataset=dict(_delete_=True, type='DeepFashionDataset', subset='full', data_root=data_root,
                 data_mode='topdown', ann_file='annotations/fld_full_test.json',
                 data_prefix=dict(img='img/'), test_mode=True,
                 pipeline={{_base_.val_pipeline}}))

val_evaluator = [
    dict(type='PSNetNormalizedError'),
    dict(type='PCKAccuracy', thr=0.2),
    dict(type='AUC'),
    dict(type='EPE'),
]
test_evaluator = val_evaluator
