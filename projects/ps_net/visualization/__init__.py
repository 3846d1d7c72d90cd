"""Pictures of data and results (synthetic contact sheet, predicted vs true garments, a query's
top hits, Grad-CAM with a similarity target)."""
from .prediction_sheet import draw_predictions
from .similarity_cam import (EmbeddingModel, SimilarityTarget, make_panel, overlay_cam,
                             similarity_cam)
from .synthetic_sheet import draw_sheet
from .top_hits import draw_top_hits

__all__ = ['draw_sheet', 'draw_predictions', 'draw_top_hits', 'EmbeddingModel',
           'SimilarityTarget', 'make_panel', 'overlay_cam', 'similarity_cam']
