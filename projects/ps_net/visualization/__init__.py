"""Pictures of data and results (synthetic contact sheet, predicted vs true garments)."""
from .prediction_sheet import draw_predictions
from .synthetic_sheet import draw_sheet

__all__ = ['draw_sheet', 'draw_predictions']
