"""Pictures of data and results (the synthetic contact sheet)."""
from .synthetic_sheet import draw_sheet

__all__ = ['draw_sheet']
