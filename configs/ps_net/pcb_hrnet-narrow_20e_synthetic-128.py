# PCB baseline (Sun et al., ECCV 2018; PS-Net paper Table 2) on the synthetic set: PS-Net's
# retrieval branch and training, without landmark branch and attention, the five landmark regions
# replaced by six horizontal stripes of F (RoIAligned, one head each, uniform weights: the
# similarity is the mean stripe cosine).
#   python tools/train.py configs/ps_net/pcb_hrnet-narrow_20e_synthetic-128.py
#   python tools/test.py configs/ps_net/pcb_hrnet-narrow_20e_synthetic-128.py \
#       work_dirs/pcb_hrnet-narrow_20e_synthetic-128/epoch_20.pth
_base_ = ['./psnet_hrnet-narrow_20e_synthetic-128.py']

# the landmark checkpoint only initialises the retrieval branch, as for the PS-Net rows
model = dict(type='PSNetPCBRetriever', num_stripes=6, landmark_branch=None, attention=None)
