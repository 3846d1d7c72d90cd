# The copy-triplet pre-train without attention (F' = F): the Traditional / NoAttention network
# of `make table --variant copy-triplets`.
_base_ = ['./psnet-hrnet-narrow_synthetic-128_copy-triplets.py']

model = dict(attention=dict(enabled=False))
