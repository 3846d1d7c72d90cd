# The PCB row on photographs: six horizontal stripes of the garment crop instead of the five
# template regions, on the same stride-16 map of the SSCD fine-tune's backbone as the PS-Net row
# (./psnet-template_efficientnet-lite0_sscd-2e_photos-192.py), uniform weights, no training:
#   python tools/model_converters/init_checkpoint.py configs/real/pcb_efficientnet-lite0_sscd-2e_photos-192.py \
#       work_dirs/pcb_lite0_sscd/init.pth \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/sscd_efficientnet-lite0_2e_photos-192/epoch_2.pth
_base_ = ['./psnet-template_efficientnet-lite0_sscd-2e_photos-192.py']

model = dict(type='PSNetPCBRetriever', num_stripes=6)
