# PS-Net without the landmark attention (F' = F), pre-train phase, synthetic CPU schedule.
# Tested as it is (uniform weights), it is Table 2's "Traditional" row (= Table 3's "None"):
#   python tools/train.py configs/ps_net/psnet-no-attention_hrnet-narrow_20e_synthetic-128.py \
#       --work-dir work_dirs/psnet_synthetic_noatt
# The landmarks still place the five regions; only the attention module is switched off.
_base_ = ['./psnet_hrnet-narrow_20e_synthetic-128.py']

model = dict(attention=dict(enabled=False))
