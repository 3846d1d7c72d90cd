# The retrieval model of Xuan et al. (CSA 2022): a ResNet50 (PSNetAttentionResNet; `attention`
# None, 'se' or 'cbam' blocks after the stem and the last stage), global average pooling, the
# L2-normalised pooled feature as embedding, triplet loss, gallery ranked by Euclidean distance
# (pred_score = -distance).
_base_ = ['./retrieval_data_preprocessor.py']

model = dict(
    type='PSNetTripletRetriever',
    backbone=dict(type='PSNetAttentionResNet', depth=50, attention=None),
    embed_dim=None,  # the pooled backbone feature, as in the paper
    margin=0.2,
    data_preprocessor={{_base_.data_preprocessor}})
