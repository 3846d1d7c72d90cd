"""Pictures of data and results (synthetic contact sheet, predicted vs true garments, a query's
top hits, the reviewer's search report, Grad-CAM with a similarity target)."""
from .prediction_sheet import draw_predictions
from .search_report import draw_search_report, search_report_html, write_search_report
from .similarity_cam import (EmbeddingModel, SimilarityTarget, make_panel, overlay_cam,
                             similarity_cam)
from .synthetic_sheet import draw_sheet
from .top_hits import draw_top_hits

__all__ = ['draw_sheet', 'draw_predictions', 'draw_top_hits', 'draw_search_report',
           'search_report_html', 'write_search_report', 'EmbeddingModel',
           'SimilarityTarget', 'make_panel', 'overlay_cam', 'similarity_cam']
