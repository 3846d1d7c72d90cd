"""Pure metric math used by the metrics and the analysis tools (no Runner, no registry)."""
from .region_locality import GROUPS, region_locality

__all__ = ['GROUPS', 'region_locality']
