"""Pure metric math used by the metrics and the analysis tools (no Runner, no registry)."""
from .region_locality import GROUPS, region_locality
from .region_weight_bound import rank_confusers, region_weight_bound, weight_grid

__all__ = ['GROUPS', 'region_locality', 'rank_confusers', 'region_weight_bound', 'weight_grid']
