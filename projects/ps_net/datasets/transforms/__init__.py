"""Data transforms: the garment crop shared by the landmark and retrieval branches."""
from .garment_crop import PSNetGarmentCrop, crop_garment, crop_to_image, image_to_crop

__all__ = ['PSNetGarmentCrop', 'crop_garment', 'crop_to_image', 'image_to_crop']
