# The data preprocessor of every retriever (PS-Net, PCB, the triplet ResNets): ImageNet mean and
# std on RGB inputs, no class labels (retrieval). The Runner also sets it as the model's default.
data_preprocessor = dict(num_classes=-1, mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], to_rgb=True)
