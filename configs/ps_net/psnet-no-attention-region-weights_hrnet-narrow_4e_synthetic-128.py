# Table 2's "NoAttention" row: the no-attention network (F' = F) of
# psnet-hrnet-narrow_synthetic-128_no-attention.py with region weights learned by coordinate
# ascent (eq. 4-6), exactly as the "Learned" row does for the attention network:
#   python tools/train.py configs/ps_net/psnet-hrnet-narrow_synthetic-128_no-attention_region-weights.py \
#       --work-dir work_dirs/psnet_synthetic_noatt_weights
_base_ = ['./psnet-hrnet-narrow_synthetic-128_region-weights.py']

load_from = 'work_dirs/psnet_synthetic_noatt/epoch_20.pth'
model = dict(attention=dict(enabled=False))
