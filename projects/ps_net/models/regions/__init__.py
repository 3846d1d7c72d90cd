"""Regions: landmark-based division into five boxes, and RoIAlign pooling of each."""
from .division import RegionDivision, divide_regions, region_landmark_table, template_regions
from .pooling import RegionPooling

__all__ = ['RegionDivision', 'divide_regions', 'region_landmark_table',
           'RegionPooling', 'template_regions']
