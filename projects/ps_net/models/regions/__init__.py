"""Regions: landmark-based division into five boxes, and RoIAlign pooling of each."""
from .division import REGIONS, RegionDivision, divide_regions, region_landmark_table
from .pooling import RegionPooling

__all__ = ['REGIONS', 'RegionDivision', 'divide_regions', 'region_landmark_table',
           'RegionPooling']
