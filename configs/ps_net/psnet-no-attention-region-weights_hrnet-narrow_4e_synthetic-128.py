# Table 2's "NoAttention" row: the no-attention network (F' = F) of
# ./psnet-no-attention_hrnet-narrow_20e_synthetic-128.py with region weights learned by coordinate
# ascent (eq. 4-6), exactly as the "Learned" row does for the attention network:
#   python tools/train.py \
#       configs/ps_net/psnet-no-attention-region-weights_hrnet-narrow_4e_synthetic-128.py \
#       --work-dir work_dirs/psnet_synthetic_noatt_weights
_base_ = ['./psnet-region-weights_hrnet-narrow_4e_synthetic-128.py']

load_from = 'work_dirs/psnet_synthetic_noatt/epoch_20.pth'
model = dict(attention=dict(enabled=False))
