# The copy-triplet pre-train without attention (F' = F): the Traditional / NoAttention network
# of `make table --variant copy-triplets`.
_base_ = ['./psnet-copy-triplets_hrnet-narrow_10e_synthetic-128.py']

model = dict(attention=dict(enabled=False))
