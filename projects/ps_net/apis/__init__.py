"""High-level APIs: image -> detected garments -> crops -> landmarks (-> embed and search later)."""
from .garment_pipeline import (Garment, GarmentPipeline, GarmentPipelineResult, crop_garment,
                               crop_to_image, image_to_crop)

__all__ = ['Garment', 'GarmentPipeline', 'GarmentPipelineResult', 'crop_garment',
           'crop_to_image', 'image_to_crop']
