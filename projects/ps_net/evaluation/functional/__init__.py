"""Pure metric math used by the metrics and the analysis tools (no Runner, no registry)."""
from .average_precision import average_precision
from .copy_detection import (copy_detection_metrics, micro_average_precision,
                             precision_recall_curve, recall_at_precision)
from .ranking import check_ground_truth, gallery_positions, positive_ranks, tie_ranks
from .recall import hit_rate_at_k, recall_at_k, retrieved_at_k
from .region_locality import GROUPS, region_locality
from .region_weight_bound import rank_confusers, region_weight_bound, weight_grid
from .verdict_calibration import (VERDICT_LABELS, fit_verdict_thresholds,
                                  label_precision_recall, pair_labels, verdict, verdict_codes)

__all__ = [
    'average_precision', 'check_ground_truth', 'gallery_positions', 'positive_ranks',
    'tie_ranks', 'hit_rate_at_k', 'recall_at_k', 'retrieved_at_k', 'GROUPS', 'region_locality',
    'rank_confusers', 'region_weight_bound', 'weight_grid', 'copy_detection_metrics',
    'micro_average_precision', 'precision_recall_curve', 'recall_at_precision',
    'VERDICT_LABELS', 'fit_verdict_thresholds', 'label_precision_recall', 'pair_labels',
    'verdict', 'verdict_codes'
]
