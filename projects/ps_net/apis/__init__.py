"""High-level APIs: image -> detected garments -> crops -> landmarks -> region features ->
search of a gallery index (:class:`PSNetSearcher`)."""
from .garment_embedder import GarmentEmbedder, UnsearchableGarment
from .garment_pipeline import (Garment, GarmentPipeline, GarmentPipelineResult, crop_garment,
                               crop_to_image, image_to_crop)
from .onnx_embedder import OnnxGarmentEmbedder
from .search_result import QueryGarment, SearchHit, SearchResult, SkippedGarment
from .searcher import PSNetSearcher

__all__ = ['Garment', 'GarmentPipeline', 'GarmentPipelineResult', 'crop_garment',
           'crop_to_image', 'image_to_crop', 'GarmentEmbedder', 'OnnxGarmentEmbedder',
           'UnsearchableGarment', 'PSNetSearcher', 'QueryGarment', 'SearchHit', 'SearchResult',
           'SkippedGarment']
