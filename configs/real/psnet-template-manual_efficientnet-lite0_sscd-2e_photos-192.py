# The Manual row on photographs: ./psnet-template_efficientnet-lite0_sscd-2e_photos-192.py with the
# hand-written region weights of the synthetic Manual row (the same checkpoint as NoManipulation).
_base_ = ['./psnet-template_efficientnet-lite0_sscd-2e_photos-192.py']

custom_hooks = _base_.custom_hooks + [
    dict(type='PSNetManualRegionWeightHook',
         weights=dict(default=[0.25, 0.25, 0.15, 0.10, 0.25]),  # l/r-sleeve, collar, chest, waist
         rationale='silhouette regions (sleeves, waist) over decoration (collar, chest print)')
]
