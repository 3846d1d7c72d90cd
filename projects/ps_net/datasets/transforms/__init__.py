"""Data transforms: the garment crop shared by the landmark and retrieval branches, and the
random local edits of copy-detection training."""
from .garment_crop import PSNetGarmentCrop, crop_garment, crop_to_image, image_to_crop
from .local_edit import LOCAL_EDIT_OPS, PSNetRandomLocalEdit, local_edit

__all__ = ['LOCAL_EDIT_OPS', 'PSNetRandomLocalEdit', 'local_edit', 'PSNetGarmentCrop',
           'crop_garment', 'crop_to_image', 'image_to_crop']
